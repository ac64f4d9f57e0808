package io.ctxbench.engine;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The calls the sweep and the JMH suite are made of: prefill, decode steps, kept and restored depth state. */
class SessionBenchCallsTest {

    @Test
    void restoredDepthGivesTheSameNextTokensAsRecomputing() {
        try (Model m = Model.load(Model.Params.of(TestFiles.smolLm2()))) {
            int[] depth = m.tokenize("The capital of France is Paris. The capital of Italy is", true, true);
            int[] next = {m.tokenize(" Rome", false, false)[0], 13, 578};
            Session.Params p = Session.Params.of(256).withThreads(2);
            float[] direct;
            MemorySegment state;
            try (Arena arena = Arena.ofConfined()) {
                try (Session s = Session.open(m, p)) {
                    assertTrue(s.prefill(depth) > 0);
                    assertEquals(depth.length, s.position());
                    state = s.saveState(arena);
                    long[] steps = new long[next.length];
                    s.decodeSteps(next, steps);
                    for (long x : steps) {
                        assertTrue(x > 0);
                    }
                    assertEquals(depth.length + next.length, s.position());
                    direct = logits(s, m);
                }
                // a fresh session, another context size: restore instead of prefill, then the same steps
                try (Session s = Session.open(m, Session.Params.of(512).withThreads(2))) {
                    assertTrue(s.restoreState(state));
                    assertEquals(depth.length, s.position());
                    s.decodeSteps(next, new long[next.length]);
                    assertArrayEquals(direct, logits(s, m), 1e-3f);
                    int tok = s.sampleNext();
                    assertTrue(tok >= 0 && tok < m.vocabSize());
                }
                // other KV types: llama.cpp refuses the state and the cache stays empty
                try (Session s = Session.open(m, Session.Params.of(256).withKv(KvCacheType.Q8_0, KvCacheType.Q8_0)
                        .withFlashAttention(FlashAttention.ON).withThreads(2))) {
                    assertFalse(s.restoreState(state));
                    assertEquals(0, s.position());
                }
            }
        }
    }

    @Test
    void decodeStepsRefuseToOverrunTheContext() {
        try (Model m = Model.load(Model.Params.of(TestFiles.smolLm2()));
             Session s = Session.open(m, Session.Params.of(256).withThreads(2))) {
            s.prefill(new int[250]);
            var e = assertThrows(io.ctxbench.CtxbenchException.class, () -> s.decodeSteps(new int[10], new long[10]));
            assertTrue(e.getMessage().contains("exceeds the context of 256"), e.getMessage());
            assertThrows(io.ctxbench.CtxbenchException.class, () -> s.decodeSteps(new int[]{-1}, new long[1]));
        }
    }

    private static float[] logits(Session s, Model m) {
        MemorySegment l = io.ctxbench.llama.ffi.llama_h.llama_get_logits_ith(s.nativeContext(), -1)
                .reinterpret((long) m.vocabSize() * Float.BYTES);
        return l.toArray(ValueLayout.JAVA_FLOAT);
    }
}
