package io.ctxbench.compress;

import io.ctxbench.engine.Session;

import java.lang.foreign.MemorySegment;

/**
 * Receives the logits rows of an evaluate call and writes the self-information of the tokens they predict into an
 * array ({@link LogSumExp#rows}): the rows of each decoded batch are split over the cores, each row reduced in
 * vectorized passes over a reused buffer. Counts the time it spends and the rows it reduces.
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

    /** The next evaluate call's rows predict tokens[from], tokens[from+1], ... up to (not including) {@code to}. */
    void target(int[] tokens, int from, int to, float[] info) {
        this.tokens = tokens;
        this.next = from;
        this.to = to;
        this.info = info;
    }

    @Override
    public void accept(int firstPosition, int n, MemorySegment logits) {
        int use = Math.min(n, to - next);
        if (use > 0) {
            long t0 = System.nanoTime();
            LogSumExp.rows(logits, use, vocab, tokens, next, info, next, workers);
            reduceNanos += System.nanoTime() - t0;
            rows += use;
        }
        next += n;
    }
}
