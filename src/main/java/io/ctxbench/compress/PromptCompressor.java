package io.ctxbench.compress;

/**
 * Drops parts of a prompt's context before inference (the study's "_c" methods): the one compressor interface of
 * {@code ctxbench compress}, the evaluation's runs and its fidelity pass. Implementations never change the
 * instruction or the question (they read them, as conditioning and for query-aware ranking, and the task's template
 * puts them into the prompt as they are), keep the order of what they keep, and measure the target in the target
 * model's tokens through a {@link TokenCounter}. Rules at the edges, common to all:
 * <ul>
 *   <li>an empty context comes back empty (rate 1.0);</li>
 *   <li>a context already within the budget (including any rate of 1.0) comes back unchanged;</li>
 *   <li>when even the smallest thing the compressor keeps (one sentence, one word, the force tokens) is above
 *       the budget, that minimum is returned and {@link CompressionResult#targetMet()} is false, with the
 *       achieved rate reported;</li>
 *   <li>unpaired UTF-16 surrogates are replaced by U+FFFD; other characters (control characters included) are
 *       kept as they are.</li>
 * </ul>
 * An instance may hold native resources (a loaded scoring model, a tokenizer): whoever opened it reuses it for every
 * request and closes it at the end.
 */
public interface PromptCompressor extends AutoCloseable {

    /** Short name, e.g. "extractive" or "perplexity". */
    String name();

    CompressionResult compress(CompressionRequest request);

    /** Frees what the compressor holds; the default holds nothing. */
    @Override
    default void close() {
    }
}
