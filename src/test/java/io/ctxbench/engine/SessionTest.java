package io.ctxbench.engine;

import io.ctxbench.CtxbenchException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sessions on the real model: KV cache types, the measurements, limits, native lifetimes. */
class SessionTest {
    private static Model model;
    private static int[] prompt;

    @BeforeAll
    static void load() {
        model = Model.load(Model.Params.of(TestFiles.smolLm2()));
        prompt = model.tokenize("The three primary colors are", true, true);
    }

    @AfterAll
    static void free() {
        model.close();
    }

    /** Every type llama.cpp takes for the cache (its -ctk/-ctv list), as K and V alike. */
    @ParameterizedTest
    @EnumSource(KvCacheType.class)
    void eachKvTypeGeneratesAndReportsItsBytes(KvCacheType t) {
        Session.Params p = Session.Params.of(1024).withKv(t, t).withFlashAttention(FlashAttention.ON);
        try (Session s = Session.open(model, p)) {
            assertLlamaCppAllocated(s, t, t);

            Generation g = s.generate(prompt, GenerationOptions.of(24).withIgnoreEos(true));
            assertEquals(24, g.tokens().length);
            assertEquals(s.kvBytesK() + s.kvBytesV(), g.memory().kvBytes());
            assertEquals(t, g.memory().typeK());
        }
    }

