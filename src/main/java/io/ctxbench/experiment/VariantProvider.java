package io.ctxbench.experiment;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Makes a weights variant of a model the user did not provide (e.g. the Q4_K_M file of an F16 model). The runner
 * asks it only when no file was given for the variant. The model-variants code (ctxbench models quantize / prune)
 * plugs in here; until then {@link #NONE} provides nothing and the runner says which command to run.
 */
@FunctionalInterface
public interface VariantProvider {
    Optional<Path> provide(Path given, String variant);

    VariantProvider NONE = (given, variant) -> Optional.empty();
}
