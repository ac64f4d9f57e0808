package io.ctxbench.experiment;

import java.io.PrintStream;

/** Progress with ETA on stderr: one line per sample done or skipped. */
final class Progress {
    private final int total;
    private final PrintStream err;
    private final long t0 = System.nanoTime();
    private int done, skippedCount;
    private String what = "";

    Progress(int total, PrintStream err) {
        this.total = total;
        this.err = err;
    }

    void starting(String method, String task, String id) {
        what = method + " " + task + " " + id;
    }

    void done() {
        done++;
        print();
    }

    void skip() {
        skippedCount++;
        print();
    }

    private void print() {
        int finished = done + skippedCount;
        double el = (System.nanoTime() - t0) / 1e9;
        double eta = finished == 0 ? 0 : el / finished * (total - finished);
        err.printf("eval: [%d/%d] %s  elapsed %s, ETA %s%n", finished, total, what, fmt(el), fmt(eta));
        err.flush();
    }

    static String fmt(double s) {
        long x = Math.round(s);
        return x >= 3600 ? String.format("%dh%02dm", x / 3600, x % 3600 / 60)
                : x >= 60 ? String.format("%dm%02ds", x / 60, x % 60) : x + "s";
    }
}
