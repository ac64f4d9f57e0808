package io.ctxbench.experiment;

import io.ctxbench.CtxbenchException;
import io.ctxbench.gguf.GgufFile;
import io.ctxbench.gguf.SyntheticModel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One model under evaluation: the file the user gave and files for its weights variants (f16, bf16, q4_k_m,
 * pruned, pruned_q4_k_m). The given file counts as the variant its GGUF {@code general.file_type} says (F16: f16,
 * BF16: bf16, Q4_K_M: q4_k_m). With {@code standIn}, a missing f16/bf16 baseline is replaced by the given file,
 * and every record says so ({@code weights_stand_in}).
 */
public record ModelSpec(String name, Path given, Map<String, Path> variants, boolean standIn) {
    public ModelSpec {
        variants = new LinkedHashMap<>(variants);
        for (Map.Entry<String, Path> e : variants.entrySet()) {
            if (!Method.WEIGHTS.contains(e.getKey())) {
                throw new CtxbenchException("unknown weights variant '" + e.getKey() + "'; use one of " + new java.util.TreeSet<>(Method.WEIGHTS));
            }
            if (!Files.isRegularFile(e.getValue())) {
                throw new CtxbenchException("variant " + e.getKey() + " file " + e.getValue() + " does not exist");
            }
        }
        if (!Files.isRegularFile(given)) {
            throw new CtxbenchException("model file " + given + " does not exist");
        }
        String own = ownVariant(given);
        if (own != null) {
            variants.putIfAbsent(own, given);
        }
        variants.put("given", given);
    }

    /** The variant a GGUF file is by its file type, or null. */
    public static String ownVariant(Path file) {
        long ft = GgufFile.open(file).getLong("general.file_type", -1);
        return ft == 1 ? "f16" : ft == 32 ? "bf16" : ft == 15 ? "q4_k_m" : null;
    }

    /**
     * Whether the given file is a synthetic model ({@code ctxbench models synth}: random weights), whose scores mean
     * nothing; the run manifest lists such models and the report says so.
     */
    public boolean synthetic() {
        return SyntheticModel.isSynthetic(GgufFile.open(given));
    }

    /** What runs for a method: the file and whether it stands in for the asked variant. */
    public record Resolved(Path file, boolean standIn) {
    }

    public Resolved resolve(Method m, VariantProvider provider) {
        Path p = variants.get(m.weights());
        if (p != null) {
            return new Resolved(p, false);
        }
        Optional<Path> made = provider.provide(given, m.weights());
        if (made.isPresent()) {
            variants.put(m.weights(), made.get());
            return new Resolved(made.get(), false);
        }
        if (standIn && (m.weights().equals("f16") || m.weights().equals("bf16"))) {
            return new Resolved(given, true);
        }
        String how = Method.LOW_BIT_WEIGHTS.contains(m.weights())
                ? "ctxbench models imatrix -m F16.gguf --out imatrix.gguf` and `ctxbench models quantize -m F16.gguf"
                        + " --imatrix imatrix.gguf --type " + m.weights().toUpperCase(java.util.Locale.ROOT)
                : switch (m.weights()) {
                    case "q4_k_m" -> "ctxbench models quantize --type Q4_K_M " + given;
                    case "f16", "bf16" -> "ctxbench models quantize --type " + m.weights().toUpperCase() + " --allow-requantize " + given;
                    default -> "ctxbench models prune ... (a pruned file of " + given.getFileName() + ")";
                };
        throw new CtxbenchException("method " + m.name() + " needs the " + m.weights() + " weights of model " + name
                + ", which were not given: pass --variant " + m.weights() + "=FILE, or make the file with `" + how + "`");
    }
}
