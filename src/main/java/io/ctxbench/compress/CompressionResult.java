package io.ctxbench.compress;

import java.util.List;

/**
 * A compressed context and what it cost.
 *
 * @param instruction       the request's instruction, unchanged
 * @param context           the compressed context: kept pieces of the original context in their original order
 * @param question          the request's question, unchanged
 * @param keptSpans         [start, end) char offsets into the original context of the kept pieces, ascending and
 *                          disjoint; {@code context} is their concatenation (empty when the text could not be
 *                          mapped back to offsets: then {@code context} is the detokenized kept tokens)
 * @param originalTokens    context tokens before, in the target model's tokenizer
 * @param compressedTokens  context tokens after, in the target model's tokenizer (the compressed text tokenized
 *                          on its own)
 * @param budgetTokens      tokens the target allowed
 * @param requestedRate     originalTokens / budgetTokens
 * @param achievedRate      originalTokens / compressedTokens (1.0 when nothing was dropped)
 * @param targetMet         compressedTokens &lt;= budgetTokens (false when the minimum kept, e.g. one sentence or
 *                          the force tokens, is above the budget)
 * @param seconds           wall time of the call
 * @param device            where the work ran: "CPU" or the GPU's description
 * @param method            the compressor's name
 * @param scoredTokens      tokens the scoring model evaluated (0 for model-free compressors)
 */
public record CompressionResult(String instruction, String context, String question, List<int[]> keptSpans,
                                int originalTokens, int compressedTokens, int budgetTokens, double requestedRate,
                                double achievedRate, boolean targetMet, double seconds, String device, String method,
                                long scoredTokens) {

    /** Fraction of original context tokens kept. */
    public double keptFraction() {
        return originalTokens == 0 ? 1.0 : (double) compressedTokens / originalTokens;
    }

    /** The context returned as it is (empty, or already within the budget): rate 1, target met. */
    static CompressionResult unchanged(CompressionRequest req, String ctx, int original, long t0, String device, String method) {
        java.util.List<int[]> spans = ctx.isEmpty() ? java.util.List.of() : java.util.List.of(new int[]{0, ctx.length()});
        int budget = req.target().budgetFor(original);
        return new CompressionResult(req.instruction(), ctx, req.question(), spans, original, original, budget,
                original == 0 ? 1.0 : (double) original / budget, 1.0, true, (System.nanoTime() - t0) / 1e9, device, method, 0);
    }

    static double rate(int original, int compressed) {
        return compressed <= 0 ? (original == 0 ? 1.0 : Double.POSITIVE_INFINITY) : (double) original / compressed;
    }
}
