package io.ctxbench.cli;

import java.util.Locale;

/** Human-readable numbers for text output (JSON output keeps raw values). */
final class Format {
    private Format() {
    }

    static String bytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = b;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.2f %s", v, units[u]);
    }

    static String num(double v) {
        return String.format(Locale.ROOT, v >= 100 ? "%.1f" : "%.2f", v);
    }
}
