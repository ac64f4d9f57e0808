package io.ctxbench.experiment;

/**
 * The seam through which the runner shortens a context for the "_c" methods. {@code rate} is the target
 * compression ratio, original length over compressed length (2.0 keeps about half). Implementations return the
 * compressed context only; the instruction and question stay as the task's template puts them.
 * The real compressors (package io.ctxbench.compress) are registered in {@link Compressors} once merged.
 */
public interface ContextCompressor {
    String id();

    String compress(String instruction, String context, String question, double rate);
}
