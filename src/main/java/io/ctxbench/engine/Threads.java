package io.ctxbench.engine;

import io.ctxbench.CtxbenchException;

/**
 * CPU thread counts handed to llama.cpp. ggml's thread pool holds at most {@link #MAX} threads: far above it
 * OpenMP crashes the process (30000: SIGSEGV in libgomp), somewhat above it the decode hangs (5000), so larger
 * counts are refused before any native call.
 */
public final class Threads {
    /** GGML_MAX_N_THREADS in the pinned ggml/include/ggml.h. */
    public static final int MAX = 512;

    private Threads() {
    }

    /** Why {@code n} is not a thread count llama.cpp can run, or null when it is (0 means one per processor). */
    public static String problem(int n) {
        String advice = "give 1 to " + MAX + ", or 0 for one per processor";
        if (n < 0) {
            return n + " threads is not a thread count: " + advice;
        }
        if (n > MAX) {
            return n + " threads is more than llama.cpp can run (GGML_MAX_N_THREADS = " + MAX + "): " + advice;
        }
        return null;
    }

    /** {@code n} itself, or for 0 one per available processor (at most {@link #MAX}). @throws CtxbenchException if out of range */
    public static int resolve(int n) {
        String why = problem(n);
        if (why != null) {
            throw new CtxbenchException(why);
        }
        return n > 0 ? n : Math.min(MAX, Runtime.getRuntime().availableProcessors());
    }
}
