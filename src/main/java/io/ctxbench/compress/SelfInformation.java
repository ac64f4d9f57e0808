package io.ctxbench.compress;

import io.ctxbench.engine.Session;
import io.ctxbench.engine.TargetLogProbs;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Receives the logits rows of an evaluate call and writes the self-information of the tokens they predict into an
 * array ({@link LogSumExp#rows}): the rows of each decoded batch are split over the cores, each row reduced in
 * vectorized passes over a reused buffer; or, with {@link #reduceOn}, takes the rows' log p(target) llama.cpp computed
 * in its graph. Counts the time it spends reducing and the rows.
 */
final class SelfInformation implements Session.LogitsRows {
    private final int vocab;
    private final int workers;
    private int[] tokens;
    private int next;        // the token the next row predicts
    private int to;
    private float[] info;
    long reduceNanos;        // time spent reducing, and rows reduced, since the owner last reset them
    long rows;

    SelfInformation(int vocab) {
        this(vocab, Runtime.getRuntime().availableProcessors());
    }

    SelfInformation(int vocab, int workers) {
        this.vocab = vocab;
        this.workers = workers;
    }

    /** Null, or where the rows are reduced in llama.cpp's graph: each row is then one float, log p(target). */
    private TargetLogProbs device;

    /** Rows come as log p(target) from {@code t} (a session opened with it), or as logits again after null. */
    void reduceOn(TargetLogProbs t) {
        this.device = t;
    }

    /** The next evaluate call's rows predict tokens[from], tokens[from+1], ... up to (not including) {@code to}. */
    void target(int[] tokens, int from, int to, float[] info) {
        this.tokens = tokens;
        this.next = from;
        this.to = to;
        this.info = info;
        if (device != null) {
            device.expect(tokens, from, to);
        }
    }

    @Override
    public void accept(int firstPosition, int n, MemorySegment logits) {
        int use = Math.min(n, to - next);
        if (use > 0 && device != null) {
            for (int i = 0; i < use; i++) {
                info[next + i] = -logits.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            }
            rows += use;
        } else if (use > 0) {
            long t0 = System.nanoTime();
            LogSumExp.rows(logits, use, vocab, tokens, next, info, next, workers);
            reduceNanos += System.nanoTime() - t0;
            rows += use;
        }
        next += n;
    }
}
