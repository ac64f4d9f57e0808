package io.ctxbench.compress;

import io.ctxbench.CtxbenchException;

import java.util.Locale;

/**
 * How much context to keep, in the target model's tokens: either a compression rate ({@code 2.0} = keep half)
 * or an absolute token budget. Exactly one of {@code rate} / {@code tokens} is set (the other is 0).
 */
public record CompressionTarget(double rate, int tokens) {
    public CompressionTarget {
        boolean byRate = rate != 0;
        boolean byTokens = tokens != 0;
        if (byRate == byTokens) {
            throw new CtxbenchException("give either a compression rate or a token budget, not both / neither");
        }
        if (byRate && (!(rate >= 1.0) || Double.isInfinite(rate))) {
            throw new CtxbenchException("the compression rate must be a finite number >= 1.0 (2.0 keeps half), got " + rate);
        }
        if (byTokens && tokens < 0) {
            throw new CtxbenchException("the token budget must be positive, got " + tokens);
        }
    }

    /** Keep 1/rate of the context tokens. */
    public static CompressionTarget rate(double rate) {
        return new CompressionTarget(checkRate(rate, String.valueOf(rate)), 0);
    }

    /** The rate, or an error naming the range and what was given (a rate of 0 must not read as "no rate given"). */
    private static double checkRate(double rate, String given) {
        if (!(rate >= 1.0) || Double.isInfinite(rate)) {
            throw new CtxbenchException("the compression rate must be a finite number >= 1 (2 keeps half; or give a token "
                    + "budget such as 500t), got " + given);
        }
        return rate;
    }

    /** Keep at most this many context tokens. */
    public static CompressionTarget tokens(int budget) {
        if (budget <= 0) {
            throw new CtxbenchException("the token budget must be positive, got " + budget);
        }
        return new CompressionTarget(0, budget);
    }

    /** Parses "2x", "2.5x", "2.0" (a rate) or "500t" / "500 tokens" (a budget). */
    public static CompressionTarget parse(String s) {
        String t = s == null ? "" : s.strip().toLowerCase(Locale.ROOT);
        try {
            if (t.endsWith("tokens")) {
                return tokens(Integer.parseInt(t.substring(0, t.length() - 6).strip()));
            }
            if (t.endsWith("t")) {
                return tokens(Integer.parseInt(t.substring(0, t.length() - 1).strip()));
            }
            if (t.endsWith("x")) {
                t = t.substring(0, t.length() - 1).strip();
            }
            return new CompressionTarget(checkRate(Double.parseDouble(t), s.strip()), 0);
        } catch (NumberFormatException e) {
            throw new CtxbenchException("cannot read the compression target '" + s + "': use a rate such as 2x or a token budget such as 500t");
        }
    }

    /** Tokens to keep out of {@code original}: ceil(original / rate), or the budget; never more than original. */
    public int budgetFor(int original) {
        if (original <= 0) {
            return 0;
        }
        long b = tokens != 0 ? tokens : (long) Math.ceil(original / rate - 1e-9);
        return (int) Math.max(1, Math.min(original, b));
    }

    @Override
    public String toString() {
        return tokens != 0 ? tokens + " tokens" : String.format(Locale.ROOT, "%.3gx", rate);
    }
}
