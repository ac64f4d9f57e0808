package io.ctxbench.engine;

import io.ctxbench.CtxbenchException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The budget arithmetic and the spelling of an eviction, without a model. */
class KvEvictionTest {

    @Test
    void keptIsTheBudgetWithinSinksPlusOneAndThePrompt() {
        KvEviction q = KvEviction.streaming(0.25);
        assertEquals(250, q.kept(1000));
        assertEquals(251, q.kept(1001), "rounded up: at least a quarter stays");
        assertEquals(5, q.kept(12), "a quarter of 12 is 3, below sinks + 1");
        assertEquals(5, q.kept(5), "a prompt of sinks + 1 tokens keeps all");
        assertEquals(3, q.kept(3));
        KvEviction t = KvEviction.streamingTokens(100);
        assertEquals(100, t.kept(1000));
        assertEquals(60, t.kept(60), "a budget above the prompt keeps the prompt");
        assertEquals(1000, KvEviction.streaming(1.0).kept(1000));
        assertEquals(1000, KvEviction.NONE.kept(1000));
        assertEquals(1, new KvEviction(KvEviction.Policy.STREAMING, 0, 1, 0).kept(1000), "no sinks: only the last token");
    }

    @Test
    void labelsReadBack() {
        for (KvEviction e : new KvEviction[] {KvEviction.NONE, KvEviction.streaming(0.25), KvEviction.streaming(0.125),
                KvEviction.streamingTokens(2048), new KvEviction(KvEviction.Policy.STREAMING, 0.5, 0, 0)}) {
            assertEquals(e, KvEviction.parse(e.label()), e.label());
        }
        assertEquals("streaming 25% sinks 4", KvEviction.streaming(0.25).label());
        assertEquals("streaming 2048 tokens sinks 4", KvEviction.streamingTokens(2048).label());
        assertEquals(KvEviction.streaming(0.5), KvEviction.parse("Streaming 0.5"));
        assertEquals(KvEviction.streaming(0.5), KvEviction.parse("streaming 50%"));
        assertFalse(KvEviction.NONE.evicts());
        assertTrue(KvEviction.streaming(1.0).evicts());
    }

    @ParameterizedTest
    @ValueSource(strings = {"streaming", "streaming 0", "streaming 1.5", "streaming -0.25", "streaming 150%", "streaming x",
            "streaming 4 tokens", "streaming 3 tokens sinks 4", "streaming 0.5 sinks -1", "streaming 0.5 sinks",
            "streaming 0.5 window 8", "h2o 0.5", "none 0.5", "streaming NaN"})
    void badBudgetsAreRefusedInOneLine(String spec) {
        CtxbenchException e = assertThrows(CtxbenchException.class, () -> KvEviction.parse(spec));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("eviction"), e.getMessage());
    }

    /** The memory calls of a compaction, checked by replaying them on a list of (position) cells. */
    @Test
    void compactionRemovesTheGapsAndShiftsTheRunsDown() {
        assertEquals(List.of(new KvEviction.Op(4, 75, 0), new KvEviction.Op(75, 100, -71)),
                KvEviction.compaction(100, range(0, 4, 75, 100)), "StreamingLLM: one removal, one shift");
        assertEquals(List.of(new KvEviction.Op(0, 90, 0), new KvEviction.Op(90, 100, -90)),
                KvEviction.compaction(100, range(90, 100)), "no sinks");
        assertEquals(List.of(), KvEviction.compaction(5, range(0, 5)), "keeping all calls nothing");
        int n = 50;
        int[] kept = {0, 1, 7, 8, 9, 20, 33, 34, 48};
        List<int[]> cells = new java.util.ArrayList<>();   // {original, current position}
        for (int p = 0; p < n; p++) {
            cells.add(new int[] {p, p});
        }
        for (KvEviction.Op op : KvEviction.compaction(n, kept)) {
            if (op.shift() == 0) {
                cells.removeIf(c -> c[1] >= op.from() && c[1] < op.to());
            } else {
                cells.stream().filter(c -> c[1] >= op.from() && c[1] < op.to()).forEach(c -> c[1] += op.shift());
            }
        }
        assertEquals(kept.length, cells.size());
        for (int i = 0; i < kept.length; i++) {
            assertEquals(kept[i], cells.get(i)[0]);
            assertEquals(i, cells.get(i)[1]);
        }
        assertThrows(IllegalArgumentException.class, () -> KvEviction.compaction(10, new int[] {3, 2}));
    }

    /** Positions [a0, a1) then [b0, b1) ... */
    private static int[] range(int... bounds) {
        java.util.stream.IntStream s = java.util.stream.IntStream.empty();
        for (int i = 0; i < bounds.length; i += 2) {
            s = java.util.stream.IntStream.concat(s, java.util.stream.IntStream.range(bounds[i], bounds[i + 1]));
        }
        return s.toArray();
    }

    /** SnapKV's choice: pooled attention before the window, the highest kept, the window always. */
    @Test
    void snapKvKeepsWhatTheWindowAttendsToAndTheWindow() {
        int n = 200, w = KvEviction.WINDOW;
        float[] a = new float[n];
        java.util.Arrays.fill(a, 0.001f);
        a[20] = 10;     // a peak: pooling spreads it over 18..22
        a[100] = 3;     // a lower one: 98..102
        a[190] = 50;    // inside the window: kept anyway, and not a candidate
        int[] kept = KvEviction.snapKvKept(a, n, w + 10);
        assertEquals(w + 10, kept.length);
        assertEquals(List.of(18, 19, 20, 21, 22, 98, 99, 100, 101, 102), java.util.Arrays.stream(kept, 0, 10).boxed().toList());
        for (int i = 0; i < w; i++) {
            assertEquals(n - w + i, kept[10 + i]);
        }
        assertEquals(List.of(18, 19, 20, 21, 22), java.util.Arrays.stream(KvEviction.snapKvKept(a, n, w + 5), 0, 5).boxed()
                .toList(), "the higher peak first");
        int[] flat = KvEviction.snapKvKept(new float[n], n, w + 3);
        assertEquals(List.of(0, 1, 2), java.util.Arrays.stream(flat, 0, 3).boxed().toList(), "ties go to the earlier position");
        KvEviction e = KvEviction.snapKv(0.25);
        assertEquals("snapkv 25%", e.label());
        assertEquals(e, KvEviction.parse("snapkv 0.25"));
        assertEquals(100, e.observeFrom(100 + 64), "the window starts 64 before the end");
        assertEquals(65, e.observeFrom(65), "a prompt that keeps everything observes nothing");
        assertEquals(80, KvEviction.streaming(0.25).observeFrom(80), "streaming observes nothing");
        assertEquals(65, e.kept(100), "at least the window and one more");
        assertThrows(CtxbenchException.class, () -> KvEviction.parse("snapkv 0.25 sinks 4"));
        assertThrows(CtxbenchException.class, () -> KvEviction.parse("snapkv 64 tokens"));
    }

    @Test
    void aBudgetIsAFractionOrACountNotBoth() {
        assertThrows(CtxbenchException.class, () -> new KvEviction(KvEviction.Policy.STREAMING, 0.5, 100, 4));
        assertThrows(CtxbenchException.class, () -> new KvEviction(KvEviction.Policy.STREAMING, 0, 0, 4));
    }
}
