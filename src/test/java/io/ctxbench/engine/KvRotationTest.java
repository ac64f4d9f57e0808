package io.ctxbench.engine;

import io.ctxbench.CtxbenchException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Rotation of a quantized KV cache, on and off per session. */
class KvRotationTest {

    /** Off changes what llama.cpp does (its log, its logits), on restores its default in the same process. */
    @Test
    void offIsLlamaCppsRotationDisabledForThatSessionOnly() {
        try (Model m = Model.load(Model.Params.of(TestFiles.smolLm2()).withGpuLayers(0))) {
            int[] prompt = m.tokenize("The three primary colors are red, yellow and blue. The three secondary colors are",
                    true, true);
            Session.Params q4 = Session.Params.of(256).withKv(KvCacheType.Q4_0, KvCacheType.Q4_0).withThreads(1);
            float[] on1 = lastLogits(m, q4, prompt, "on", false);
            float[] off = lastLogits(m, q4.withKvRotation(KvRotation.OFF), prompt, "off", true);
            float[] on2 = lastLogits(m, q4, prompt, "on", false);
            assertEquals(java.util.Arrays.toString(on1), java.util.Arrays.toString(on2), "rotation on is deterministic");
            double maxDiff = 0;
            for (int i = 0; i < on1.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(on1[i] - off[i]));
            }
            assertTrue(maxDiff > 1e-3, "rotation off left the logits as they were (max |diff| " + maxDiff + ")");
            // a session with rotation off generates
            try (Session s = Session.open(m, q4.withKvRotation(KvRotation.OFF))) {
                assertEquals(16, s.generate(prompt, GenerationOptions.of(16).withIgnoreEos(true)).tokens().length);
            }
            // an f16 cache has nothing to rotate: no record says so
            try (Session s = Session.open(m, Session.Params.of(256))) {
                assertNull(s.kvRotation());
            }
        }
    }

    private static float[] lastLogits(Model m, Session.Params p, int[] prompt, String expected, boolean disabledLine) {
        try (Session s = Session.open(m, p)) {
            assertEquals(disabledLine, LlamaLog.recentLines().stream()
                    .anyMatch(l -> l.contains("attention rotation force disabled")), String.join("\n", LlamaLog.recentLines()));
            assertEquals(expected, s.kvRotation());
            float[][] last = new float[1][];
            s.evaluate(prompt, (pos, logits) -> {
                if (pos == prompt.length - 1) {
                    last[0] = logits.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT);
                }
            });
            return last[0];
        }
    }

    @Test
    void offIsRefusedWhereItMeansNothing() {
        CtxbenchException e = assertThrows(CtxbenchException.class,
                () -> Session.Params.of(256).withKvRotation(KvRotation.OFF));
        assertEquals("KV rotation off means nothing for an unquantized cache (K f16, V f16): llama.cpp rotates only "
                + "quantized K and V; quantize the cache or leave rotation on", e.getMessage());
        assertThrows(CtxbenchException.class, () -> Session.Params.of(256).withKv(KvCacheType.F32, KvCacheType.BF16)
                .withKvRotation(KvRotation.OFF));
        // one quantized side is enough
        assertEquals(KvRotation.OFF, Session.Params.of(256).withKv(KvCacheType.Q8_0, KvCacheType.F16)
                .withKvRotation(KvRotation.OFF).kvRotation());
        assertEquals(KvRotation.ON, Session.Params.of(256).kvRotation());
        assertEquals(KvRotation.OFF, KvRotation.parse(" OFF"));
        assertEquals("KV rotation must be on or off, got 'no'",
                assertThrows(CtxbenchException.class, () -> KvRotation.parse("no")).getMessage());
    }

    /** What llama.cpp logged while building the cache(s): two caches (sliding-window layers) log it twice. */
    @Test
    void observedFromTheLog() {
        List<String> both = List.of("I llama_kv_cache: attn_rot_k = 1, n_embd_head_k_all = 64",
                "I llama_kv_cache: attn_rot_v = 1, n_embd_head_k_all = 64");
        List<String> none = List.of("W llama_kv_cache: attention rotation force disabled (LLAMA_ATTN_ROT_DISABLE)",
                "I llama_kv_cache: attn_rot_k = 0, n_embd_head_k_all = 64", "I llama_kv_cache: attn_rot_v = 0, n_embd_head_k_all = 64");
        assertEquals("on", KvRotation.observed(both, KvCacheType.Q4_0, KvCacheType.Q4_0));
        assertEquals("off", KvRotation.observed(none, KvCacheType.Q4_0, KvCacheType.Q4_0));
        // K q8_0 with an f16 V: llama.cpp rotates only K (attn_rot_v = 0), which is all there is to rotate
        List<String> kOnly = List.of("I llama_kv_cache: attn_rot_k = 1, n", "I llama_kv_cache: attn_rot_v = 0, n");
        assertEquals("on", KvRotation.observed(kOnly, KvCacheType.Q8_0, KvCacheType.F16));
        assertEquals("k", KvRotation.observed(kOnly, KvCacheType.Q8_0, KvCacheType.Q4_0));
        assertNull(KvRotation.observed(both, KvCacheType.F16, KvCacheType.F16));
        assertNull(KvRotation.observed(List.of(), KvCacheType.Q4_0, KvCacheType.Q4_0), "the log does not say");
        assertFalse(KvRotation.observed(none, KvCacheType.Q8_0, KvCacheType.Q8_0).equals("on"));
    }
}
