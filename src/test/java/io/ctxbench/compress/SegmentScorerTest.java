package io.ctxbench.compress;

import io.ctxbench.engine.FlashAttention;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.Session;
import io.ctxbench.engine.TestFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MERGED calls (kept tokens, prefix or re-seed in the next segment's llama_decode) condition every token on what
 * SEPARATE calls do, in fewer calls: checked on CPU, where only the rounding of other batch shapes may differ.
 */
class SegmentScorerTest {
    private static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(Model.Params.of(TestFiles.smolLm2()).withGpuLayers(0));
    }

    @AfterAll
    static void free() {
        model.close();
    }

    /** One fine stage over {@code text}: the self-information of each token, what was kept, and the calls it took. */
    private record Scored(float[] info, boolean[] kept, long calls, long reused) { }

    private static Scored score(String text, PerplexityCompressor.Options o) {
        try (SegmentScorer scorer = new SegmentScorer(model, o)) {
            return score(scorer, text, o);
        }
    }

    private static Scored score(SegmentScorer scorer, String text, PerplexityCompressor.Options o) {
        ModelTokens mt = new ModelTokens(model);
        ModelTokens.Tokenized tk = mt.tokenize(text);
        int[] tok = tk.tokens();
        Words words = Words.of(tok, tk.charStarts(), mt.pieces(), List.of(), o.maxUnitTokens(), true, true);
        float[] info = new float[tok.length];
        Selection sel = new Selection(words, info, 0.5, o.segmentTokens());
        scorer.score(tok, words, info, sel);
        return new Scored(info, sel.kept(), scorer.time().calls, scorer.time().graphsReused);
    }

    /** The session a scorer keeps between calls scores the next text exactly as a new session does, in either shape. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = PerplexityCompressor.Calls.class, names = {"SEPARATE", "FIXED"})
    void aKeptSessionScoresTheNextTextAsANewOne(PerplexityCompressor.Calls calls) {
        PerplexityCompressor.Options o = PerplexityCompressor.Options.defaults().withContext(1024, 128).withThreads(2)
                .withReduction(PerplexityCompressor.Reduction.DEVICE).withCalls(calls);
        String text = text().substring(0, 3000);
        String other = text().substring(6000, 8000);
        Scored fresh = score(text, o);
        try (SegmentScorer scorer = new SegmentScorer(model, o)) {
            score(scorer, other, o);
            assertTrue(scorer.time().openNanos > 0, "the first call opens the session");
            Scored kept = score(scorer, text, o);
            assertEquals(0, scorer.time().openNanos, "the second call reuses it");
            assertTrue(fresh.info().length > 500);
            assertTrue(Arrays.equals(fresh.info(), kept.info()), "self-information differs after a kept session");
            assertTrue(Arrays.equals(fresh.kept(), kept.kept()), "kept tokens differ after a kept session");
        }
    }

    private static String text() {
        return String.join("\n", Samples.multiNews(3).stream().map(s -> s.get("context").asText()).toList()).substring(0, 14_000);
    }

    @Test
    void mergedCallsScoreEveryTokenAsSeparateOnesDo() {
        // not iterative: each token is conditioned on the same original tokens both ways, re-seeds included (1024 context)
        PerplexityCompressor.Options o = PerplexityCompressor.Options.defaults().withContext(1024, 128).withThreads(2)
                .withIterative(false).withReduction(PerplexityCompressor.Reduction.HOST);
        String text = text();
        Scored sep = score(text, o.withCalls(PerplexityCompressor.Calls.SEPARATE));
        Scored mer = score(text, o.withCalls(PerplexityCompressor.Calls.MERGED));
        int n = sep.info().length;
        assertTrue(n > 3000, n + " tokens: several re-seeds of the 1024-token cache");
        double sum = 0;
        double worst = 0;
        for (int i = 1; i < n; i++) {
            assertTrue(Float.isFinite(sep.info()[i]) && Float.isFinite(mer.info()[i]), "token " + i);
            double d = Math.abs(sep.info()[i] - mer.info()[i]);
            sum += d;
            worst = Math.max(worst, d);
        }
        double mean = sum / (n - 1);
        assertTrue(mean < 0.02 && worst < 0.5, String.format("merged differs from separate: mean %.4f, worst %.3f nats", mean, worst));
        assertTrue(mer.calls() < sep.calls(), mer.calls() + " merged calls, " + sep.calls() + " separate");
    }

    @Test
    void aMergedCallConditionsTheSegmentExactlyAsTheKeptTokensDecodedBeforeIt() {
        // the iterative runs differ by rounding only: kept tokens decoded in other micro-batch sizes (129 + 1 against
        // 130) give other K/V values on CPU; decoded in one micro-batch of their own they give the merged call's values
        int[] tok = model.tokenize(text(), false, false);
        int[] kept = new int[130];
        for (int i = 0; i < kept.length; i++) {
            kept[i] = tok[2 * i];
        }
        int[] seg = Arrays.copyOfRange(tok, 300, 428);
        int[] both = new int[kept.length + seg.length];
        System.arraycopy(kept, 0, both, 0, kept.length);
        System.arraycopy(seg, 0, both, kept.length, seg.length);
        float[] apart = new float[seg.length];
        float[] merged = new float[seg.length];
        Session.Params sp = Session.Params.of(1024).withBatch(384, 384).withThreads(2).withFlashAttention(FlashAttention.AUTO);
        try (Session s = Session.open(model, sp)) {
            s.evaluate(kept, kept.length - 1, null);
            s.evaluate(seg, 0, rowsInto(apart, seg, kept.length));
            s.clear();
            s.evaluate(both, kept.length, rowsInto(merged, seg, kept.length));
        }
        for (int i = 1; i < seg.length; i++) {
            assertTrue(apart[i] > 0, "token " + i + " scored");
            assertEquals(apart[i], merged[i], "token " + i);
        }
    }

    /** Writes -log p(seg[i + 1]) of the row after seg[i] into {@code info[i + 1]}; seg starts at position {@code at}. */
    private static Session.LogitsRows rowsInto(float[] info, int[] seg, int at) {
        int vocab = model.vocabSize();
        return (first, rows, logits) -> {
            for (int r = 0; r < rows; r++) {
                int i = first + r - at;
                if (i >= 0 && i + 1 < seg.length) {
                    info[i + 1] = LogSumExp.selfInformation(logits.asSlice((long) r * vocab * 4, (long) vocab * 4), vocab, seg[i + 1]);
                }
            }
        };
    }

    @Test
    void mergedIterativeScoringKeepsTheSameWordsInAThirdOfTheCalls() {
        PerplexityCompressor.Options o = PerplexityCompressor.Options.defaults().withContext(1024, 128).withThreads(2)
                .withReduction(PerplexityCompressor.Reduction.DEVICE);
        String text = text();
        Scored sep = score(text, o.withCalls(PerplexityCompressor.Calls.SEPARATE));
        Scored mer = score(text, o.withCalls(PerplexityCompressor.Calls.MERGED));
        int both = 0;
        int either = 0;
        int keptSep = 0;
        int keptMer = 0;
        for (int i = 0; i < sep.kept().length; i++) {
            both += sep.kept()[i] && mer.kept()[i] ? 1 : 0;
            either += sep.kept()[i] || mer.kept()[i] ? 1 : 0;
            keptSep += sep.kept()[i] ? 1 : 0;
            keptMer += mer.kept()[i] ? 1 : 0;
        }
        assertEquals(keptSep, keptMer, keptSep / 50.0, "the same share is kept");
        double jaccard = (double) both / either;
        assertTrue(jaccard > 0.9, String.format("kept tokens: %d both, %d either (Jaccard %.3f)", both, either, jaccard));
        assertTrue(3 * mer.calls() <= sep.calls() + 12, mer.calls() + " merged calls, " + sep.calls() + " separate");
    }

    @Test
    void mergedCallsHoldInTheSmallestContextWithReseedsAndEitherReduction() {
        // context 136 = two 64-token segments + 8: a re-seed every other segment, merged calls at their largest
        String text = text().substring(0, 9_000);
        for (PerplexityCompressor.Reduction r : List.of(PerplexityCompressor.Reduction.HOST, PerplexityCompressor.Reduction.DEVICE)) {
            PerplexityCompressor.Options o = PerplexityCompressor.Options.defaults().withContext(136, 64).withThreads(2)
                    .withReduction(r).withCalls(PerplexityCompressor.Calls.MERGED);
            Scored m = score(text, o);
            int kept = 0;
            for (int i = 0; i < m.info().length; i++) {
                assertTrue(i == 0 || Float.isFinite(m.info()[i]) && m.info()[i] >= 0, r + ": token " + i + " " + m.info()[i]);
                kept += m.kept()[i] ? 1 : 0;
            }
            assertEquals(m.info().length / 2.0, kept, m.info().length / 50.0, r + ": half kept");
            int segments = m.info().length / 64;
            assertTrue(m.calls() <= 1.7 * segments + 4, r + ": " + m.calls() + " calls for ~" + segments + " segments");
        }
    }

    @Test
    void fixedShapeCallsScoreAsMergedOnesOnAReusedGraph() {
        PerplexityCompressor.Options o = PerplexityCompressor.Options.defaults().withContext(1024, 128).withThreads(2)
                .withReduction(PerplexityCompressor.Reduction.DEVICE);
        String text = text().substring(0, 7_000);   // ~1,600 tokens: re-seeds of the 1024-token cache
        for (boolean iterative : new boolean[]{false, true}) {
            Scored mer = score(text, o.withIterative(iterative).withCalls(PerplexityCompressor.Calls.MERGED));
            Scored fix = score(text, o.withIterative(iterative).withCalls(PerplexityCompressor.Calls.FIXED));
            double sum = 0;
            int both = 0;
            int either = 0;
            for (int i = 1; i < mer.info().length; i++) {
                assertTrue(Float.isFinite(fix.info()[i]) && fix.info()[i] >= 0, "token " + i + ": " + fix.info()[i]);
                sum += Math.abs(mer.info()[i] - fix.info()[i]);
                both += mer.kept()[i] && fix.kept()[i] ? 1 : 0;
                either += mer.kept()[i] || fix.kept()[i] ? 1 : 0;
            }
            double mean = sum / (mer.info().length - 1);
            System.err.printf("fixed vs merged (iterative %s): mean %.5f nats, Jaccard %.3f, calls %d/%d, reused %d/%d%n",
                    iterative, mean, (double) both / either, fix.calls(), mer.calls(), fix.reused(), mer.reused());
            if (!iterative) {
                assertTrue(mean < 0.02, "fixed differs from merged by " + mean + " nats a token");
            } else {
                assertTrue((double) both / either > 0.9, "kept tokens: Jaccard " + (double) both / either);
            }
            // every call has the shape of the one before it but the first and the re-seeds' (a call apart, then the same)
            assertTrue(fix.reused() >= fix.calls() * 3 / 4, fix.reused() + " of " + fix.calls() + " fixed-shape calls reused a graph");
            assertTrue(mer.reused() < mer.calls() / 2, mer.reused() + " of " + mer.calls() + " merged calls reused a graph");
        }
    }
}
