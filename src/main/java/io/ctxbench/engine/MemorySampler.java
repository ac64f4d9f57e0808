package io.ctxbench.engine;

import java.util.List;

/**
 * Samples every device's memory on a daemon thread while a generation runs, keeping the highest use seen
 * per device. It touches nothing the decode loop uses, so the loop is not slowed beyond the cost of
 * {@code ggml_backend_dev_memory} on another thread every few milliseconds.
 */
final class MemorySampler {
    /** Peak used bytes per device index, from the snapshots taken. */
    record Result(List<Devices.Memory> peakUsed) {
    }

    private final Thread thread;
    private volatile boolean running = true;
    private Devices.Memory[] peak;

    private MemorySampler(int periodMillis) {
        sample();
        if (periodMillis > 0) {
            thread = Thread.ofPlatform().daemon().name("ctxbench-memory-sampler").start(() -> {
                while (running) {
                    sample();
                    try {
                        Thread.sleep(periodMillis);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        } else {
            thread = null;
        }
    }

    static MemorySampler start(int periodMillis) {
        return new MemorySampler(periodMillis);
    }

    private synchronized void sample() {
        List<Devices.Memory> now = Devices.memory();
        if (peak == null) {
            peak = now.toArray(Devices.Memory[]::new);
            return;
        }
        for (int i = 0; i < now.size() && i < peak.length; i++) {
            if (now.get(i).used() > peak[i].used()) {
                peak[i] = now.get(i);
            }
        }
    }

    Result stop() {
        stopQuietly();
        sample();
        synchronized (this) {
            return new Result(List.of(peak));
        }
    }

    void stopQuietly() {
        running = false;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
