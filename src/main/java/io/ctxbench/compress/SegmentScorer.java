package io.ctxbench.compress;

import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.FlashAttention;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.Devices;
import io.ctxbench.engine.Session;
import io.ctxbench.engine.TargetLogProbs;

import java.util.Arrays;

/**
 * The fine stage's model side. The context's tokens are evaluated segment by segment (teacher forcing) in a session
 * on the scoring model, giving every token's self-information -log p(token | kept prefix, segment so far); the
 * {@link Selection} then chooses the segment's words, the KV cache is cut back to the segment start and only the
 * kept tokens are evaluated, so the next segment is conditioned on what was kept, as LLMLingua's iterative
 * compression does (logits only for the last of them, which predicts the next segment's first token). When the cache
 * would overflow the context, it is cleared and re-seeded with the BOS prefix and the most recent kept tokens (a
 * quarter of the context): memory stays bounded for inputs of any length. Logits are reduced to self-information
 * once per decoded batch, its rows split over the cores ({@link SelfInformation}).
 *
 * <p>The calls keep one shape on purpose: kept tokens but the last, the last, then the segment, each its own
 * llama_decode. Reusing the cache up to a segment's first dropped token, or decoding the kept tokens together with
 * the next segment, would save decode calls, but llama.cpp's CPU kernels round differently for other batch shapes
 * (measured: up to 0.4 nats on SmolLM2, docs/compress.md) and in iterative mode one flipped word changes everything
 * after it, so the compressor's output would no longer be that of the same method on the same input.
 * The session is opened per call and closed before it returns, so no native memory outlives a call. Not thread-safe.
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
        long evaluated = 0;
        int[] prefix = model.addsBos() ? model.tokenize("", true, false) : new int[0];
        Session.Params sp = Session.Params.of(options.contextSize()).withBatch(seg, seg).withThreads(options.threads())
                .withFlashAttention(FlashAttention.AUTO);
        boolean onDevice = switch (options.reduction()) {
            case DEVICE -> true;
            case HOST -> false;
            case AUTO -> model.params().gpuLayers() != 0 && Devices.hasAccelerator();
        };
        try (TargetLogProbs device = onDevice ? new TargetLogProbs(seg) : null;
             Session s = Session.open(model, sp, device)) {
            consumer.reduceOn(device);
            int[] kv = new int[s.contextSize()];   // tokens now in the KV cache
            int kvLen = 0;
            // the first context token is predicted by the prefix (BOS), or gets +inf (always kept) when there is none
            if (prefix.length > 0) {
                consumer.target(tok, 0, 1, info);
                s.evaluate(prefix, prefix.length - 1, consumer);
                evaluated += prefix.length;
                System.arraycopy(prefix, 0, kv, 0, prefix.length);
                kvLen = prefix.length;
            } else if (nTok > 0) {
                info[0] = Float.POSITIVE_INFINITY;
            }
            int u = 0;
            long start = System.nanoTime();
            while (u < nUnits) {
                // a segment: tokens a..b of whole units
                int a = unitStart[u];
                int uEnd = words.segmentEnd(u, seg);
                int b = unitStart[uEnd];
                if (b - a > s.contextSize() - 8) {
                    throw new CtxbenchException("a unit of " + (b - a) + " tokens does not fit the scoring context");
                }
                // keep the cache within the context: re-seed it with the prefix and the latest kept tokens
                if (kvLen + (b - a) + 1 > s.contextSize()) {
                    int keepTail = Math.min(kvLen - prefix.length, s.contextSize() / 4);
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
                }
                int segPos = s.position();
                // self-information of tokens a+1 .. b (token b is the next segment's first: provisional)
                consumer.target(tok, a + 1, Math.min(b + 1, nTok), info);
                long s0 = System.nanoTime();
                s.evaluate(Arrays.copyOfRange(tok, a, b), 0, consumer);
                t.passNanos += System.nanoTime() - s0;
                t.segmentTokens += b - a;
                evaluated += b - a;
                sel.choose(u, uEnd);
                // condition what follows on the kept tokens only
                int kept = 0;
                for (int k = a; k < b; k++) {
                    if (keepTok[k]) {
                        kept++;
                    }
                }
                if (options.iterative() && b < nTok) {
                    long e0 = System.nanoTime();
                    s.truncate(segPos);
                    kvLen = segPos;
                    int[] keptTok = new int[kept];
                    int j = 0;
                    for (int k = a; k < b; k++) {
                        if (keepTok[k]) {
                            keptTok[j++] = tok[k];
                        }
                    }
                    // the next segment's first token, given the kept prefix
                    consumer.target(tok, b, b + 1, info);
                    if (kept > 0) {
                        if (kept > 1) {
                            s.evaluate(Arrays.copyOf(keptTok, kept - 1), null);
                        }
                        s.evaluate(new int[]{keptTok[kept - 1]}, 0, consumer);
                        evaluated += kept;
                    } else if (kvLen > 0) {
                        // nothing kept here: the last cached token predicts it (cut it and evaluate it again)
                        s.truncate(kvLen - 1);
                        s.evaluate(new int[]{kv[kvLen - 1]}, 0, consumer);
                        evaluated++;
                    }
                    t.reevalNanos += System.nanoTime() - e0;
                    t.reevalTokens += Math.max(1, kept);
                    System.arraycopy(keptTok, 0, kv, kvLen, kept);
                    kvLen += kept;
                } else {
                    System.arraycopy(tok, a, kv, kvLen, b - a);
                    kvLen += b - a;
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
        t.onDevice = onDevice;
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
