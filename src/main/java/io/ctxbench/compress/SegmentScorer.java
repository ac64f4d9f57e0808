package io.ctxbench.compress;

import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.FlashAttention;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.Session;

import java.util.Arrays;

/**
 * The fine stage's model side. The context's tokens are evaluated segment by segment (teacher forcing) in a session
 * on the scoring model, giving every token's self-information -log p(token | kept prefix, segment so far); the
 * {@link Selection} then chooses the segment's words, and the next segment is conditioned on the kept tokens only,
 * as LLMLingua's iterative compression does: the KV cache is cut back to the segment's first dropped token (what
 * precedes it is already the kept prefix) and the kept tokens after it are evaluated again, in the same llama_decode
 * call as the next segment (logits only from the last of them on). When the cache would overflow the context, it is
 * cleared and re-seeded with the BOS prefix and the most recent kept tokens (a quarter of the context): memory stays
 * bounded for inputs of any length. Logits are reduced to self-information batch by batch, split over the cores
 * ({@link SelfInformation}). The session is opened per call and closed before it returns, so no native memory
 * outlives a call. Not thread-safe.
 */
final class SegmentScorer {
    private final Model model;
    private final PerplexityCompressor.Options options;
    private final SelfInformation consumer;
    private ScoringTime time = new ScoringTime();

    SegmentScorer(Model model, PerplexityCompressor.Options options) {
        this.model = model;
        this.options = options;
        this.consumer = new SelfInformation(model.vocabSize());
    }

    /**
     * Scores {@code tok} into {@code info} and has {@code sel} choose each segment's words. Returns the number of
     * tokens the model evaluated.
     */
    long score(int[] tok, Words words, float[] info, Selection sel) {
        ScoringTime t = new ScoringTime();
        long t0 = System.nanoTime();
        consumer.reduceNanos = 0;
        consumer.rows = 0;
        int nTok = tok.length;
        int nUnits = words.count();
        int[] unitStart = words.start();
        boolean[] keepTok = sel.kept();
        int seg = options.segmentTokens();
        int ctx = options.contextSize();
        long evaluated = 0;
        int[] prefix = model.addsBos() ? model.tokenize("", true, false) : new int[0];
        // one call holds the previous segment's re-evaluated kept tokens and the next segment: both fit one micro-batch
        Session.Params sp = Session.Params.of(ctx).withBatch(ctx, Math.min(ctx, 2 * seg)).withThreads(options.threads())
                .withFlashAttention(FlashAttention.AUTO);
        try (Session s = Session.open(model, sp)) {
            // kv[0, kvLen): the tokens the next segment is conditioned on; the last pendLen of them are not evaluated
            // yet (they go first in the next call; the last one's logits predict that segment's first token)
            int[] kv = new int[ctx];
            System.arraycopy(prefix, 0, kv, 0, prefix.length);
            int kvLen = prefix.length;
            int pendLen = prefix.length;
            if (prefix.length == 0 && nTok > 0) {
                info[0] = Float.POSITIVE_INFINITY;   // nothing predicts the first token: always kept
            }
            int u = 0;
            long start = System.nanoTime();
            while (u < nUnits) {
                // a segment: tokens a..b of whole units
                int a = unitStart[u];
                int uEnd = words.segmentEnd(u, seg);
                int b = unitStart[uEnd];
                if (b - a > ctx - 8) {
                    throw new CtxbenchException("a unit of " + (b - a) + " tokens does not fit the scoring context");
                }
                // keep the cache within the context: re-seed it with the prefix and the latest kept tokens
                if (kvLen + (b - a) + 1 > ctx) {
                    if (pendLen > 0) {
                        long e0 = System.nanoTime();
                        consumer.target(tok, a, a + 1, info);
                        s.evaluate(Arrays.copyOfRange(kv, kvLen - pendLen, kvLen), pendLen - 1, consumer);
                        t.reevalNanos += System.nanoTime() - e0;
                        t.reevalTokens += pendLen;
                        evaluated += pendLen;
                    }
                    int keepTail = Math.min(kvLen - prefix.length, ctx / 4);
                    int[] seed = new int[prefix.length + keepTail];
                    System.arraycopy(prefix, 0, seed, 0, prefix.length);
                    System.arraycopy(kv, kvLen - keepTail, seed, prefix.length, keepTail);
                    s.clear();
                    long r0 = System.nanoTime();
                    s.evaluate(seed, null);
                    t.reseedNanos += System.nanoTime() - r0;
                    t.reseedTokens += seed.length;
                    evaluated += seed.length;
                    System.arraycopy(seed, 0, kv, 0, seed.length);
                    kvLen = seed.length;
                    pendLen = 0;
                }
                // the pending tokens, then the segment: self-information of tokens (a if pending) a+1 .. b
                // (token b is the next segment's first: provisional)
                int[] call = new int[pendLen + b - a];
                System.arraycopy(kv, kvLen - pendLen, call, 0, pendLen);
                System.arraycopy(tok, a, call, pendLen, b - a);
                consumer.target(tok, pendLen > 0 ? a : a + 1, Math.min(b + 1, nTok), info);
                long s0 = System.nanoTime();
                s.evaluate(call, Math.max(0, pendLen - 1), consumer);
                t.passNanos += System.nanoTime() - s0;
                t.segmentTokens += b - a;
                t.reevalTokens += pendLen;
                evaluated += call.length;
                int segPos = kvLen;
                System.arraycopy(tok, a, kv, kvLen, b - a);
                kvLen += b - a;
                pendLen = 0;
                sel.choose(u, uEnd);
                if (options.iterative() && b < nTok) {
                    // condition what follows on the kept tokens only: the cache up to the first dropped token stays
                    int d = a;
                    while (d < b && keepTok[d]) {
                        d++;
                    }
                    if (d < b) {
                        kvLen = segPos + d - a;
                        s.truncate(kvLen);
                        for (int k = d; k < b; k++) {
                            if (keepTok[k]) {
                                kv[kvLen++] = tok[k];
                                pendLen++;
                            }
                        }
                        if (pendLen == 0 && kvLen > 0) {
                            // none kept after it: the last cached token predicts the next one (cut it, evaluate it again)
                            s.truncate(kvLen - 1);
                            pendLen = 1;
                        }
                    }
                    // else nothing dropped: the cache is the kept prefix, and token b's score is final
                }
                u = uEnd;
                if (options.progress() != null) {
                    options.progress().scored(b, nTok, System.nanoTime() - start);
                }
            }
        }
        // the reduction ran inside the evaluate calls: count it apart from them
        t.reduceNanos = consumer.reduceNanos;
        t.reducedRows = consumer.rows;
        t.passNanos -= consumer.reduceNanos;
        t.totalNanos = System.nanoTime() - t0;
        time = t;
        return evaluated;
    }

    /** Where the last {@link #score} call spent its time. */
    ScoringTime time() {
        return time;
    }
}
