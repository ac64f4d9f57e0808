package io.ctxbench.experiment;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Makes a weights variant of a model the user did not provide (e.g. the Q4_K_M file of an F16 model). The runner
 * asks it only when no file was given for the variant. {@link QuantizeVariants} makes f16, bf16 and q4_k_m through
 * llama_model_quantize (`ctxbench models quantize`) and caches them; {@link #NONE} provides nothing, and the runner
 * then says which command makes the file.
 */
@FunctionalInterface
public interface VariantProvider {
    Optional<Path> provide(Path given, String variant);

    /** What this provider made or took from its cache so far, in order (for the run manifest). */
    default List<Made> made() {
        return List.of();
    }

    /**
     * One variant the provider handed out: which ({@code variant}), made from which file, where it is, how it was made
     * (e.g. "llama_model_quantize F16, requantized from Q4_1"), seconds spent making it (0 when reused).
     */
    record Made(String variant, Path source, Path file, String how, double seconds, boolean reused) {
    }

    VariantProvider NONE = (given, variant) -> Optional.empty();
}
