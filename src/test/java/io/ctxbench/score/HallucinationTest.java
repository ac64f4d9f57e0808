package io.ctxbench.score;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HallucinationTest {
    private static final String CONTEXT = "The Treaty of Westphalia was signed in 1648 in the cities of Osnabrueck and Muenster. "
            + "It ended the Thirty Years' War and shaped the modern system of sovereign states in Europe.";

    @Test
    void answerCopiedFromTheContextScoresZero() {
        Hallucination.Result r = Hallucination.score("The Treaty of Westphalia was signed in 1648", CONTEXT);
        assertTrue(r.elements() >= 6, r.details().toString());
        assertEquals(0, r.hallucinated(), r.details().toString());
        assertEquals(0.0, r.score());
        assertEquals(0.0, Hallucination.score("", CONTEXT).score());
    }

    @Test
    void anInventedEntityRaisesTheScore() {
        Hallucination.Result base = Hallucination.score("The treaty was signed in Muenster.", CONTEXT);
        Hallucination.Result invented = Hallucination.score("The treaty was signed in Copenhagen by Gustavus Adolphus.", CONTEXT);
        assertEquals(0.0, base.score(), base.details().toString());
        assertTrue(invented.score() > 0.2, invented.details().toString());
        assertTrue(invented.details().stream().anyMatch(e -> e.text().contains("adolphus") && e.hallucinated()),
                invented.details().toString());
        assertTrue(invented.details().stream().anyMatch(e -> e.text().equals("copenhagen") && e.hallucinated()));
        // score = hallucinated / elements, exactly
        assertEquals((double) invented.hallucinated() / invented.elements(), invented.score());
    }

    @Test
    void nearMatchesAt085CountAsFoundAndAt06DoNot() {
        String ctx = "alpha bravo abcdefghijklmnopqrst charlie delta";
        var p = Hallucination.prepare(ctx);
        // 3 of 20 letters changed: similarity 1 - 3/20 = 0.85
        String near = "abcXefgYijklmZopqrst";
        assertEquals(0.85, Hallucination.similarity(near, p), 1e-12);
        // 8 of 20 changed: 0.6
        String far = "aXcXeXgXiXkXmXoXqrst";
        assertEquals(0.6, Hallucination.similarity(far, p), 1e-12);
        Hallucination.Result rNear = Hallucination.score(near, p), rFar = Hallucination.score(far, p);
        assertEquals(0.0, rNear.score(), rNear.details().toString());
        assertEquals(1.0, rFar.score(), rFar.details().toString());
        assertEquals(1.0, Hallucination.similarity("ABCDEFGHIJ", p));   // case-insensitive exact occurrence
    }

    @Test
    void bitParallelSearchEqualsTheDynamicProgram() {
        Random r = new Random(3);
        for (int k = 0; k < 300; k++) {
            int[] t = new int[50 + r.nextInt(200)], pat = new int[1 + r.nextInt(64)];
            for (int i = 0; i < t.length; i++) t[i] = 'a' + r.nextInt(4);
            for (int i = 0; i < pat.length; i++) pat[i] = 'a' + r.nextInt(5);
            int d = Hallucination.dp(pat, t);
            assertEquals(d, Hallucination.myers(pat, t), "case " + k);
            StringBuilder ts = new StringBuilder(), ps = new StringBuilder();
            for (int c : t) ts.appendCodePoint(c);
            for (int c : pat) ps.appendCodePoint(c);
            assertEquals(d, Hallucination.myers(pat, Hallucination.prepare(ts.toString())), "prepared case " + k);
        }
    }

    @Test
    void twentyThousandWordContextScoresUnder200ms() {
        Random r = new Random(11);
        String[] words = {"market", "river", "council", "station", "engineer", "harvest", "library", "signal", "museum",
                "Lisbon", "report", "weather", "treaty", "village", "archive", "festival", "harbor", "orchard"};
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            sb.append(words[r.nextInt(words.length)]).append(i % 17 == 16 ? ". " : " ");
        }
        String ctx = sb.toString();
        // a summary-length answer: 300 words, some copied, some invented
        StringBuilder ans = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            ans.append(i % 10 == 0 ? "Zanzibar" + i : words[r.nextInt(words.length)]).append(i % 15 == 14 ? ". " : " ");
        }
        String answer = ans.toString();
        Hallucination.score("warm up the models", ctx);
        // CPU time of this thread, so that other processes on a shared machine do not count; wall time printed too
        var threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long best = Long.MAX_VALUE, bestWall = Long.MAX_VALUE;
        Hallucination.Result res = null;
        for (int k = 0; k < 3; k++) {
            long c0 = threads.getCurrentThreadCpuTime(), t0 = System.nanoTime();
            res = Hallucination.score(answer, Hallucination.prepare(ctx));
            best = Math.min(best, threads.getCurrentThreadCpuTime() - c0);
            bestWall = Math.min(bestWall, System.nanoTime() - t0);
        }
        long e0 = System.nanoTime();
        Hallucination.elements(answer);
        long e1 = System.nanoTime();
        Hallucination.prepare(ctx);
        long e2 = System.nanoTime();
        System.out.printf("hallucination: 20000-word context (%d chars), %d elements, %.1f ms CPU, %.1f ms wall "
                        + "(elements %.1f ms, prepare %.1f ms)%n",
                ctx.length(), res.elements(), best / 1e6, bestWall / 1e6, (e1 - e0) / 1e6, (e2 - e1) / 1e6);
        assertTrue(res.hallucinated() >= 30, res.details().toString());
        assertTrue(best < 200_000_000L, "took " + best / 1e6 + " ms");
    }
}
