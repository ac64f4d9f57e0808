package io.ctxbench.experiment;

import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.KvEviction;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.Session;
import io.ctxbench.engine.TestFiles;
import io.ctxbench.engine.chat.ChatFormat;
import io.ctxbench.compress.TokenCounter;
import io.ctxbench.score.Fidelity;
import io.ctxbench.tasks.Prompts;
import io.ctxbench.tasks.Sample;
import io.ctxbench.tasks.ruler.RulerData;
import io.ctxbench.tasks.ruler.RulerGenerator;
import io.ctxbench.tasks.ruler.RulerTask;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Eviction as a method (methods.json) and in the fidelity pass's teacher forcing. */
class KvEvictionMethodsTest {

    @Test
    void builtInStreamingMethods() {
        Methods ms = Methods.builtin();
        Method sl25 = ms.get("KV-SL25"), sl50 = ms.get("KV-SL50");
        assertEquals(KvEviction.streaming(0.25), sl25.kvEviction());
        assertEquals(KvEviction.streaming(0.5), sl50.kvEviction());
        assertEquals(3, sl25.level());
        assertEquals("KV eviction after prefill (streaming 25% sinks 4)", sl25.pipeline().getLast());
        assertEquals(KvEviction.NONE, ms.get("FP16").kvEviction());
        Method snap = ms.get("KV-SNAP25");
        assertEquals(KvEviction.snapKv(0.25), snap.kvEviction());
        assertEquals(io.ctxbench.engine.FlashAttention.OFF, snap.flashAttention());
        assertThrows(CtxbenchException.class, () -> new Method("S", 3, "f16", null, null, null, null, 1.0,
                io.ctxbench.engine.FlashAttention.ON, "", KvEviction.snapKv(0.5)), "snapkv needs flash attention off");
        // the variants of a method keep its eviction
        assertEquals(sl25.kvEviction(), sl25.withWeights("q4_k_m").kvEviction());
    }

    @Test
    void methodFilesSpellTheBudget(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("m.json"), """
                {"methods": [
                  {"name": "SL-2k", "level": 3, "weights": "f16", "kv_evict": "streaming", "kv_budget_tokens": 2048, "kv_sinks": 8},
                  {"name": "KVQ-SL50", "level": 3, "weights": "f16", "kv_k": "q4_0", "kv_v": "q4_0", "kv_evict": "streaming", "kv_budget": 0.5}
                ]}""");
        Methods ms = Methods.builtin().addFile(f);
        assertEquals(new KvEviction(KvEviction.Policy.STREAMING, 0, 2048, 8), ms.get("SL-2k").kvEviction());
        Method both = ms.get("KVQ-SL50");
        assertEquals(KvEviction.streaming(0.5), both.kvEviction());
        assertEquals(java.util.List.of("weights F16", "KV quantization (K q4_0, V q4_0)",
                "KV eviction after prefill (streaming 50% sinks 4)"), both.pipeline(), "eviction applies last");
    }

    @Test
    void badBudgetsInAMethodFileAreRefusedInOneLine(@TempDir Path dir) throws Exception {
        String[] bad = {
                "\"kv_evict\": \"streaming\"",
                "\"kv_evict\": \"streaming\", \"kv_budget\": 1.5",
                "\"kv_evict\": \"streaming\", \"kv_budget\": 0.5, \"kv_budget_tokens\": 512",
                "\"kv_evict\": \"streaming\", \"kv_budget_tokens\": 512.5",
                "\"kv_evict\": \"streaming\", \"kv_budget\": \"half\"",
                "\"kv_evict\": \"h2o\", \"kv_budget\": 0.5",
                "\"kv_evict\": \"snapkv\", \"kv_budget\": 0.5, \"flash_attention\": \"on\"",
                "\"kv_budget\": 0.5"};
        for (String b : bad) {
            Path f = Files.writeString(dir.resolve("bad.json"),
                    "{\"methods\": [{\"name\": \"X\", \"level\": 3, \"weights\": \"f16\", " + b + "}]}");
            CtxbenchException e = assertThrows(CtxbenchException.class, () -> Methods.builtin().addFile(f), b);
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            assertTrue(e.getMessage().contains("method #1"), e.getMessage());
        }
    }

    /**
     * Teacher forcing with eviction: the same positions compared; a full budget is the baseline exactly (KL 0), and a
     * quarter of the cache moves the distributions (KL > 0) on a needle prompt of ~1,000 tokens.
     */
    @Test
    void fidelityEvictsBetweenPromptAndContinuation() {
        try (Model m = Model.load(Model.Params.of(TestFiles.smolLm2()).withGpuLayers(0))) {
            ChatFormat.Formatter chat = ChatFormat.JINJA.formatter(m, null);
            RulerGenerator gen = new RulerGenerator(TokenCounter.of(m), RulerData.builtin(), Prompts.generatedOverhead(m, chat));
            Sample s = gen.generate(RulerTask.byName("niah_single_1"), 1024, 1, 7).getFirst().toSample();
            int[] prompt = Prompts.generated(m, chat, s, s.context()).tokens();
            int[] cont = m.tokenize(" " + s.answers().getFirst() + ".", false, false);
            Session.Params base = Session.Params.of(1536).withThreads(1);
            try (Session a = Session.open(m, base);
                 Session all = Session.open(m, base.withKvEviction(KvEviction.streaming(1.0)));
                 Session quarter = Session.open(m, base.withKvEviction(KvEviction.streaming(0.25)))) {
                Fidelity.Accumulator same = FidelityPass.compare(a, prompt, all, prompt, cont, 64);
                assertEquals(cont.length, same.positions());
                assertEquals(0.0, same.meanKl());
                Fidelity.Accumulator q = FidelityPass.compare(a, prompt, quarter, prompt, cont, 64);
                System.out.printf("fidelity streaming 25%% vs full cache (%d prompt tokens): mean KL %.4f, max %.4f, top-1 %.3f"
                        + " over %d positions%n", prompt.length, q.meanKl(), q.maxKl(), q.top1Agreement(), q.positions());
                assertEquals(cont.length, q.positions());
                assertTrue(q.meanKl() > 0 && Double.isFinite(q.meanKl()), "KL " + q.meanKl());
                assertEquals((prompt.length + 3) / 4 + cont.length - 1, quarter.position(), "kept prompt plus the continuation read");
            }
            Session.Params off = base.withFlashAttention(io.ctxbench.engine.FlashAttention.OFF);
            try (Session a = Session.open(m, off); Session snap = Session.open(m, off.withKvEviction(KvEviction.snapKv(0.25)))) {
                Fidelity.Accumulator q = FidelityPass.compare(a, prompt, snap, prompt, cont, 64);
                System.out.printf("fidelity snapkv 25%% vs full cache: mean KL %.4f, max %.4f, top-1 %.3f over %d positions%n",
                        q.meanKl(), q.maxKl(), q.top1Agreement(), q.positions());
                assertEquals(cont.length, q.positions());
                assertTrue(q.meanKl() > 0 && Double.isFinite(q.meanKl()), "KL " + q.meanKl());
                assertEquals(KvEviction.snapKv(0.25).kept(prompt.length) + cont.length - 1, snap.position());
            }
        }
    }
}
