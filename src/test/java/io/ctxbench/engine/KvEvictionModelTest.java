package io.ctxbench.engine;

import io.ctxbench.CtxbenchException;
import io.ctxbench.llama.ffi.llama_h;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** KV eviction on the real model (SmolLM2): what the cache keeps, positions after it, generation with it. */
class KvEvictionModelTest {
    private static Model model;
    /** A needle near the start of ~1,000 tokens of filler, then the question: the answer is among the evicted tokens. */
    private static int[] longPrompt;

    @BeforeAll
    static void load() {
        model = Model.load(Model.Params.of(TestFiles.smolLm2()));
        StringBuilder hay = new StringBuilder("Remember this: the secret number of the blue box is 7391.\n");
        String[] colors = {"red", "green", "yellow", "white", "black", "purple", "orange", "brown"};
        for (int i = 0; i < 60; i++) {
            hay.append("Box ").append(i).append(" is ").append(colors[i % colors.length])
                    .append(" and stands on shelf ").append(i % 7).append(" next to a lamp. ");
        }
        longPrompt = model.tokenize(model.applyChatTemplate(List.of(new Model.ChatMessage("user",
                hay + "\nWhat is the secret number of the blue box? Answer with the number only.")), true), true, true);
    }

    @AfterAll
    static void free() {
        model.close();
    }

    private static MemorySegment memory(Session s) {
        return llama_h.llama_get_memory(s.nativeContext());
    }

    /** After eviction the sequence holds exactly positions 0..kept-1 (llama.cpp's own min and max) and continues at kept. */
    @Test
    void evictionKeepsTheBudgetAndCompactsPositions() {
        int n = longPrompt.length;
        assertTrue(n > 800, "the long prompt has " + n + " tokens");
        KvEviction e = KvEviction.streaming(0.25);
        try (Session s = Session.open(model, Session.Params.of(2048).withKvEviction(e))) {
            s.evaluate(longPrompt, null);
            assertEquals(n - 1, llama_h.llama_memory_seq_pos_max(memory(s), 0));
            int kept = s.evictPrompt();
            assertEquals((n + 3) / 4, kept);
            assertEquals(kept, s.position());
            assertEquals(0, llama_h.llama_memory_seq_pos_min(memory(s), 0));
            assertEquals(kept - 1, llama_h.llama_memory_seq_pos_max(memory(s), 0));
            s.decodeStep(longPrompt[n - 1]);   // decoding continues right after the kept cells (llama.cpp checks it)
            assertEquals(kept, llama_h.llama_memory_seq_pos_max(memory(s), 0));
        }
    }

    /**
     * The compaction and llama.cpp's K-shift are exact up to rounding: with no sinks, attention depends only on
     * distances between positions, so decoding after a window shifted to position 0 gives the logits of decoding after
     * the same window left where it was (only the evicted cells removed, the next token at position n).
     */
    @Test
    void shiftedWindowGivesTheLogitsOfTheWindowInPlace() {
        int n = longPrompt.length, window = 200;
        int next = model.tokenize(" The", false, false)[0];
        KvEviction e = new KvEviction(KvEviction.Policy.STREAMING, 0, window, 0);
        float[] shifted, inPlace;
        try (Session s = Session.open(model, Session.Params.of(2048).withKvEviction(e).withFlashAttention(FlashAttention.OFF))) {
            s.evaluate(longPrompt, null);
            assertEquals(window, s.evictPrompt());
            shifted = logitsAfter(s, next);
        }
        try (Session s = Session.open(model, Session.Params.of(2048).withFlashAttention(FlashAttention.OFF))) {
            s.evaluate(longPrompt, null);
            assertTrue(llama_h.llama_memory_seq_rm(memory(s), 0, 0, n - window));
            inPlace = logitsAfter(s, next);
        }
        float[] full = logitsAfterFullPrompt(next);
        float shift = maxDiff(shifted, inPlace), evicted = maxDiff(inPlace, full);
        System.out.printf("eviction: logits after a shifted window vs the window in place: max |diff| %.5f (the window"
                + " vs the full prompt: %.3f)%n", shift, evicted);
        assertEquals(argmax(inPlace), argmax(shifted));
        // measured on SmolLM2 (f16 cache, ~1,000 positions shifted): 0.67 against 12.5; RoPE of a shifted, f16-rounded
        // key is not the key roped at its new position bit for bit
        assertTrue(shift < evicted / 10, "shifting moved the logits by " + shift + ", evicting by " + evicted);
    }

