package io.ctxbench.engine;

/**
 * Bounds the time a generation may go without progress. llama.cpp's RPC client has no timeouts: a server that
 * stops answering would hang the decode call forever. The loop calls {@link #tick()} (one volatile store) per
 * token; when no tick comes for the timeout, the watchdog prints what happened and halts the JVM with
 * {@link #EXIT_CODE} (a native call cannot be interrupted from Java). Results already written stay on disk.
 */
final class Watchdog implements AutoCloseable {
    static final int EXIT_CODE = 75;

    private final Thread thread;
    private volatile long last = System.nanoTime();
    private volatile boolean running = true;

    private Watchdog(String what, long timeoutNanos) {
        thread = Thread.ofPlatform().daemon().name("ctxbench-watchdog").start(() -> {
            while (running) {
                try {
                    Thread.sleep(Math.min(1000, Math.max(10, timeoutNanos / 4_000_000)));
                } catch (InterruptedException e) {
                    return;
                }
                if (running && System.nanoTime() - last > timeoutNanos) {
                    System.err.println("ctxbench: no progress for " + timeoutNanos / 1_000_000_000 + " s during " + what
                            + ": an RPC server stopped answering; giving up");
                    System.err.flush();
                    Runtime.getRuntime().halt(EXIT_CODE);
                }
            }
        });
    }

    static Watchdog start(String what, int timeoutSeconds) {
        return new Watchdog(what, timeoutSeconds * 1_000_000_000L);
    }

    void tick() {
        last = System.nanoTime();
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
