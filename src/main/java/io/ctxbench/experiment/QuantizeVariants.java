package io.ctxbench.experiment;

import io.ctxbench.CtxbenchException;
import io.ctxbench.gguf.GgufFile;
import io.ctxbench.gguf.GgufTensorInfo;
import io.ctxbench.models.PackagedModels;
import io.ctxbench.models.QuantType;
import io.ctxbench.models.Quantizer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;

/**
 * Makes the weights variants a method needs from the model file the user gave, through {@link Quantizer}
 * (llama_model_quantize over FFM, the code of {@code ctxbench models quantize}), and caches them:
 * <ul>
 *   <li>{@code f16} / {@code bf16}: the 16-bit expansion of the given file (requantizing: a quantized file is
 *       dequantized, so the weights are exactly the given ones, stored in 16 bits);</li>
 *   <li>{@code q4_k_m}: Q4_K_M. From a 16/32-bit file directly; from an already quantized file, from its F16
 *       expansion (made or reused first), so W4A16 is a quantization of the same weights FP16 runs.</li>
 * </ul>
 * Other variants (pruned ones) are not made here: the runner then says which command makes them. Files go to
 * {@code <cacheDir>/<given stem>-<first 12 hex of the given file's sha256>.<TYPE>.gguf}, keyed by the source
 * file's content and the type, so a changed source never reuses a stale variant; a cached file is reused when it
 * is a valid GGUF of the right file type, and made again otherwise. Writing goes through a temporary file renamed
 * atomically, so an interrupted run or two shards making the same file never leave a partial one. Every variant
 * handed out is logged (made or reused, with the time it took) and listed by {@link #made()} for the manifest.
 */
public final class QuantizeVariants implements VariantProvider {
    private final Path cacheDir;
    private final int threads;
    private final PrintStream log;
    private final List<Made> made = new ArrayList<>();
    private final Map<String, Path> handedOut = new HashMap<>();

    /**
     * @param cacheDir where variants are kept (created on first use)
     * @param threads  quantization threads, 0 = all cores
     * @param log      where to say what was made and how long it took, or null
     */
    public QuantizeVariants(Path cacheDir, int threads, PrintStream log) {
        this.cacheDir = cacheDir;
        this.threads = threads;
        this.log = log;
    }

    /** Variants kept in the models cache ({@code <models dir>/variants}, e.g. ~/.cache/ctxbench/models/variants). */
    public static QuantizeVariants inModelsCache(int threads, PrintStream log) {
        return new QuantizeVariants(PackagedModels.modelsDir().resolve("variants"), threads, log);
    }

    /** The quantization type that realizes a weights variant, or null when this provider cannot make it. */
    static QuantType typeOf(String variant) {
        return switch (variant) {
            case "f16" -> QuantType.F16;
            case "bf16" -> QuantType.BF16;
            case "q4_k_m" -> QuantType.Q4_K_M;
            default -> null;
        };
    }

    /** Where the variant of {@code given} of type {@code t} is cached. */
    public Path fileFor(Path given, QuantType t) {
        String stem = given.getFileName().toString().replaceAll("(?i)\\.gguf$", "");
        return cacheDir.resolve(stem + "-" + FileHashes.sha256(given).substring(0, 12) + "." + t.name() + ".gguf");
    }

    @Override
    public synchronized Optional<Path> provide(Path given, String variant) {
        QuantType t = typeOf(variant);
        if (t == null) {
            return Optional.empty();
        }
        Path out = fileFor(given, t);
        Path before = handedOut.get(out.toString());
        if (before != null && valid(before, t)) {
            return Optional.of(before);   // asked again in this run: already logged and listed
        }
        handedOut.put(out.toString(), out);
        if (valid(out, t)) {
            made.add(new Made(variant, given, out, "reused from the cache", 0, true));
            say("eval: variant %s of %s: reusing %s%n", variant, given.getFileName(), out);
            return Optional.of(out);
        }
        boolean quantized = isQuantized(given);
        Path source = given;
        String how;
        if (t == QuantType.Q4_K_M && quantized) {
            source = provide(given, "f16").orElseThrow();
            how = "llama_model_quantize Q4_K_M of the F16 expansion of " + given.getFileName();
        } else {
            how = "llama_model_quantize " + t + (quantized ? ", requantized from the quantized " + given.getFileName()
                    : " of " + given.getFileName());
        }
        try {
            Files.createDirectories(cacheDir);
        } catch (IOException e) {
            throw new CtxbenchException("cannot create the variants folder " + cacheDir + ": " + e.getMessage(), e);
        }
        say("eval: making the %s variant of %s (%s) ...%n", variant, given.getFileName(), how);
        long t0 = System.nanoTime();
        Quantizer.Result r = Quantizer.quantize(source, out, Quantizer.Options.of(t)
                .withAllowRequantize(isQuantized(source)).withThreads(threads).withOverwrite(true));
        double secs = (System.nanoTime() - t0) / 1e9;
        if (!valid(out, t)) {
            throw new CtxbenchException("the " + variant + " variant written to " + out + " is not a " + t + " GGUF");
        }
        made.add(new Made(variant, given, out, how, secs, false));
        say("eval: made the %s variant of %s in %.1f s: %s (%.1f MB, %.2f bits per weight)%n", variant, given.getFileName(),
                secs, out, r.fileBytes() / 1e6, r.bitsPerWeight());
        return Optional.of(out);
    }

    @Override
    public synchronized List<Made> made() {
        return List.copyOf(made);
    }

    /** A readable GGUF whose general.file_type is the type's. */
    static boolean valid(Path f, QuantType t) {
        if (!Files.isRegularFile(f)) {
            return false;
        }
        try {
            return GgufFile.open(f).getLong("general.file_type", -1) == t.ftype;
        } catch (CtxbenchException e) {
            return false;
        }
    }

    static boolean isQuantized(Path f) {
        GgufFile g;
        try {
            g = GgufFile.open(f);
        } catch (CtxbenchException e) {
            throw new CtxbenchException("bad model GGUF " + f + ": " + e.getMessage(), e);
        }
        for (GgufTensorInfo ti : g.tensors()) {
            if (ti.type().isQuantized()) {
                return true;
            }
        }
        return false;
    }

    private void say(String fmt, Object... args) {
        if (log != null) {
            log.printf(Locale.ROOT, fmt, args);
            log.flush();
        }
    }
}
