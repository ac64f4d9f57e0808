package io.ctxbench.compress;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The numerics of self-information, -log softmax(logits)[token] in nats: one pass over the vocabulary with an
 * online maximum and a rescaled sum (log-sum-exp), in partials that can be computed over slices of the vocabulary
 * and merged, and a polynomial e^x (relative error below 2e-4). Reads the native logits directly; allocates nothing
 * per vocabulary entry.
 */
final class LogSumExp {
    private LogSumExp() {
    }

    /** -log softmax(logits)[token], in nats: one pass, online max and rescaled sum (allocates two 1-slot arrays). */
    static float selfInformation(MemorySegment logits, int vocab, int token) {
        float[] mx = new float[1], sm = new float[1];
        partial(logits, 0, vocab, mx, sm, 0);
        return fromPartials(mx, sm, 1, logits.getAtIndex(ValueLayout.JAVA_FLOAT, token));
    }

    /** Online max and rescaled sum of e^x over logits[lo, hi), into mx[slot] and sm[slot]. */
    static void partial(MemorySegment logits, int lo, int hi, float[] mx, float[] sm, int slot) {
        float m = Float.NEGATIVE_INFINITY;
        float sum = 0f;
        for (int j = lo; j < hi; j++) {
            float x = logits.getAtIndex(ValueLayout.JAVA_FLOAT, j);
            if (x > m) {
                sum = sum * expNeg(m - x) + 1f;
                m = x;
            } else {
                sum += expNeg(x - m);
            }
        }
        mx[slot] = m;
        sm[slot] = sum;
    }

    /** log-sum-exp merged from the first {@code n} partials, minus the target's logit. */
    static float fromPartials(float[] mx, float[] sm, int n, float targetLogit) {
        float m = Float.NEGATIVE_INFINITY;
        for (int c = 0; c < n; c++) {
            m = Math.max(m, mx[c]);
        }
        double sum = 0;
        for (int c = 0; c < n; c++) {
            sum += sm[c] * Math.exp(mx[c] - m);
        }
        return (float) (m + Math.log(sum)) - targetLogit;
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
