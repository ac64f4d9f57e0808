package io.ctxbench.compress;

import java.util.Locale;

/**
 * Where the perplexity compressor's fine stage spent its time in the last call, for {@code ctxbench compress --profile}:
 * the scoring passes (llama_decode of each segment with every position's logits, i.e. the forward pass, the LM head
 * for each position and the logits copy, together with the previous segment's kept tokens evaluated again in the same
 * call), the reduction of the logits to self-information, the kept tokens evaluated on their own before a re-seed,
 * and the re-seeding of a full cache, each with its tokens.
 */
public final class ScoringTime {
    long passNanos, segmentTokens;
    long reduceNanos, reducedRows;
    long reevalNanos, reevalTokens;
    long reseedNanos, reseedTokens;
    long totalNanos;

    /** Seconds of the whole fine stage. */
    public double seconds() {
        return totalNanos / 1e9;
    }

    /** One line: seconds and tokens per part. */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "fine stage %.2f s: scoring passes %.2f s (%,d segment tokens with the logits of"
                        + " each, %,d kept tokens evaluated again), reduction %.2f s (%,d rows), kept tokens evaluated"
                        + " alone before a re-seed %.2f s, re-seeding %.2f s (%,d tokens), other %.2f s",
                totalNanos / 1e9, passNanos / 1e9, segmentTokens, reevalTokens, reduceNanos / 1e9, reducedRows,
                reevalNanos / 1e9, reseedNanos / 1e9, reseedTokens,
                (totalNanos - passNanos - reduceNanos - reevalNanos - reseedNanos) / 1e9);
    }
}
