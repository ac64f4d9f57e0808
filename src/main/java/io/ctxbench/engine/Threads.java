package io.ctxbench.engine;

import io.ctxbench.CtxbenchException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * CPU thread counts handed to llama.cpp. ggml's thread pool holds at most {@link #MAX} threads: far above it
 * OpenMP crashes the process (30000: SIGSEGV in libgomp), somewhat above it the decode hangs (5000), so larger
 * counts are refused before any native call. The default (0) is llama.cpp's own (common_cpu_get_num_math, the
 * llama-bench and llama-cli default on a non-hybrid x86 CPU): one thread per physical core, hyperthread siblings
 * counted once; here also at most the processors this process may use (a container's limit). llama.cpp's further
 * narrowing to the performance cores of a hybrid Intel CPU is not made.
 */
public final class Threads {
    /** GGML_MAX_N_THREADS in the pinned ggml/include/ggml.h. */
    public static final int MAX = 512;

    private static final Path SYS_CPU = Path.of("/sys/devices/system/cpu");
    private static volatile int defaultCount;

    private Threads() {
    }

    /** Why {@code n} is not a thread count llama.cpp can run, or null when it is (0 means one per physical core). */
    public static String problem(int n) {
        String advice = "give 1 to " + MAX + ", or 0 for one per physical core";
        if (n < 0) {
            return n + " threads is not a thread count: " + advice;
        }
        if (n > MAX) {
            return n + " threads is more than llama.cpp can run (GGML_MAX_N_THREADS = " + MAX + "): " + advice;
        }
        return null;
    }

    /** {@code n} itself, or for 0 {@link #defaultCount()}. @throws CtxbenchException if out of range */
    public static int resolve(int n) {
        String why = problem(n);
        if (why != null) {
            throw new CtxbenchException(why);
        }
        return n > 0 ? n : defaultCount();
    }

    /** One thread per physical core, at most the processors available to this process and {@link #MAX}. */
    public static int defaultCount() {
        int n = defaultCount;
        if (n == 0) {
            int available = Runtime.getRuntime().availableProcessors();
            n = Math.max(1, Math.min(MAX, Math.min(available, physicalCores(SYS_CPU, available))));
            defaultCount = n;
        }
        return n;
    }

    /**
     * Physical cores as llama.cpp counts them on Linux (common_cpu_get_num_physical_cores): the distinct
     * {@code cpuN/topology/thread_siblings} masks under {@code sysCpu}, for N = 0, 1, ... up to the first missing;
     * {@code fallback} where there are none (not Linux, no sysfs).
     */
    static int physicalCores(Path sysCpu, int fallback) {
        Set<String> siblings = new HashSet<>();
        for (int cpu = 0; ; cpu++) {
            Path f = sysCpu.resolve("cpu" + cpu).resolve("topology").resolve("thread_siblings");
            if (!Files.isReadable(f)) {
                break;
            }
            try {
                siblings.add(Files.readString(f).strip());
            } catch (IOException e) {
                break;
            }
        }
        return siblings.isEmpty() ? fallback : siblings.size();
    }
}
