package io.ctxbench.engine;

import io.ctxbench.CtxbenchException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine's own check of thread counts, behind the CLI's: nothing above GGML_MAX_N_THREADS reaches llama.cpp. */
class ThreadsTest {
    @Test
    void sessionParamsRefuseCountsLlamaCppCannotRun() {
        Session.Params p = Session.Params.of(512);
        for (int n : new int[]{30000, 513, -1, Integer.MIN_VALUE}) {
            CtxbenchException e = assertThrows(CtxbenchException.class, () -> p.withThreads(n), "threads " + n);
            assertTrue(e.getMessage().contains(n + " threads") && e.getMessage().contains("give 1 to 512"), e.getMessage());
        }
        assertEquals(512, p.withThreads(512).threads());
        assertEquals(1, p.withThreads(1).threads());
        assertEquals(Math.min(512, Runtime.getRuntime().availableProcessors()), p.withThreads(0).threads());
    }
}
