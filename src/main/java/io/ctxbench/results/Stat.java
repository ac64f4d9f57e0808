package io.ctxbench.results;

import java.util.Arrays;

/** Mean and sample standard deviation of repeated measurements, with the runs themselves. */
public record Stat(double mean, double stddev, double[] runs) {

    public static Stat of(double[] v) {
        if (v.length == 0) {
            return null;
        }
        double s = 0;
        for (double x : v) {
            s += x;
        }
        double m = s / v.length;
        double q = 0;
        for (double x : v) {
            q += (x - m) * (x - m);
        }
        return new Stat(m, v.length < 2 ? 0 : Math.sqrt(q / (v.length - 1)), v.clone());
    }

    @Override
    public String toString() {
        return mean + " ± " + stddev + " " + Arrays.toString(runs);
    }
}
