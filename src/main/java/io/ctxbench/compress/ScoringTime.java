package io.ctxbench.compress;

import java.util.Locale;

/**
 * Where the perplexity compressor's fine stage spent its time in the last call, for {@code ctxbench compress --profile}:
 * the scoring passes (llama_decode of each segment with every position's logits: the forward pass, the LM head for
 * each position and the logits copy), the reduction of the logits to self-information, the re-evaluation of the kept
 * tokens (iterative mode) and the re-seeding of a full cache, each with its tokens.
 */
public final class ScoringTime {
    long passNanos, segmentTokens;
    long reduceNanos, reducedRows;
    long reevalNanos, reevalTokens;
    long reseedNanos, reseedTokens;
    long totalNanos;
    long calls;         // llama_decode calls
    long graphsReused;  // of them, how many llama.cpp ran on the previous call's graph (same shape) instead of building one
    long decodeNanos;   // inside llama_decode, all calls (graph build and launch; on a GPU the work may still run)
    long outputNanos;   // after llama_decode returned until its outputs were read: waiting for the device, copies, reduction
    boolean onDevice;   // the reduction ran in llama.cpp's graph, inside the scoring passes
    boolean merged;     // kept tokens were evaluated in the next segment's call (Calls.MERGED), inside the passes

    /** One line: seconds and tokens per part. */
    @Override
    public String toString() {
        String reduction = onDevice
                ? String.format(Locale.ROOT, "reduction in llama.cpp's graph, inside the passes (%,d rows)", reducedRows)
                : String.format(Locale.ROOT, "reduction %.2f s (%,d rows)", reduceNanos / 1e9, reducedRows);
        String reeval = merged
                ? String.format(Locale.ROOT, "re-evaluation %.2f s apart from the passes (%,d kept tokens, most in the next"
                        + " segment's call), re-seeding in the passes (%,d tokens)", reevalNanos / 1e9, reevalTokens, reseedTokens)
                : String.format(Locale.ROOT, "re-evaluation %.2f s (%,d kept tokens), re-seeding %.2f s (%,d tokens)",
                        reevalNanos / 1e9, reevalTokens, reseedNanos / 1e9, reseedTokens);
        return String.format(Locale.ROOT, "fine stage %.2f s in %,d llama_decode calls (%,d on a reused graph): scoring passes %.2f s (%,d tokens, %s),"
                        + " %s, %s, other %.2f s; in llama_decode %.2f s, after it until the outputs were read %.2f s%s",
                totalNanos / 1e9, calls, graphsReused, passNanos / 1e9, segmentTokens, onDevice ? "log p(target) of each" : "the logits of each",
                reduction, reeval, (totalNanos - passNanos - reduceNanos - reevalNanos - reseedNanos) / 1e9,
                decodeNanos / 1e9, outputNanos / 1e9, onDevice ? "" : " (the reduction included)");
    }
}
