package io.ctxbench.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * Where a command that writes a GGUF file puts it (models synth, prune, quantize): {@code --out FILE}, {@code --force}
 * to overwrite, and the old spelling {@code -o/--output} hidden for one release ({@link OldSpelling}).
 */
final class ModelOutputOptions {
    @Option(names = "--out", paramLabel = "FILE", description = "Output GGUF file.")
    Path out;

    @Option(names = "--force", description = "Overwrite an existing output file.")
    boolean force;

    @Option(names = {"-o", "--output"}, hidden = true)   // the old spelling of --out, for one release (OldSpelling)
    Path oldOutput;

    /** The output file, or null when none was given (the old spelling noted on stderr). */
    Path file(CommandSpec spec) {
        return OldSpelling.take(spec, "--out", out, "--output", oldOutput);
    }

    /** The output file, a usage error when none was given. */
    Path requiredFile(CommandSpec spec) {
        return OldSpelling.takeRequired(spec, "--out", out, "--output", oldOutput);
    }
}
