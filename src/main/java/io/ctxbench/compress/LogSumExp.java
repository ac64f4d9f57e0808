package io.ctxbench.compress;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.stream.IntStream;

/**
 * The numerics of self-information, -log softmax(logits)[token] in nats, for rows of logits as llama.cpp returns
 * them (one row of {@code vocab} floats per position): per row, one pass with an online maximum and a rescaled sum
 * (log-sum-exp) and a polynomial e^x (relative error below 2e-4), reading the native memory directly. A batch of rows
 * is split over the cores by rows ({@link #rows}: one fork-join task per slice of rows, not per row).
 *
 * <p>Measured against a two-pass form (maximum, then the sum of e^(x - max) over a heap copy of the row, loops meant
 * for the JIT's SIMD): C2 does not vectorize the polynomial's float-to-int steps, and the extra passes made it 1.5x
 * slower than this one (docs/compress.md); the Vector API would need an incubator module on every launch path.
 */
public final class LogSumExp {
    private LogSumExp() {
    }

    /** Rows per fork-join task at least: below this a slice is not worth a task. */
    private static final int MIN_ROWS_PER_TASK = 4;

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
        for (int r = lo; r < hi; r++) {
            out[outFrom + r] = selfInformation(logits.asSlice(r * rowBytes, rowBytes), vocab, targets[targetFrom + r]);
        }
    }

    /** -log softmax(logits)[token], in nats, over one row of {@code vocab} floats: one pass, online max and rescaled sum. */
    static float selfInformation(MemorySegment logits, int vocab, int token) {
        float m = Float.NEGATIVE_INFINITY;
        float sum = 0f;
        for (int j = 0; j < vocab; j++) {
            float x = logits.getAtIndex(ValueLayout.JAVA_FLOAT, j);
            if (x > m) {
                sum = sum * expNeg(m - x) + 1f;
                m = x;
            } else {
                sum += expNeg(x - m);
            }
        }
        return (float) (m + Math.log(sum)) - logits.getAtIndex(ValueLayout.JAVA_FLOAT, token);
    }

    /** e^x for x &lt;= 0 (0 below -87): 2^(x log2 e) with a degree-5 polynomial for the fraction; rel. error &lt; 2e-4. */
    static float expNeg(float x) {
        if (!(x > -87f)) {
            return 0f;
        }
        float t = x * 1.442695041f;
        int i = (int) t;
        if (t < i) {
            i--;
        }
        float f = t - i;
        float p = 1f + f * (0.6931472f + f * (0.2402265f + f * (0.05550411f + f * (0.009618129f + f * 0.001333355f))));
        return Float.intBitsToFloat(Float.floatToRawIntBits(p) + (i << 23));
    }
}
