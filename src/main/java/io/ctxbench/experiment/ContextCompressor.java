package io.ctxbench.experiment;

/**
 * The seam through which the runner shortens a context for the "_c" methods. {@code rate} is the target
 * compression ratio, original length over compressed length (2.0 keeps about half), measured in the target
 * model's tokens. Implementations shorten the context only: the instruction and the question are read (as
 * conditioning and for query-aware ranking) but never changed, and the task's template puts them into the prompt
 * as they are. An instance may hold native resources (a loaded scoring model, a tokenizer): the runner opens one
 * per (compressor, model) through {@link Compressors#open}, reuses it for every sample, and closes it.
 */
public interface ContextCompressor extends AutoCloseable {
    String id();

    Output compress(String instruction, String context, String question, double rate);

    /** Frees what the compressor holds; the default holds nothing. */
    @Override
    default void close() {
    }

    /**
     * A compressed context and its statistics, in the target model's tokens ({@code originalTokens},
     * {@code compressedTokens}; {@code achievedRate} = original / compressed), with the instruction and question
     * as the compressor received them (checked unchanged by the adapters), and where the work ran.
     */
    record Output(String context, String instruction, String question, int originalTokens, int compressedTokens,
                  double achievedRate, boolean targetMet, String device) {
    }
}