    /** Mixed pairs: K and V of different types (sizes, the estimate before the session, generation). */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"q5_1, q4_0", "q8_0, iq4_nl", "f32, q4_1", "q4_0, f16"})
    void mixedPairsGenerateAndTheEstimateIsWhatLlamaCppAllocates(String k, String v) {
        KvCacheType tk = KvCacheType.parse(k), tv = KvCacheType.parse(v);
        try (Session s = Session.open(model, Session.Params.of(1000).withKv(tk, tv))) {
            assertLlamaCppAllocated(s, tk, tv);
            assertEquals(s.kvBytesK() + s.kvBytesV(), ContextMemory.kvBytes(model.info(), 1000, tk, tv));
            assertEquals(s.kvBytesK() + s.kvBytesV(), 1024L * model.kvBytesPerToken(tk, tv));
            assertEquals(KvPath.FUSED, s.kvPath(), "the CPU reads every pair directly");
            assertEquals(8, s.generate(prompt, GenerationOptions.of(8).withIgnoreEos(true)).tokens().length);
        }
    }

    /** llama.cpp's own account of the cache it allocated, from its log, against the session's. */
    private static void assertLlamaCppAllocated(Session s, KvCacheType k, KvCacheType v) {
        Matcher m = Pattern.compile("size = +([0-9.]+) MiB .*K \\((\\w+)\\): +([0-9.]+) MiB, V \\((\\w+)\\): +([0-9.]+) MiB")
                .matcher(String.join("\n", LlamaLog.recentLines()));
        assertTrue(m.find(), "llama.cpp logged no KV cache size");
        assertEquals(k.label(), m.group(2));
        assertEquals(v.label(), m.group(4));
        assertEquals(s.kvBytesK() / 1048576.0, Double.parseDouble(m.group(3)), 0.006);
        assertEquals(s.kvBytesV() / 1048576.0, Double.parseDouble(m.group(5)), 0.006);
    }

    @Test
    void kvBytesFollowTheTypeSize() {
        long f16 = model.kvBytesPerToken(KvCacheType.F16, KvCacheType.F16);
        long q8 = model.kvBytesPerToken(KvCacheType.Q8_0, KvCacheType.Q8_0);
        long q4 = model.kvBytesPerToken(KvCacheType.Q4_0, KvCacheType.Q4_0);
        Model.Info i = model.info();
        assertEquals((long) i.layers() * 2 * i.kvWidthK() * 2, f16);
        assertEquals(16.0 / 4.5, (double) f16 / q4, 1e-9);   // q4_0: 4.5 bits per value
        assertEquals(16.0 / 8.5, (double) f16 / q8, 1e-9);   // q8_0: 8.5 bits per value
    }

    @Test
    void measurementsAddUp() {
        try (Session s = Session.open(model, Session.Params.of(512))) {
            Generation g = s.generate(prompt, GenerationOptions.of(32).withIgnoreEos(true));
            Generation.Timings t = g.timings();
            assertEquals(prompt.length, t.promptTokens());
            assertEquals(32, t.generatedTokens());
            assertEquals(31, t.stepNs().length, "one decode call per generated token but the last");
            // llama.cpp counted the same calls
            assertEquals(prompt.length, t.llamaPerf().promptEvalTokens());
            assertEquals(31, t.llamaPerf().evalTokens());
            long sum = 0;
            for (long x : t.stepNs()) {
                assertTrue(x > 0);
                sum += x;
            }
            assertTrue(sum < t.endToEndNs() && t.prefillNs() < t.endToEndNs());
            assertTrue(t.decodeTokensPerSecond() > 0 && t.prefillTokensPerSecond() > 0);
            assertEquals(31, t.sampleNs().length);
            assertTrue(t.generationTokensPerSecond() < t.decodeTokensPerSecond(), "sampling takes time too");
            // our timing of the decode calls and llama.cpp's own agree within 10 %
            assertEquals(t.llamaPerf().evalMillis(), sum / 1e6, 0.1 * sum / 1e6 + 2);
            assertTrue(g.memory().modelBytes() > 50_000_000L);
            assertTrue(g.memory().processPeakResidentBytes() > g.memory().modelBytes());
        }
    }

    @Test
    void decodeLoopAllocatesNothingOnTheHeap() {
        try (Session s = Session.open(model, Session.Params.of(512))) {
            GenerationOptions o = new GenerationOptions(200, List.of(), true, 0);
            long last = -1;
            for (int i = 0; i < 12; i++) {      // let the JIT compile the loop first
                last = s.generate(prompt, o).timings().loopHeapBytes();
            }
            assertEquals(0, last, "the prefill + decode loop allocated " + last + " bytes on the Java heap");
        }
    }

    @Test
    void stopStringsCutTheText() {
        try (Session s = Session.open(model, Session.Params.of(512))) {
            Generation free = s.generate(prompt, GenerationOptions.of(24).withIgnoreEos(true));
            String text = model.pieces(free.tokens(), false);
            String stop = text.substring(text.length() / 2, text.length() / 2 + 3);
            Generation g = s.generate(prompt, GenerationOptions.of(24).withIgnoreEos(true).withStops(List.of(stop)));
            assertEquals(StopReason.STOP_STRING, g.stopReason());
            assertEquals(text.substring(0, text.indexOf(stop)), g.text());
        }
    }

    @Test
    void evaluateGivesTheLogitsGreedyDecodingFollows() {
        try (Session s = Session.open(model, Session.Params.of(512))) {
            Generation g = s.generate(prompt, GenerationOptions.of(12).withIgnoreEos(true));
            int[] all = new int[prompt.length + g.tokens().length];
            System.arraycopy(prompt, 0, all, 0, prompt.length);
            System.arraycopy(g.tokens(), 0, all, prompt.length, g.tokens().length);
            s.clear();
            int[] argmax = new int[all.length];
            s.evaluate(all, (pos, logits) -> {
                int best = 0;
                for (int i = 1; i < model.vocabSize(); i++) {
                    if (logits.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i)
                            > logits.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, best)) {
                        best = i;
                    }
                }
                argmax[pos] = best;
            });
            assertEquals(all.length, s.position());
            // teacher-forced argmax after each prompt/generated token reproduces the greedy continuation
            for (int i = prompt.length - 1; i < all.length - 1; i++) {
                assertEquals(all[i + 1], argmax[i], "position " + i);
            }
            s.truncate(prompt.length);
            assertEquals(prompt.length, s.position());
            assertThrows(CtxbenchException.class, () -> s.truncate(all.length + 1));
        }
    }

    /** Tokens in the KV cache as llama.cpp counts them: the ground truth {@link Session#position()} must match. */
    private static int cached(Session s) {
        return io.ctxbench.llama.ffi.llama_h.llama_memory_seq_pos_max(
                io.ctxbench.llama.ffi.llama_h.llama_get_memory(s.nativeContext()), 0) + 1;
    }

    @Test
    void positionFollowsEveryPathThatChangesTheCache() {
        try (Arena arena = Arena.ofConfined(); Session s = Session.open(model, Session.Params.of(512).withThreads(2))) {
            // generate: the prompt plus one decode per generated token but the last
            Generation g = s.generate(prompt, GenerationOptions.of(8).withIgnoreEos(true));
            assertEquals(prompt.length + 7, s.position());
            assertEquals(cached(s), s.position());
            // evaluate continues after generate: the teacher-forced argmax after the last generated token is the
            // token a longer greedy generation picks next
            int[] next = {-1};
            s.evaluate(new int[]{g.tokens()[7]}, (pos, logits) -> next[0] = argmax(logits));
            assertEquals(prompt.length + 8, s.position());
            assertEquals(cached(s), s.position());
            MemorySegment state = s.saveState(arena);
            s.decodeStep(next[0]);
            assertEquals(prompt.length + 9, s.position());
            assertEquals(cached(s), s.position());
            int[] longer = s.generate(prompt, GenerationOptions.of(9).withIgnoreEos(true)).tokens();
            assertEquals(longer[8], next[0]);
            assertEquals(prompt.length + 8, s.position());
            assertTrue(s.restoreState(state));
            assertEquals(prompt.length + 8, s.position());
            assertEquals(cached(s), s.position());
            s.truncate(prompt.length);
            assertEquals(prompt.length, s.position());
            assertEquals(cached(s), s.position());
            s.clear();
            assertEquals(0, s.position());
            assertEquals(cached(s), s.position());
            // a generation stopped by a stop string: its last token was never decoded
            Generation free = s.generate(prompt, GenerationOptions.of(12).withIgnoreEos(true));
            String text = model.pieces(free.tokens(), false);
            String stop = text.substring(text.length() / 2, text.length() / 2 + 3);
            Generation cut = s.generate(prompt, GenerationOptions.of(12).withIgnoreEos(true).withStops(List.of(stop)));
            assertEquals(StopReason.STOP_STRING, cut.stopReason());
            assertEquals(prompt.length + cut.timings().stepNs().length, s.position());
            assertEquals(cached(s), s.position());
        }
    }

    private static int argmax(MemorySegment logits) {
        int best = 0;
        for (int i = 1; i < model.vocabSize(); i++) {
            if (logits.getAtIndex(ValueLayout.JAVA_FLOAT, i) > logits.getAtIndex(ValueLayout.JAVA_FLOAT, best)) {
                best = i;
            }
        }
        return best;
    }

    @Test
    void refusesWhatLlamaCppWouldReject() {
        assertThrows(CtxbenchException.class, () -> Session.Params.of(512).withKv(KvCacheType.F16, KvCacheType.Q4_0)
                .withFlashAttention(FlashAttention.OFF));
        assertThrows(CtxbenchException.class, () -> Session.Params.of(0));
        assertThrows(CtxbenchException.class, () -> Session.Params.of(-5));
        assertThrows(CtxbenchException.class, () -> Session.Params.of(512).withBatch(0, 0));
        assertThrows(CtxbenchException.class, () -> Session.Params.of(512).withBatch(256, 512));
        assertThrows(CtxbenchException.class, () -> GenerationOptions.of(0));
        assertThrows(CtxbenchException.class, () -> GenerationOptions.of(-1));
        try (Session s = Session.open(model, Session.Params.of(256))) {
            int[] tooLong = new int[300];
            java.util.Arrays.fill(tooLong, prompt[1]);
            CtxbenchException e = assertThrows(CtxbenchException.class, () -> s.generate(tooLong, GenerationOptions.of(4)));
            assertTrue(e.getMessage().contains("300 tokens"), e.getMessage());
            assertThrows(CtxbenchException.class, () -> s.generate(prompt, GenerationOptions.of(300)));
            assertThrows(CtxbenchException.class, () -> s.generate(new int[0], GenerationOptions.of(4)));
            assertThrows(CtxbenchException.class, () -> s.generate(new int[]{-1}, GenerationOptions.of(4)));
            assertThrows(CtxbenchException.class, () -> s.generate(new int[]{model.vocabSize()}, GenerationOptions.of(4)));
            // the session still works after refusing
            assertEquals(4, s.generate(prompt, GenerationOptions.of(4).withIgnoreEos(true)).tokens().length);
        }
    }

    @Test
    void createAndFreeCyclesDoNotGrowResidentMemory() {
        Session.Params p = Session.Params.of(2048);
        for (int i = 0; i < 20; i++) {
            try (Session s = Session.open(model, p)) {
                s.generate(prompt, GenerationOptions.of(2));
            }
        }
        System.gc();
        long before = ProcessMemory.residentBytes();
        for (int i = 0; i < 200; i++) {
            try (Session s = Session.open(model, p)) {
                s.generate(prompt, GenerationOptions.of(2));
            }
        }
        System.gc();
        long grown = ProcessMemory.residentBytes() - before;
        // one leaked context would be ~45 MiB of KV cache alone; 200 of them would be gigabytes
        assertTrue(grown < 24L << 20, "resident memory grew by " + (grown >> 20) + " MiB over 200 sessions");
    }

    /**
     * What llama.cpp copies out of its graph per micro-batch when a {@link TargetLogProbs} sampler is set: the first
     * output row's vector (one float a row), and nothing for the other rows. llama.cpp hands each row's sampler a view
     * of that row's logits as its result and copies whatever result a row has; a row left with that view would bring a
     * vocabulary's worth of floats to the host for nothing (on a GPU, 100 MB a call at 512 rows of a 49k vocabulary).
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void onlyTheFirstOutputRowIsCopiedOut(boolean fixedShape) {
        int[] tok = model.tokenize("The quick brown fox jumps over the lazy dog. ".repeat(12), true, false);
        int n = Math.min(tok.length, 100);
        int batch = 128;
        Session.Params sp = Session.Params.of(512).withBatch(batch, batch).withThreads(2).withFlashAttention(FlashAttention.AUTO);
        try (TargetLogProbs t = new TargetLogProbs(batch);
             Session s = fixedShape ? Session.openFixedShape(model, sp, t) : Session.open(model, sp, t)) {
            t.expect(tok, 1, n);
            int[] rows = {0};
            s.evaluate(java.util.Arrays.copyOf(tok, n), 0, (first, count, values) -> rows[0] += count);
            assertEquals(n, rows[0]);
            SampledCounts c = new SampledCounts(s.handle());
            assertEquals(fixedShape ? batch : n, c.of(0), "the first output row carries every row's value");
            for (int i = 1; i < n; i++) {
                assertEquals(0, c.of(i), "output row " + i + " copied out");
            }
        }
    }

    private record SampledCounts(MemorySegment ctx) {
        int of(int i) {
            return io.ctxbench.llama.ffi.llama_h.llama_get_sampled_logits_count_ith(ctx, i);
        }
    }
}
