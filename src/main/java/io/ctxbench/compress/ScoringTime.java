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
    long openNanos;     // opening the scoring session (the first call only: later ones reuse it), inside "other"
    long prepareNanos;  // the compression before the fine stage: sentences, target tokens, coarse stage, scorer tokens, words
    long finishNanos;   // after it: the kept text rendered and counted with the target tokenizer (and corrected)

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
        String open = openNanos > 0 ? String.format(Locale.ROOT, "opening the scoring session %.2f s", openNanos / 1e9)
                : "the scoring session kept from the last call";
        return String.format(Locale.ROOT, "before the fine stage %.2f s (sentences, target tokens, coarse stage, scorer tokens);"
                        + " fine stage %.2f s in %,d llama_decode calls (%,d on a reused graph): scoring passes %.2f s (%,d tokens, %s),"
                        + " %s, %s, other %.2f s (%s); in llama_decode %.2f s, after it until the outputs were read %.2f s%s;"
                        + " after the fine stage %.2f s (the kept text counted with the target tokenizer)",
                prepareNanos / 1e9, totalNanos / 1e9, calls, graphsReused, passNanos / 1e9, segmentTokens,
                onDevice ? "log p(target) of each" : "the logits of each",
                reduction, reeval, (totalNanos - passNanos - reduceNanos - reevalNanos - reseedNanos) / 1e9, open,
                decodeNanos / 1e9, outputNanos / 1e9, onDevice ? "" : " (the reduction included)", finishNanos / 1e9);
    }
}
