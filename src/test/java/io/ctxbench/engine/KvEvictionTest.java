package io.ctxbench.engine;

import io.ctxbench.CtxbenchException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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

    @Test
    void aBudgetIsAFractionOrACountNotBoth() {
        assertThrows(CtxbenchException.class, () -> new KvEviction(KvEviction.Policy.STREAMING, 0.5, 100, 4));
        assertThrows(CtxbenchException.class, () -> new KvEviction(KvEviction.Policy.STREAMING, 0, 0, 4));
    }
}
