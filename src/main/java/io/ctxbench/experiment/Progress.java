package io.ctxbench.experiment;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Progress with ETA on stderr: one line per sample done or skipped, and inside a long sample a line every
 * {@link #TICK_MS} ms saying how far it is (from {@link #inside}). The ETA counts the samples left in each pass at
 * that pass's own pace: batch-1 (cost pass) samples at the seconds each took, parallel (quality pass) samples at the
 * wall time between their completions; a pass with nothing done yet is guessed from the other (a quality-pass sample
 * as a batch-1 one over the sequences in flight).
 */
final class Progress implements AutoCloseable {
    static final long TICK_MS = 10_000;

    private final int costTotal, qualityTotal;
    private final int parallel;
    private final PrintStream err;
    private final long t0 = System.nanoTime();
    private final Thread ticker;
    private int costDone, qualityDone, costSkipped, qualitySkipped;
    private double costSeconds, qualitySeconds;
    private long lastEvent = t0;
    private volatile String what = "";
    private volatile long sampleStart;
    private volatile Supplier<String> inside;

    /**
     * @param costTotal    samples that will run at batch 1
     * @param qualityTotal samples that will run in the parallel quality pass
     * @param parallel     sequences in flight in the quality pass (for the first guess of its pace)
     */
    Progress(int costTotal, int qualityTotal, int parallel, PrintStream err) {
        this.costTotal = costTotal;
        this.qualityTotal = qualityTotal;
        this.parallel = Math.max(1, parallel);
        this.err = err;
        this.ticker = Thread.ofPlatform().daemon().name("eval-progress").start(this::tick);
    }

    /** A batch-1 sample starts; {@code inside}, if given, says how far it is while it runs. */
    synchronized void starting(String method, String task, String id, Supplier<String> inside) {
        what = method + " " + task + " " + id;
        sampleStart = System.nanoTime();
        lastEvent = sampleStart;
        this.inside = inside;
    }

    /** The quality pass of a method starts: its progress comes through {@link #passProgress}. */
    synchronized void passStarting(String method) {
        what = method + " quality pass";
        inside = null;
        lastEvent = System.nanoTime();
    }

    synchronized void done(boolean quality, String label) {
        long now = System.nanoTime();
        double s = (now - lastEvent) / 1e9;
        lastEvent = now;
        inside = null;
        if (quality) {
            qualityDone++;
            qualitySeconds += s;
            what = label;
        } else {
            costDone++;
            costSeconds += s;
        }
        print();
    }

    synchronized void skip(boolean quality) {
        if (quality) {
            qualitySkipped++;
        } else {
            costSkipped++;
        }
        inside = null;
        lastEvent = System.nanoTime();
        print();
    }

    /** A line of the quality pass's own progress (tokens and rate), printed as given. */
    void passProgress(String line) {
        err.println("eval:   " + line);
        err.flush();
    }

    private void print() {
        int finished = costDone + qualityDone + costSkipped + qualitySkipped;
        double el = (System.nanoTime() - t0) / 1e9;
        err.printf("eval: [%d/%d] %s  elapsed %s, ETA %s%n", finished, costTotal + qualityTotal, what, fmt(el), fmt(eta()));
        err.flush();
    }

    /** Seconds left: each pass's samples left at its pace so far (or the other pass's, scaled, before it has one). */
    double eta() {
        double perCost = costDone > 0 ? costSeconds / costDone : qualityDone > 0 ? qualitySeconds / qualityDone * parallel : 0;
        double perQuality = qualityDone > 0 ? qualitySeconds / qualityDone : perCost / parallel;
        int costLeft = Math.max(0, costTotal - costDone - costSkipped);
        int qualityLeft = Math.max(0, qualityTotal - qualityDone - qualitySkipped);
        return costLeft * perCost + qualityLeft * perQuality;
    }

    private void tick() {
        try {
            while (true) {
                Thread.sleep(TICK_MS);
                Supplier<String> in = inside;
                long since = System.nanoTime() - sampleStart;
                if (in != null && since >= TICK_MS * 1_000_000L) {
                    String s = in.get();
                    if (inside == in) {
                        err.printf(Locale.ROOT, "eval:   %s: %s, %s into the sample%n", what, s, fmt(since / 1e9));
                        err.flush();
                    }
                }
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    @Override
    public void close() {
        ticker.interrupt();
    }

    static String fmt(double s) {
        long x = Math.round(s);
        return x >= 3600 ? String.format("%dh%02dm", x / 3600, x % 3600 / 60)
                : x >= 60 ? String.format("%dm%02ds", x / 60, x % 60) : x + "s";
    }
}
