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
 * compression does (the last of them predicts the next segment's first token). When the cache would overflow the
 * context, it is cleared and re-seeded with the BOS prefix and the most recent kept tokens (a quarter of the context):
 * memory stays bounded for inputs of any length. Logits are reduced to self-information once per decoded batch
 * ({@link SelfInformation}: on the host, its rows split over the cores, or in llama.cpp's graph).
 *
 * <p>The calls ({@link PerplexityCompressor.Calls}): SEPARATE keeps one shape, kept tokens but the last, the last,
 * then the segment, each its own llama_decode, as this compressor always has: llama.cpp's CPU kernels round
 * differently for other batch shapes (measured: up to 0.4 nats on SmolLM2, docs/compress.md) and in iterative mode
 * one flipped word changes everything after it. MERGED puts the tokens to be appended (kept, BOS prefix or re-seed)
 * and the next segment in one call of one micro-batch, outputs from the last appended token on: the same
 * conditioning in a third of the calls, for GPUs, where a call costs its launches whatever its size. FIXED pads
 * MERGED's calls to one shape in a session opened for it ({@link Session#openFixedShape}), so llama.cpp reuses one
 * graph; it conditions within the cache size llama.cpp would give the other modes (the session itself is larger).
 * The session is opened on the first call and kept for the next ones (its cache cleared at the start of each):
 * opening one costs a context, its graphs and, in fixed shape, a pass over the whole cache (tens of milliseconds on a
 * GPU, seconds on a CPU), every sample. It is closed with the scorer, or at once when a call fails. Not thread-safe.
 */
final class SegmentScorer implements AutoCloseable {
    private final Model model;
    private final PerplexityCompressor.Options options;
    private final SelfInformation consumer;
    private ScoringTime time = new ScoringTime();
    // the session kept between calls, its sampler (device reduction) and the conditioning window it was opened for
    private Session session;
    private TargetLogProbs device;
    private int sessionWindow;

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
        boolean accelerated = model.params().gpuLayers() != 0 && Devices.hasAccelerator();
        boolean onDevice = switch (options.reduction()) {
            case DEVICE -> true;
            case HOST -> false;
            case AUTO -> accelerated;
        };
        boolean fixed = switch (options.calls()) {
            case FIXED -> true;
            case SEPARATE, MERGED -> false;
            case AUTO -> accelerated && onDevice;
        };
        boolean merged = switch (options.calls()) {
            case MERGED, FIXED -> true;
            case SEPARATE -> false;
            case AUTO -> accelerated;
        };
        // a merged call: what is appended (a segment's kept tokens, or the prefix and a quarter of the context) + a segment;
        // a fixed-shape call: kept tokens + a segment (a re-seed and its segment take two calls)
        int segMax = Math.max(seg, options.maxUnitTokens());
        int batch = fixed ? prefix.length + 2 * segMax + 1
                : merged ? Math.min(ctx, prefix.length + Math.max(segMax, ctx / 4) + segMax + 1) : seg;
        int window = (ctx + 255) / 256 * 256;   // what llama.cpp allocates for ctx: the cache the method conditions within
        boolean done = false;
        try {
            if (session == null) {
                long o0 = System.nanoTime();
                Session.Params sp = Session.Params.of(fixed ? window + batch + 1 : ctx).withBatch(batch, batch)
                        .withThreads(options.threads()).withFlashAttention(FlashAttention.AUTO);
                device = onDevice ? new TargetLogProbs(batch) : null;
                session = fixed ? Session.openFixedShape(model, sp, device) : Session.open(model, sp, device);
                sessionWindow = fixed ? window : session.contextSize();
                t.openNanos = System.nanoTime() - o0;
            }
            Session s = session;
            s.clear();
            consumer.reduceOn(device);
            window = sessionWindow;
            int reused0 = s.graphsReused();
            long[] before = s.evaluateNanos();
            int[] kv = new int[window];   // tokens that condition what follows: in the KV cache, then the pending ones
            int kvLen = 0;
            int pending = 0;            // kv's last `pending` tokens are not evaluated yet (MERGED)
            boolean predicts = false;   // the last pending token predicts the next segment's first
            System.arraycopy(prefix, 0, kv, 0, prefix.length);
            kvLen = prefix.length;
            // the first context token is predicted by the prefix (BOS), or gets +inf (always kept) when there is none
            if (prefix.length > 0 && merged) {
                pending = prefix.length;
                predicts = true;
            } else if (prefix.length > 0) {
                consumer.target(tok, 0, 1, info);
                call(s, prefix, prefix.length - 1, consumer, t);
                evaluated += prefix.length;
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
                if (b - a > window - 8) {
                    throw new CtxbenchException("a unit of " + (b - a) + " tokens does not fit the scoring context");
                }
                // keep the cache within the context: re-seed it with the prefix and the latest kept tokens
                if (kvLen + (b - a) + 1 > window) {
                    if (pending > 0 && predicts) {   // the pending tokens predict the segment's first token from the full cache first
                        long e0 = System.nanoTime();
                        consumer.target(tok, a, a + 1, info);
                        call(s, Arrays.copyOfRange(kv, kvLen - pending, kvLen), pending - 1, consumer, t);
                        t.reevalNanos += System.nanoTime() - e0;
                        evaluated += pending;
                    }
                    int keepTail = Math.min(kvLen - prefix.length, window / 4);
                    int[] seed = new int[prefix.length + keepTail];
                    System.arraycopy(prefix, 0, seed, 0, prefix.length);
                    System.arraycopy(kv, kvLen - keepTail, seed, prefix.length, keepTail);
                    s.clear();
                    t.reseedTokens += seed.length;
                    evaluated += seed.length;
                    System.arraycopy(seed, 0, kv, 0, seed.length);
                    kvLen = seed.length;
                    if (merged) {
                        pending = seed.length;
                        predicts = false;
                    } else {
                        long r0 = System.nanoTime();
                        call(s, seed, seed.length, null, t);
                        t.reseedNanos += System.nanoTime() - r0;
                    }
                }
                int segPos = kvLen;   // where the segment starts in the cache
                // self-information of tokens a+1 .. b (token b is the next segment's first: provisional), and of token
                // a when the pending tokens predict it
                consumer.target(tok, predicts ? a : a + 1, Math.min(b + 1, nTok), info);
                int[] segment = Arrays.copyOfRange(tok, a, b);
                long s0 = System.nanoTime();
                if (pending > 0) {
                    int[] both = Arrays.copyOfRange(kv, kvLen - pending, kvLen + (b - a));
                    System.arraycopy(segment, 0, both, pending, b - a);
                    call(s, both, predicts ? pending - 1 : pending, consumer, t);
                    if (predicts) {
                        t.reevalTokens += pending;
                    }
                    evaluated += pending;
                    pending = 0;
                    predicts = false;
                } else {
                    call(s, segment, 0, consumer, t);
                }
                t.passNanos += System.nanoTime() - s0;
                t.segmentTokens += b - a;
                evaluated += b - a;
                sel.choose(u, uEnd);
                // condition what follows on the kept tokens only
                int kept = 0;
                for (int k = a; k < b; k++) {
                    if (keepTok[k]) {
                        kv[kvLen + kept++] = tok[k];
                    }
                }
                if (options.iterative() && b < nTok) {
                    s.truncate(segPos);
                    if (kept == 0 && kvLen > 0) {
                        // nothing kept here: the last cached token predicts the next one (cut it and evaluate it again)
                        s.truncate(kvLen - 1);
                        kvLen--;
                        kept = 1;
                    }
                    kvLen += kept;
                    if (kept > 0) {
                        pending = kept;
                        predicts = true;
                    }
                    if (!merged && kept > 0) {   // SEPARATE: the kept tokens but the last, then the last with its output
                        long e0 = System.nanoTime();
                        int[] keptTok = Arrays.copyOfRange(kv, kvLen - kept, kvLen);
                        consumer.target(tok, b, b + 1, info);
                        if (kept > 1) {
                            call(s, Arrays.copyOf(keptTok, kept - 1), kept - 1, null, t);
                        }
                        call(s, new int[]{keptTok[kept - 1]}, 0, consumer, t);
                        evaluated += kept;
                        t.reevalNanos += System.nanoTime() - e0;
                        t.reevalTokens += kept;
                        pending = 0;
                        predicts = false;
                    }
                } else {
                    System.arraycopy(tok, a, kv, kvLen, b - a);
                    kvLen += b - a;
                }
                u = uEnd;
                if (options.progress() != null) {
                    options.progress().scored(b, nTok, System.nanoTime() - start);
                }
            }
            long[] e = s.evaluateNanos();
            t.decodeNanos = e[0] - before[0];
            t.outputNanos = e[1] - before[1];
            t.graphsReused = s.graphsReused() - reused0;
            done = true;
        } finally {
            if (!done) {   // a failed call may leave the cache half-written: the next one starts afresh
                close();
            }
        }
        // the reduction ran inside the evaluate calls: count it apart from them
        t.reduceNanos = consumer.reduceNanos;
        t.reducedRows = consumer.rows;
        t.onDevice = onDevice;
        t.merged = merged;
        t.passNanos -= consumer.reduceNanos;
        t.totalNanos = System.nanoTime() - t0;
        time = t;
        return evaluated;
    }

    /** One evaluate call (llama_decode calls of n_batch tokens each), counted. */
    private static void call(Session s, int[] tokens, int firstOutput, Session.LogitsRows rows, ScoringTime t) {
        s.evaluate(tokens, firstOutput, rows);
        t.calls += (tokens.length + s.batchSize() - 1) / s.batchSize();
    }

    /** Where the last {@link #score} call spent its time. */
    ScoringTime time() {
        return time;
    }

    /** Frees the kept session and its sampler; the next call opens new ones. */
    @Override
    public void close() {
        try {
            if (session != null) {
                session.close();
            }
        } finally {
            session = null;
            if (device != null) {
                device.close();
                device = null;
            }
        }
    }
}
