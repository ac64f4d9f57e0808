package io.ctxbench.results;

import java.util.Locale;

/**
 * A figure with its 95% confidence interval and the number of samples behind it. {@code low}/{@code high} are NaN
 * when no interval can be given (fewer than two samples); {@code estimate} is NaN when there is no value at all.
 */
public record Interval(double estimate, double low, double high, int n) {

    public static Interval none(int n) {
        return new Interval(Double.NaN, Double.NaN, Double.NaN, n);
    }

    /** The interval lies wholly above or below 0 (a difference that the samples separate from no difference). */
    public boolean excludesZero() {
        return low > 0 || high < 0;
    }

    /** The interval lies wholly above or below 1 (for a ratio). */
    public boolean excludesOne() {
        return low > 1 || high < 1;
    }

    public boolean hasInterval() {
        return !Double.isNaN(low) && !Double.isNaN(high);
    }

    /** The same interval with every value multiplied by {@code k} (e.g. 100 for points). */
    public Interval times(double k) {
        return new Interval(estimate * k, low * k, high * k, n);
    }

    /** "12.34 [10.10, 14.50]", or "12.34" without an interval, or "-" without a value. */
    public String format(int digits) {
        if (Double.isNaN(estimate)) {
            return "-";
        }
        String f = "%." + digits + "f";
        String e = String.format(Locale.ROOT, f, estimate);
        return hasInterval() ? e + String.format(Locale.ROOT, " [" + f + ", " + f + "]", low, high) : e;
    }
}
