package io.ctxbench.score;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * How closely a method's next-token distribution follows the baseline's on the same token sequence: per position,
 * the KL divergence {@code KL(P_base || P_method) = sum_v p_base(v) (log p_base(v) - log p_method(v))} in nats and
 * whether both distributions have the same most likely token (top-1 agreement). Log-softmax is computed in double
 * from the raw float logits.
 */
public final class Fidelity {
    private Fidelity() {
    }

    /** Log-softmax of {@code n} float logits into {@code out}; returns the index of the largest logit. */
    public static int logSoftmax(MemorySegment logits, int n, double[] out) {
        double max = Double.NEGATIVE_INFINITY;
        int arg = 0;
        for (int i = 0; i < n; i++) {
            double v = logits.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            out[i] = v;
            if (v > max) {
                max = v;
                arg = i;
            }
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(out[i] - max);
        }
        double lse = max + Math.log(sum);
        for (int i = 0; i < n; i++) {
            out[i] -= lse;
        }
        return arg;
    }

    /** Log-softmax of a double array in place; returns the argmax. */
    public static int logSoftmax(double[] x) {
        double max = Double.NEGATIVE_INFINITY;
        int arg = 0;
        for (int i = 0; i < x.length; i++) {
            if (x[i] > max) {
                max = x[i];
                arg = i;
            }
        }
        double sum = 0;
        for (double v : x) {
            sum += Math.exp(v - max);
        }
        double lse = max + Math.log(sum);
        for (int i = 0; i < x.length; i++) {
            x[i] -= lse;
        }
        return arg;
    }

    /** KL(P || Q) from log-probabilities, in nats; terms where p underflows to 0 contribute 0. */
    public static double kl(double[] logP, double[] logQ, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            double p = Math.exp(logP[i]);
            if (p > 0) {
                s += p * (logP[i] - logQ[i]);
            }
        }
        return Math.max(0.0, s);
    }

    /** Running totals over positions. */
    public static final class Accumulator {
        private double klSum;
        private double klMax;
        private int agree;
        private int positions;

        public void add(double kl, boolean top1Agrees) {
            klSum += kl;
            klMax = Math.max(klMax, kl);
            if (top1Agrees) {
                agree++;
            }
            positions++;
        }

        public int positions() {
            return positions;
        }

        public double meanKl() {
            return positions == 0 ? Double.NaN : klSum / positions;
        }

        public double maxKl() {
            return klMax;
        }

        public double top1Agreement() {
            return positions == 0 ? Double.NaN : (double) agree / positions;
        }
    }
}
