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
        assertEquals(Threads.defaultCount(), p.withThreads(0).threads());
        assertTrue(Threads.defaultCount() >= 1 && Threads.defaultCount() <= Runtime.getRuntime().availableProcessors());
    }

    /** The default counts physical cores as llama.cpp does: hyperthread siblings once, from sysfs. */
    @Test
    void physicalCoresCountThreadSiblingMasksOnce(@org.junit.jupiter.api.io.TempDir java.nio.file.Path sys) throws Exception {
        // 4 cores with 2 hyperthreads each, numbered as Linux does (cpu0-3 first threads, cpu4-7 their siblings)
        String[] masks = {"11", "22", "44", "88", "11", "22", "44", "88"};
        for (int cpu = 0; cpu < masks.length; cpu++) {
            java.nio.file.Path t = java.nio.file.Files.createDirectories(sys.resolve("cpu" + cpu).resolve("topology"));
            java.nio.file.Files.writeString(t.resolve("thread_siblings"), masks[cpu] + "\n");
        }
        assertEquals(4, Threads.physicalCores(sys, 99));
        // no SMT: one mask per CPU
        java.nio.file.Files.writeString(sys.resolve("cpu4/topology/thread_siblings"), "10\n");
        assertEquals(5, Threads.physicalCores(sys, 99));
        // no sysfs: the fallback
        assertEquals(99, Threads.physicalCores(sys.resolve("missing"), 99));
    }
}
