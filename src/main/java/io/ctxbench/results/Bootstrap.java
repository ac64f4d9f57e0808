package io.ctxbench.results;

import org.apache.commons.math3.stat.descriptive.rank.Percentile;

import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * 95% confidence intervals by the percentile bootstrap over samples: the statistic is recomputed on
 * {@link #RESAMPLES} resamples (samples drawn with replacement, same count) and the interval is the 2.5th and
 * 97.5th percentile of those values (linear interpolation, numpy's default). The random stream has a fixed seed, so
 * the same records always give the same interval. Paired statistics resample pairs (the same sample of both methods
 * together), which is what separates two methods run on the same samples.
 */
public final class Bootstrap {
    public static final int RESAMPLES = 2000;
    private static final long SEED = 20261202L;

    private Bootstrap() {
    }

    /** The mean of {@code x}, NaN values left out. */
    public static Interval mean(double[] x) {
        double[] v = finite(x);
        return of(v.length, idx -> {
            double s = 0;
            for (int i : idx) {
                s += v[i];
            }
            return s / idx.length;
        });
    }

    /** The mean of the paired differences {@code a[i] - b[i]} (pairs where either is NaN left out). */
    public static Interval meanDifference(double[] a, double[] b) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - b[i];
        }
        return mean(d);
    }

    /**
     * {@code sum(num) / sum(den)} over pairs (e.g. generated tokens over decode seconds: throughput as total tokens
     * over total time), pairs where either is NaN left out.
     */
    public static Interval ratioOfSums(double[] num, double[] den) {
        int n = 0;
        double[] a = new double[num.length], b = new double[num.length];
        for (int i = 0; i < num.length; i++) {
            if (Double.isFinite(num[i]) && Double.isFinite(den[i])) {
                a[n] = num[i];
                b[n++] = den[i];
            }
        }
        return of(n, idx -> {
            double s = 0, t = 0;
            for (int i : idx) {
                s += a[i];
                t += b[i];
            }
            return t > 0 ? s / t : Double.NaN;
        });
    }

    /**
     * {@code (sum(numA) / sum(denA)) / (sum(numB) / sum(denB))} over pairs: the ratio of two methods' total-over-total
     * figures on the same samples (e.g. throughput of a method over the baseline's), pairs resampled together; pairs
     * where any value is NaN left out.
     */
    public static Interval ratioOfRatios(double[] numA, double[] denA, double[] numB, double[] denB) {
        int n = 0;
        double[][] v = new double[4][numA.length];
        for (int i = 0; i < numA.length; i++) {
            if (Double.isFinite(numA[i]) && Double.isFinite(denA[i]) && Double.isFinite(numB[i]) && Double.isFinite(denB[i])) {
                v[0][n] = numA[i];
                v[1][n] = denA[i];
                v[2][n] = numB[i];
                v[3][n++] = denB[i];
            }
        }
        return of(n, idx -> {
            double[] s = new double[4];
            for (int i : idx) {
                for (int k = 0; k < 4; k++) {
                    s[k] += v[k][i];
                }
            }
            return s[1] > 0 && s[2] > 0 && s[3] > 0 ? s[0] / s[1] / (s[2] / s[3]) : Double.NaN;
        });
    }

    /** The median of {@code x} (NaN left out), with its bootstrap interval. */
    public static Interval median(double[] x) {
        double[] v = finite(x);
        return of(v.length, idx -> {
            double[] r = new double[idx.length];
            for (int k = 0; k < idx.length; k++) {
                r[k] = v[idx[k]];
            }
            return percentile(r, 50);
        });
    }

    /**
     * Any statistic of {@code n} samples, given as a function of the indices of a (re)sample: its value on all
     * samples and the bootstrap interval; no interval below two samples.
     */
    public static Interval of(int n, ToDoubleFunction<int[]> statistic) {
        if (n == 0) {
            return Interval.none(0);
        }
        int[] all = new int[n];
        for (int i = 0; i < n; i++) {
            all[i] = i;
        }
        double estimate = statistic.applyAsDouble(all);
        if (n < 2) {
            return new Interval(estimate, Double.NaN, Double.NaN, n);
        }
        SplittableRandom r = new SplittableRandom(SEED);
        double[] values = new double[RESAMPLES];
        int[] idx = new int[n];
        int m = 0;
        for (int b = 0; b < RESAMPLES; b++) {
            for (int i = 0; i < n; i++) {
                idx[i] = r.nextInt(n);
            }
            double v = statistic.applyAsDouble(idx);
            if (!Double.isNaN(v)) {
                values[m++] = v;
            }
        }
        if (m == 0) {
            return new Interval(estimate, Double.NaN, Double.NaN, n);
        }
        double[] kept = java.util.Arrays.copyOf(values, m);
        return new Interval(estimate, percentile(kept, 2.5), percentile(kept, 97.5), n);
    }

    /**
     * The mean over groups of each group's mean (NaN values left out, and a group left without values), e.g. RULER's
     * average over tasks: a stratified bootstrap, each group resampled within itself at its own size, so every
     * resample weighs the groups as the estimate does. No interval unless every group has two or more values (a
     * group of one would count as certain). {@code n} of the result is the number of values.
     */
    public static Interval meanOfMeans(java.util.List<double[]> groups) {
        java.util.List<double[]> g = groups.stream().map(Bootstrap::finite).filter(v -> v.length > 0).toList();
        int n = g.stream().mapToInt(v -> v.length).sum();
        if (g.isEmpty()) {
            return Interval.none(0);
        }
        double estimate = g.stream().mapToDouble(v -> java.util.Arrays.stream(v).average().orElseThrow()).average().orElseThrow();
        if (g.stream().anyMatch(v -> v.length < 2)) {
            return new Interval(estimate, Double.NaN, Double.NaN, n);
        }
        SplittableRandom r = new SplittableRandom(SEED);
        double[] values = new double[RESAMPLES];
        for (int b = 0; b < RESAMPLES; b++) {
            double sum = 0;
            for (double[] v : g) {
                double s = 0;
                for (int i = 0; i < v.length; i++) {
                    s += v[r.nextInt(v.length)];
                }
                sum += s / v.length;
            }
            values[b] = sum / g.size();
        }
        return new Interval(estimate, percentile(values, 2.5), percentile(values, 97.5), n);
    }

    /** The p-th percentile with numpy's default (linear) interpolation. */
    static double percentile(double[] v, double p) {
        return new Percentile().withEstimationType(Percentile.EstimationType.R_7).evaluate(v, p);
    }

    private static double[] finite(double[] x) {
        return java.util.Arrays.stream(x).filter(Double::isFinite).toArray();
    }
}
