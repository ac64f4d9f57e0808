package io.ctxbench.engine;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How attention reads the KV cache: predicted from the build's kernels, resolved per session. */
class KvPathTest {

    @Test
    void followsTheCompiledPairs() {
        Set<String> pairs = Set.of("f16-f16", "q8_0-q8_0");
        assertEquals(KvPath.FUSED, KvPath.predict(true, KvCacheType.Q8_0, KvCacheType.Q8_0, true, pairs));
        assertEquals(KvPath.CONVERTED, KvPath.predict(true, KvCacheType.Q8_0, KvCacheType.Q4_0, true, pairs));
        assertEquals(KvPath.FUSED, KvPath.predict(true, KvCacheType.Q8_0, KvCacheType.Q4_0, false, pairs), "CPU: every pair");
        assertEquals(KvPath.FUSED, KvPath.predict(true, KvCacheType.Q8_0, KvCacheType.Q4_0, true, null), "FA_QUANTS=all");
        assertEquals(KvPath.NO_FA, KvPath.predict(false, KvCacheType.Q8_0, KvCacheType.F16, true, pairs));
        assertEquals("no-fa", KvPath.NO_FA.label());
    }

    /** CUDA's flash attention (ggml-cuda/fattn.cu): f32 goes through the f16 kernel, iq4_nl is not taken at all. */
    @Test
    void f32IsConvertedAndIq4nlRunsOnTheHostOnCuda() {
        assertEquals(KvPath.CONVERTED, KvPath.predict(true, KvCacheType.F32, KvCacheType.F16, true, null));
        assertEquals(KvPath.HOST, KvPath.predict(true, KvCacheType.Q8_0, KvCacheType.IQ4_NL, true, null));
        assertEquals(KvPath.HOST, KvPath.predict(true, KvCacheType.IQ4_NL, KvCacheType.IQ4_NL, true, Set.of("f16-f16")));
        assertEquals(KvPath.FUSED, KvPath.predict(true, KvCacheType.IQ4_NL, KvCacheType.F32, false, null), "the CPU reads both");
        assertEquals(KvPath.FUSED, KvPath.predict(true, KvCacheType.Q5_1, KvCacheType.Q4_0, true, Set.of("f16-f16", "q5_1-q4_0")));
        assertEquals(KvPath.NO_FA, KvPath.predict(false, KvCacheType.IQ4_NL, KvCacheType.F16, true, null));
        assertEquals("host", KvPath.HOST.label());
    }

    @Test
    void autoResolvesFromLlamaCppsLog() {
        assertTrue(Session.flashAttentionResolved(FlashAttention.AUTO, List.of("I llama_context: Flash Attention enabled")));
        assertFalse(Session.flashAttentionResolved(FlashAttention.AUTO,
                List.of("W llama_context: Flash Attention not supported, set to disabled")));
        assertFalse(Session.flashAttentionResolved(FlashAttention.OFF, List.of()));
        assertTrue(Session.flashAttentionResolved(FlashAttention.ON, List.of()));
    }

    /** On this CPU build a mixed pair runs fused, and flash attention off is said so. */
    @Test
    void sessionsOnTheCpuBuild() {
        try (Model m = Model.load(Model.Params.of(TestFiles.smolLm2()).withGpuLayers(0))) {
            try (Session s = Session.open(m, Session.Params.of(256).withFlashAttention(FlashAttention.ON)
                    .withKv(KvCacheType.Q8_0, KvCacheType.Q4_0))) {
                assertEquals(KvPath.FUSED, s.kvPath());
            }
            try (Session s = Session.open(m, Session.Params.of(256).withFlashAttention(FlashAttention.OFF))) {
                assertEquals(KvPath.NO_FA, s.kvPath());
            }
            try (Session s = Session.open(m, Session.Params.of(256))) {   // auto: llama.cpp enables it on the CPU
                assertEquals(KvPath.FUSED, s.kvPath(), String.join("\n", LlamaLog.recentLines()));
            }
        }
    }
}
