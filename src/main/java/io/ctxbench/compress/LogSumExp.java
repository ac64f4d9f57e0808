package io.ctxbench.compress;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.stream.IntStream;

/**
 * The numerics of self-information, -log softmax(logits)[token] in nats, for rows of logits as llama.cpp returns
 * them (one row of {@code vocab} floats per position): per row, the maximum, then the sum of e^(x - max) with a
 * polynomial e^x (relative error below 2e-4), both as plain loops over a heap copy of the row that the JIT turns
 * into SIMD code, and log-sum-exp minus the target's logit. A batch of rows is split over the cores by rows
 * ({@link #rows}: one fork-join task per slice of rows, not per row), each worker with its own row buffer.
 */
public final class LogSumExp {
    private LogSumExp() {
    }

    /** Rows per fork-join task at least: below this a slice is not worth a task. */
    private static final int MIN_ROWS_PER_TASK = 4;

    /**
     * The self-information of {@code targets[i]} under row i of {@code logits} (rows x vocab floats) into
     * {@code out[outFrom + i]}, for i below {@code rows}; split over {@code workers} threads of the common pool
     * when there are rows enough (1 = this thread only).
     */
    public static void rows(MemorySegment logits, int rows, int vocab, int[] targets, int targetFrom, float[] out, int outFrom,
                            int workers) {
        int tasks = Math.max(1, Math.min(workers, rows / MIN_ROWS_PER_TASK));
        if (tasks == 1) {
            slice(logits, 0, rows, vocab, targets, targetFrom, out, outFrom, new float[vocab]);
            return;
        }
        IntStream.range(0, tasks).parallel().forEach(t -> slice(logits, (int) ((long) t * rows / tasks),
                (int) ((long) (t + 1) * rows / tasks), vocab, targets, targetFrom, out, outFrom, new float[vocab]));
    }

    private static void slice(MemorySegment logits, int lo, int hi, int vocab, int[] targets, int targetFrom, float[] out,
                              int outFrom, float[] buf) {
        for (int r = lo; r < hi; r++) {
            MemorySegment.copy(logits, ValueLayout.JAVA_FLOAT, (long) r * vocab * Float.BYTES, buf, 0, vocab);
            out[outFrom + r] = selfInformation(buf, vocab, targets[targetFrom + r]);
        }
    }

    /** -log softmax(x)[token] in nats over x[0, n): the row's max, the sum of e^(x - max), one pass each. */
    static float selfInformation(float[] x, int n, int token) {
        float m = max(x, n);
        if (m == Float.NEGATIVE_INFINITY) {
            return Float.POSITIVE_INFINITY;
        }
        float target = x[token];   // read first: sumExp overwrites x
        return m + (float) Math.log(sumExp(x, n, m)) - target;
    }

    /** -log softmax(logits)[token] of one native row of {@code vocab} floats (allocates a row buffer: tests, one-offs). */
    static float selfInformation(MemorySegment logits, int vocab, int token) {
        float[] buf = new float[vocab];
        MemorySegment.copy(logits, ValueLayout.JAVA_FLOAT, 0, buf, 0, vocab);
        return selfInformation(buf, vocab, token);
    }

    static float max(float[] x, int n) {
        float m0 = Float.NEGATIVE_INFINITY, m1 = m0, m2 = m0, m3 = m0;
        int j = 0;
        for (; j + 4 <= n; j += 4) {
            m0 = Math.max(m0, x[j]);
            m1 = Math.max(m1, x[j + 1]);
            m2 = Math.max(m2, x[j + 2]);
            m3 = Math.max(m3, x[j + 3]);
        }
        for (; j < n; j++) {
            m0 = Math.max(m0, x[j]);
        }
        return Math.max(Math.max(m0, m1), Math.max(m2, m3));
    }

    /** Sum of e^(x[j] - m) over j below n, x[j] &lt;= m; x is overwritten with the terms. */
    static float sumExp(float[] x, int n, float m) {
        for (int j = 0; j < n; j++) {
            x[j] = expNeg(x[j] - m);
        }
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int j = 0;
        for (; j + 8 <= n; j += 8) {
            s0 += x[j];
            s1 += x[j + 1];
            s2 += x[j + 2];
            s3 += x[j + 3];
            s4 += x[j + 4];
            s5 += x[j + 5];
            s6 += x[j + 6];
            s7 += x[j + 7];
        }
        for (; j < n; j++) {
            s0 += x[j];
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    /**
     * e^x for x &lt;= 0, branch-free: 2^(x log2 e) as 2^i (built in the exponent bits) times a degree-5 polynomial
     * of the fraction; relative error below 2e-4; below -87 (and -inf, NaN aside) it returns e^-87 ~ 1.6e-38 times
     * the polynomial, nothing next to a sum that holds e^0 = 1.
     */
    static float expNeg(float x) {
        float t = Math.max(x, -87f) * 1.442695041f;      // in [-125.6, 0]
        int i = (int) (t + 126f) - 126;                  // floor(t): truncation of a positive number
        float f = t - i;
        float p = 1f + f * (0.6931472f + f * (0.2402265f + f * (0.05550411f + f * (0.009618129f + f * 0.001333355f))));
        return Float.intBitsToFloat(Float.floatToRawIntBits(p) + (i << 23));
    }
}
