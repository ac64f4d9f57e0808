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
    boolean onDevice;   // the reduction ran in llama.cpp's graph, inside the scoring passes

    /** One line: seconds and tokens per part. */
    @Override
    public String toString() {
        String reduction = onDevice
                ? String.format(Locale.ROOT, "reduction in llama.cpp's graph, inside the passes (%,d rows)", reducedRows)
                : String.format(Locale.ROOT, "reduction %.2f s (%,d rows)", reduceNanos / 1e9, reducedRows);
        return String.format(Locale.ROOT, "fine stage %.2f s: scoring passes %.2f s (%,d tokens, %s), %s, re-evaluation"
                        + " %.2f s (%,d kept tokens), re-seeding %.2f s (%,d tokens), other %.2f s",
                totalNanos / 1e9, passNanos / 1e9, segmentTokens, onDevice ? "log p(target) of each" : "the logits of each",
                reduction, reevalNanos / 1e9, reevalTokens, reseedNanos / 1e9, reseedTokens,
                (totalNanos - passNanos - reduceNanos - reevalNanos - reseedNanos) / 1e9);
    }
}
