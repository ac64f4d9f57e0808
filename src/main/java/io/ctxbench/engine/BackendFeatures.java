package io.ctxbench.engine;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What each ggml backend of the loaded build was compiled with, as llama.cpp reports it in
 * {@code llama_print_system_info}: {@code "CPU : SSE3 = 1 | AVX2 = 1 | ... | CUDA : ARCHS = 900 | FA_QUANTS = ... |"}.
 * The CPU backend lists only the instruction-set features that are compiled in and usable on this machine, so
 * {@link #cpuFeatures()} is what the CPU code actually runs with.
 *
 * @param byBackend backend name (CPU, CUDA, ...) to its features (name to value), in the order llama.cpp prints them
 */
public record BackendFeatures(Map<String, Map<String, String>> byBackend) {

    /** The features of the libraries loaded in this process. */
    public static BackendFeatures current() {
        return parse(NativeLibrary.systemInfo());
    }

    /** Parses llama.cpp's one-line summary; unknown shapes give what could be read, never an error. */
    public static BackendFeatures parse(String systemInfo) {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        Map<String, String> current = null;
        for (String part : systemInfo.split("\\|")) {
            String p = part.strip();
            int colon = p.indexOf(" : ");
            if (colon >= 0) {   // "CUDA : ARCHS = 900": a new backend, then its first feature
                current = out.computeIfAbsent(p.substring(0, colon).strip(), k -> new LinkedHashMap<>());
                p = p.substring(colon + 3).strip();
            }
            int eq = p.indexOf('=');
            if (current != null && eq > 0) {
                current.put(p.substring(0, eq).strip(), p.substring(eq + 1).strip());
            }
        }
        out.replaceAll((k, v) -> Collections.unmodifiableMap(v));
        return new BackendFeatures(Collections.unmodifiableMap(out));
    }

    /** The CPU backend's active features (those reported as 1), e.g. [SSE3, SSSE3, AVX, AVX2, F16C, FMA, BMI2, ...]. */
    public List<String> cpuFeatures() {
        List<String> on = new ArrayList<>();
        byBackend.getOrDefault("CPU", Map.of()).forEach((k, v) -> {
            if (v.equals("1")) {
                on.add(k);
            }
        });
        return on;
    }

    public boolean hasCuda() {
        return byBackend.containsKey("CUDA");
    }

    /**
     * The K-V type pairs the CUDA backend has flash-attention vector kernels for ("q8_0-q4_0" is K q8_0, V q4_0),
     * from its FA_QUANTS feature; {@code null} means every pair ("all"). f16-f16 is always compiled.
     */
    public Set<String> cudaFlashAttentionPairs() {
        String list = byBackend.getOrDefault("CUDA", Map.of()).get("FA_QUANTS");
        if (list == null) {
            return Set.of("f16-f16");
        }
        if (list.strip().equalsIgnoreCase("all")) {
            return null;
        }
        Set<String> pairs = new LinkedHashSet<>(List.of("f16-f16"));
        for (String s : list.split("[,;]")) {
            if (!s.isBlank()) {
                pairs.add(s.strip().toLowerCase(Locale.ROOT));
            }
        }
        return Collections.unmodifiableSet(pairs);
    }
}