    private static float maxDiff(float[] a, float[] b) {
        float m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    private static int argmax(float[] a) {
        int best = 0;
        for (int i = 1; i < a.length; i++) {
            best = a[i] > a[best] ? i : best;
        }
        return best;
    }

    private static float[] logitsAfter(Session s, int token) {
        float[][] out = new float[1][];
        s.evaluate(new int[] {token}, (pos, logits) -> out[0] = logits.toArray(ValueLayout.JAVA_FLOAT));
        return out[0];
    }

    private static float[] logitsAfterFullPrompt(int next) {
        try (Session s = Session.open(model, Session.Params.of(2048).withFlashAttention(FlashAttention.OFF))) {
            s.evaluate(longPrompt, null);
            return logitsAfter(s, next);
        }
    }

    /** Generation after eviction runs, keeps the first token (chosen before eviction) and then departs from the full cache's. */
    @Test
    void generationAfterEvictionWorksAndDiffers() {
        GenerationOptions o = GenerationOptions.of(16).withIgnoreEos(true);
        Generation full, evicted;
        try (Session s = Session.open(model, Session.Params.of(2048))) {
            full = s.generate(longPrompt, o);
        }
        try (Session s = Session.open(model, Session.Params.of(2048).withKvEviction(KvEviction.streaming(0.25)))) {
            evicted = s.generate(longPrompt, o);
            assertEquals((longPrompt.length + 3) / 4 + 15, s.position(), "kept prompt tokens plus the 15 decoded");
        }
        System.out.println("eviction: full cache '" + full.text() + "', 25 % kept '" + evicted.text() + "'");
        assertEquals(16, evicted.tokens().length);
        assertEquals(full.tokens()[0], evicted.tokens()[0], "the first token comes from the full prompt's logits");
        assertFalse(Arrays.equals(full.tokens(), evicted.tokens()), "a quarter of the cache should change the answer");
    }

    /** A budget that keeps the whole prompt is no eviction, bit for bit. */
    @Test
    void fullBudgetIsNoEvictionBitForBit() {
        GenerationOptions o = GenerationOptions.of(16).withIgnoreEos(true);
        int[] none, all, count;
        try (Session s = Session.open(model, Session.Params.of(2048))) {
            none = s.generate(longPrompt, o).tokens();
        }
        try (Session s = Session.open(model, Session.Params.of(2048).withKvEviction(KvEviction.streaming(1.0)))) {
            all = s.generate(longPrompt, o).tokens();
        }
        try (Session s = Session.open(model, Session.Params.of(2048).withKvEviction(KvEviction.streamingTokens(100_000)))) {
            count = s.generate(longPrompt, o).tokens();
        }
        assertArrayEquals(none, all);
        assertArrayEquals(none, count);
    }

    /**
     * The parallel engine evicts each sequence as batch 1 does: with flash attention off its outputs are batch 1's bit
     * for bit (ParallelGenerator's contract), here with one long evicting prompt beside a short one that keeps all.
     */
    @Test
    void parallelGeneratorEvictsAsSessionDoes() {
        Session.Params p = Session.Params.of(1536).withFlashAttention(FlashAttention.OFF)
                .withKvEviction(KvEviction.streaming(0.5));
        int[] shortPrompt = model.tokenize("The history of the printing press", true, false);
        List<ParallelGenerator.Request> req = List.of(
                new ParallelGenerator.Request(longPrompt, GenerationOptions.of(12).withIgnoreEos(true)),
                new ParallelGenerator.Request(shortPrompt, GenerationOptions.of(12).withIgnoreEos(true)));
        int[][] ref = new int[2][];
        try (Session s = Session.open(model, p)) {
            for (int i = 0; i < 2; i++) {
                ref[i] = s.generate(req.get(i).prompt(), req.get(i).options()).tokens();
            }
        }
        try (ParallelGenerator g = ParallelGenerator.open(model, p, 2)) {
            ParallelGenerator.Run run = g.generate(req);
            for (int i = 0; i < 2; i++) {
                assertArrayEquals(ref[i], run.results().get(i).tokens(), "request " + i);
            }
        }
    }

    /**
     * Gemma-3 has a sliding-window cache beside the global one (llama.cpp's iSWA memory, 512-token window): eviction
     * removes and shifts in both, and generation continues after the kept cells.
     */
    @Test
    void slidingWindowModelsEvictToo() {
        try (Model g = Model.load(Model.Params.of(TestFiles.gemma3()))) {
            StringBuilder text = new StringBuilder("The secret number of the blue box is 7391. ");
            for (int i = 0; i < 80; i++) {
                text.append("Box ").append(i).append(" stands on shelf ").append(i % 7).append(" next to a lamp. ");
            }
            int[] p = g.tokenize(text + "The secret number of the blue box is", true, false);
            assertTrue(p.length > 700, "the prompt has " + p.length + " tokens, more than the 512-token window");
            try (Session s = Session.open(g, Session.Params.of(2048).withKvEviction(KvEviction.streaming(0.25)))) {
                Generation gen = s.generate(p, GenerationOptions.of(8).withIgnoreEos(true));
                assertEquals(8, gen.tokens().length);
                int kept = (p.length + 3) / 4;
                assertEquals(kept + 7, s.position());
                assertEquals(kept + 6, llama_h.llama_memory_seq_pos_max(memory(s), 0));
                System.out.println("eviction on Gemma-3 (" + p.length + " prompt tokens, " + kept + " kept): '" + gen.text() + "'");
            }
        }
    }

    /**
     * SnapKV-style: the window's captured attention is what llama.cpp computed (each query's softmax over the cells sums
     * to 1, so the sum is window x heads x layers); the needle near the start is among the positions kept at 10 %,
     * where StreamingLLM drops it; generation runs at batch 1 and the parallel engine refuses it in one line.
     */
    @Test
    void snapKvScoresByTheWindowsAttention() {
        int n = longPrompt.length, w = KvEviction.WINDOW;
        KvEviction e = KvEviction.snapKv(0.10);
        Session.Params p = Session.Params.of(2048).withFlashAttention(FlashAttention.OFF).withKvEviction(e);
        try (Session s = Session.open(model, p)) {
            s.evaluate(Arrays.copyOf(longPrompt, n - w), null);
            s.observeAttention(true);
            s.evaluate(Arrays.copyOfRange(longPrompt, n - w, n), null);
            s.observeAttention(false);
            float[] a = s.observedAttention();
            double sum = 0;
            for (float v : a) {
                sum += v;
            }
            double expected = (double) w * model.info().heads() * model.info().layers();
            assertEquals(expected, sum, expected * 1e-3, "softmax rows of the window, every head and layer");
            for (int j = n; j < a.length; j++) {
                assertEquals(0f, a[j], "no attention past the prompt");
            }
            int[] kept = KvEviction.snapKvKept(a, n, e.kept(n));
            int needle = firstTokenOf(" 7391");
            System.out.println("snapkv 10%: needle at " + needle + ", kept prefix positions "
                    + Arrays.toString(Arrays.copyOf(kept, kept.length - w)));
            assertTrue(Arrays.stream(kept).anyMatch(k -> k == needle), "the needle's first token is kept");
            assertTrue(needle >= KvEviction.DEFAULT_SINKS && needle < n - KvEviction.streaming(0.10).kept(n) + 4,
                    "StreamingLLM at 10 % would drop it");
            assertEquals(e.kept(n), s.evictPrompt());
        }
        try (Session s = Session.open(model, p)) {
            Generation g = s.generate(longPrompt, GenerationOptions.of(8).withIgnoreEos(true));
            assertEquals(e.kept(n) + 7, s.position());
            System.out.println("snapkv 10%: '" + g.text() + "'");
        }
        CtxbenchException refused = assertThrows(CtxbenchException.class, () -> ParallelGenerator.open(model, p, 2));
        assertTrue(refused.getMessage().contains("without parallel sequences"), refused.getMessage());
        CtxbenchException fa = assertThrows(CtxbenchException.class, () -> Session.Params.of(2048).withKvEviction(e));
        assertTrue(fa.getMessage().contains("flash attention off"), fa.getMessage());
    }

    /** Where the first token of {@code piece} (as it follows a space) sits in the long prompt. */
    private static int firstTokenOf(String piece) {
        int t = model.tokenize(piece, false, false)[0];
        for (int i = 0; i < longPrompt.length; i++) {
            if (longPrompt[i] == t) {
                return i;
            }
        }
        throw new AssertionError(piece + " is not in the prompt");
    }

    @Test
    void evictingNothingTwiceChangesNothing() {
        try (Session s = Session.open(model, Session.Params.of(512).withKvEviction(KvEviction.streaming(0.5)))) {
            int[] p = model.tokenize("one two three", true, false);
            s.evaluate(p, null);
            assertEquals(p.length, s.evictPrompt(), "a prompt of sinks + 1 tokens or fewer keeps all");
        }
        assertThrows(CtxbenchException.class, () -> Session.Params.of(512).withKvEviction(KvEviction.parse("streaming 2 tokens")));
    }
}
