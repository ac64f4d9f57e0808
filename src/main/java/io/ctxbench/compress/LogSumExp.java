package io.ctxbench.compress;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.stream.IntStream;

/**
 * The numerics of self-information, -log softmax(logits)[token] in nats, for rows of logits as llama.cpp returns
 * them (one row of {@code vocab} floats per position). Per row: a copy into a reused heap buffer, the maximum, e^(x -
 * max) in place, the sum; each a plain loop over a float[] that C2 compiles to SIMD (AVX2/AVX-512 here). e^z is a
 * polynomial of z/128 raised to the 128th power by seven squarings: only multiplies and adds, which C2 vectorizes
 * (relative error below 5e-5, float rounding amplified by the squarings). The one-pass form before it (online maximum,
 * e^x from exponent bits, error 2e-4) needs float-to-int steps C2 does not vectorize: this one is 2.5-2.6x faster
 * (JMH SelfInformationBenchmark, docs/compress.md). A batch of rows is split over the cores by rows ({@link #rows}:
 * one fork-join task per slice of rows, not per row).
 */
public final class LogSumExp {
    private LogSumExp() {
    }

    /** Rows per fork-join task at least: below this a slice is not worth a task. */
    private static final int MIN_ROWS_PER_TASK = 4;

    /** Each thread's row buffer, grown to the largest vocabulary seen (the hot path allocates nothing). */
    private static final ThreadLocal<float[]> BUFFER = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * The self-information of {@code targets[targetFrom + i]} under row i of {@code logits} (rows x vocab floats) into
     * {@code out[outFrom + i]}, for i below {@code rows}; split over {@code workers} threads of the common pool when
     * there are rows enough (1 = this thread only).
     */
    public static void rows(MemorySegment logits, int rows, int vocab, int[] targets, int targetFrom, float[] out, int outFrom,
                            int workers) {
        int tasks = Math.max(1, Math.min(workers, rows / MIN_ROWS_PER_TASK));
        if (tasks == 1) {
            slice(logits, 0, rows, vocab, targets, targetFrom, out, outFrom);
            return;
        }
        IntStream.range(0, tasks).parallel().forEach(t -> slice(logits, (int) ((long) t * rows / tasks),
                (int) ((long) (t + 1) * rows / tasks), vocab, targets, targetFrom, out, outFrom));
    }

    private static void slice(MemorySegment logits, int lo, int hi, int vocab, int[] targets, int targetFrom, float[] out,
                              int outFrom) {
        long rowBytes = (long) vocab * Float.BYTES;
        float[] buf = buffer(vocab);
        for (int r = lo; r < hi; r++) {
            out[outFrom + r] = selfInformation(logits.asSlice(r * rowBytes, rowBytes), vocab, targets[targetFrom + r], buf);
        }
    }

    private static float[] buffer(int vocab) {
        float[] buf = BUFFER.get();
        if (buf.length < vocab) {
            buf = new float[vocab];
            BUFFER.set(buf);
        }
        return buf;
    }

    /** -log softmax(logits)[token], in nats, over one row of {@code vocab} floats. */
    static float selfInformation(MemorySegment logits, int vocab, int token) {
        return selfInformation(logits, vocab, token, buffer(vocab));
    }

    /** The same through {@code buf} (at least {@code vocab} floats; overwritten). */
    static float selfInformation(MemorySegment logits, int vocab, int token, float[] buf) {
        MemorySegment.copy(logits, ValueLayout.JAVA_FLOAT, 0, buf, 0, vocab);
        float m = max(buf, vocab);
        expShifted(buf, vocab, m);
        return (float) (m + Math.log(sum(buf, vocab))) - logits.getAtIndex(ValueLayout.JAVA_FLOAT, token);
    }

    private static float max(float[] x, int n) {
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

    /** x[j] = e^(x[j] - m) for x[j] &lt;= m, flushed to about e^-87 below that (a term that cannot move the sum). */
    private static void expShifted(float[] x, int n, float m) {
        for (int j = 0; j < n; j++) {
            x[j] = expPoly(Math.max(x[j] - m, -87f));
        }
    }

    /** e^x for -87 &lt;= x &lt;= 0: (degree-8 Taylor polynomial of x/128)^128; relative error below 5e-5. */
    static float expPoly(float x) {
        float z = x * 0.0078125f;
        float p = 1f + z * (1f + z * (0.5f + z * (1f / 6 + z * (1f / 24 + z * (1f / 120 + z * (1f / 720
                + z * (1f / 5040 + z * (1f / 40320))))))));
        p *= p;
        p *= p;
        p *= p;
        p *= p;
        p *= p;
        p *= p;
        return p * p;
    }

    private static double sum(float[] x, int n) {
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
        return ((double) s0 + s1 + s2 + s3) + ((double) s4 + s5 + s6 + s7);
    }
}
