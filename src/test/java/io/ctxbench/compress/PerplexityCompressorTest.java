package io.ctxbench.compress;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.ProcessMemory;
import io.ctxbench.engine.TestFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;

import static io.ctxbench.compress.ExtractiveCompressorTest.checkShape;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The perplexity compressor with SmolLM2 on the CPU. Kept lean: the shortest real samples, and small contexts
 * where only the mechanics are checked.
 */
class PerplexityCompressorTest {
    private static Model model;
    private static PerplexityCompressor ppl;

    @BeforeAll
    static void load() {
        model = Model.load(Model.Params.of(TestFiles.smolLm2()).withGpuLayers(0));
        ppl = new PerplexityCompressor(model, null, PerplexityCompressor.Options.defaults().withContext(1024, 128));
    }

    @AfterAll
    static void free() {
        ppl.close();
        model.close();
    }

    @Test
    void rateWithinTenPercentOnShortestMultiNewsAndAQasperSample() {
        List<JsonNode> mn = Samples.multiNews(20).stream()
                .sorted(Comparator.comparingInt(s -> s.get("context").asText().length())).limit(1).toList();
        // qasper with its question: the coarse BM25 stage cuts to 1.5x the budget, then tokens are dropped
        List<JsonNode> qa = Samples.qasper(20).stream()
                .sorted(Comparator.comparingInt(s -> s.get("context").asText().length())).limit(1).toList();
        for (JsonNode s : ExtractiveCompressorTest.concat(mn, qa)) {
            CompressionRequest req = CompressionRequest.of("", s.get("context").asText(), s.get("input").asText(), CompressionTarget.rate(2));
            CompressionResult r = ppl.compress(req);
            checkShape(req, r);
            assertEquals(s.get("input").asText(), r.question());
            assertEquals(new ModelTokens(model).count(r.context()), r.compressedTokens());
            assertEquals(2.0, r.achievedRate(), 0.2, () -> s.get("_id").asText() + ": " + r.originalTokens() + " -> " + r.compressedTokens());
            assertTrue(r.scoredTokens() > 0);
            assertEquals("CPU", r.device());
        }
    }

    @Test
    void dropsPredictableTokensAndKeepsNumbersAndForceTokens() {
        String text = "The meeting was held on 14 March 2023 in Geneva. The the the the the the the the the the the the. "
                + "Revenue grew by 37 percent, the company said, and it said that it was very very very happy about it.";
        CompressionRequest req = CompressionRequest.of("", text, "", CompressionTarget.rate(2)).withForceTokens(List.of("happy"));
        CompressionResult r = ppl.compress(req);
        checkShape(req, r);
        for (String must : List.of("14", "2023", "37", "happy")) {
            assertTrue(r.context().contains(must), must + " missing from: " + r.context());
        }
        // the repeated "the" run is predictable: most of it goes
        assertTrue(r.context().split("the the", -1).length < 4, r.context());
    }

    @Test
    void edges() {
        assertEquals("", ppl.compress(CompressionRequest.of("", "", "q", CompressionTarget.rate(2))).context());
        String small = "Nothing to drop here.";
        CompressionResult u = ppl.compress(CompressionRequest.of("", small, "", CompressionTarget.rate(1)));
        assertEquals(small, u.context());
        assertEquals(0, u.scoredTokens(), "rate 1.0 runs no model");
        CompressionResult under = ppl.compress(CompressionRequest.of("", small, "", CompressionTarget.tokens(100)));
        assertEquals(small, under.context());
        // beyond what is possible: the force token stays, the target is reported as not met
        String text = "Alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma.";
        CompressionRequest req = CompressionRequest.of("", text, "", CompressionTarget.rate(1000)).withForceTokens(List.of("omicron"));
        CompressionResult r = ppl.compress(req);
        checkShape(req, r);
        assertTrue(r.context().contains("omicron"));
        assertFalse(r.targetMet());
        assertTrue(r.achievedRate() < 1000 && r.achievedRate() > 1);
    }

    @Test
    void longInputStreamsThroughASmallContext() {
        // ~100k words with a question: tokenized and BM25-filtered whole; the fine stage runs in 32-token segments
        // through a 96-token KV cache, re-seeded as it fills (bounded native memory)
        StringBuilder book = new StringBuilder();
        List<JsonNode> docs = Samples.multiNews(40);
        int w = 0;
        for (int i = 0; w < 100_000; i++) {
            String c = docs.get(i % docs.size()).get("context").asText();
            book.append(c).append('\n');
            w += TokenCounter.words().count(c);
        }
        try (PerplexityCompressor small = new PerplexityCompressor(model, null,
                PerplexityCompressor.Options.defaults().withContext(96, 32))) {
            CompressionRequest req = CompressionRequest.of("", book.toString(), "Occupy Philadelphia eviction", CompressionTarget.tokens(400));
            CompressionResult r = small.compress(req);
            checkShape(req, r);
            assertTrue(r.originalTokens() > 100_000);
            assertEquals(400, r.compressedTokens(), 40);
            assertTrue(r.context().contains("Occupy"), r.context());
            // a mid-size input without a question: many re-seeds of the 96-token cache
            String mid = docs.get(4).get("context").asText();
            CompressionRequest req2 = CompressionRequest.of("", mid, "", CompressionTarget.rate(2));
            CompressionResult r2 = small.compress(req2);
            checkShape(req2, r2);
            assertEquals(2.0, r2.achievedRate(), 0.2);
            assertTrue(r2.scoredTokens() > r2.originalTokens());
        }
    }

    @Test
    void hostileTextNeverCrashes() {
        String control = "ctl\u0000\u0001\u0007\u001b[31m <|im_start|>system\u200b\uFEFF end. lone \uD800 and \uDC00. 数字 42 😀.";
        CompressionRequest req = CompressionRequest.of("", control.repeat(4), "end?", CompressionTarget.rate(2));
        CompressionResult r = ppl.compress(req);
        checkShape(req, r);
        assertTrue(r.compressedTokens() < r.originalTokens());
    }

    @Test
    void nativeMemoryIsReleasedAfterEachCall() {
        ExtractiveCompressor ex = new ExtractiveCompressor(TokenCounter.of(model));
        String news = Samples.multiNews(20).stream().map(s -> s.get("context").asText())
                .min(Comparator.comparingInt(String::length)).orElseThrow();
        String tinyText = "Prices rose 3 percent in May. Analysts had expected less. The bank may raise rates again soon.";
        try (PerplexityCompressor tiny = new PerplexityCompressor(model, null, PerplexityCompressor.Options.defaults().withContext(64, 16))) {
            // RSS after a GC every 100 calls. A leak grows it call after call; the Java heap (left large by earlier
            // tests) can only shrink it, so the last reading is compared with the lowest one before it
            long low = Long.MAX_VALUE;
            long first = 0;
            long last = 0;
            for (int i = 1; i <= 1000; i++) {
                CompressionResult r = i % 10 == 0
                        ? tiny.compress(CompressionRequest.of("", tinyText, "", CompressionTarget.rate(2)))
                        : ex.compress(CompressionRequest.of("", news, "", CompressionTarget.rate(2)));
                assertTrue(r.compressedTokens() > 0);
                if (i % 100 == 0) {
                    System.gc();
                    last = ProcessMemory.residentBytes();
                    if (i == 100) {
                        first = last;
                    }
                    if (i < 1000) {
                        low = Math.min(low, last);
                    }
                }
            }
            long growth = last - low;
            System.out.printf("RSS after call 100: %d MiB, lowest up to call 900: %d MiB, after call 1000: %d MiB%n",
                    first >> 20, low >> 20, last >> 20);
            assertTrue(growth < 16L << 20, "RSS grew by " + (growth >> 20) + " MiB above its low over 1000 calls (100 of them scored in the session the compressor keeps)");
        }
    }

    private static String sentences(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append("Sentence number ").append(i).append(" talks about topic ").append(i % 7).append(". ");
        }
        return sb.toString();
    }

    @Test
    void aContextAboveTheInputLimitIsRefusedBeforeScoring() {
        String text = sentences(12);
        int tokens = new ModelTokens(model).count(text);
        CompressionRequest req = CompressionRequest.of("", text, "", CompressionTarget.rate(2));
        PerplexityCompressor.Options o = PerplexityCompressor.Options.defaults().withContext(128, 32);
        try (PerplexityCompressor under = new PerplexityCompressor(model, null, o.withMaxInputTokens(tokens - 1))) {
            CtxbenchException e = assertThrows(CtxbenchException.class, () -> under.compress(req));
            assertTrue(e.getMessage().contains("has " + tokens + " tokens") && e.getMessage().contains("--max-input-tokens"),
                    e.getMessage());
            // far above it: refused from a prefix's count, without tokenizing megabytes first
            CtxbenchException big = assertThrows(CtxbenchException.class,
                    () -> under.compress(CompressionRequest.of("", text.repeat(10_000), "", CompressionTarget.rate(2))));
            assertTrue(big.getMessage().contains("estimated from its first"), big.getMessage());
        }
        try (PerplexityCompressor at = new PerplexityCompressor(model, null, o.withMaxInputTokens(tokens))) {
            assertEquals(tokens, at.compress(req).originalTokens());
        }
        assertEquals(1 << 20, PerplexityCompressor.Options.defaults().maxInputTokens());
    }

    @Test
    void reportsProgressWithRateAndEta() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8);
        try (PerplexityCompressor p = new PerplexityCompressor(model, null, PerplexityCompressor.Options.defaults()
                .withContext(96, 16).withProgress(PerplexityCompressor.Progress.lines(ps, 0)))) {
            p.compress(CompressionRequest.of("", sentences(12), "", CompressionTarget.rate(2)));
        }
        List<String> lines = buf.toString(StandardCharsets.UTF_8).lines().toList();
        assertTrue(lines.size() >= 4, lines.toString());
        java.util.regex.Pattern line = java.util.regex.Pattern.compile(
                "perplexity: scored ([\\d,]+) / ([\\d,]+) tokens \\(\\d+\\.\\d%\\), \\d+ tokens/s, ETA \\d+:\\d\\d:\\d\\d");
        int before = 0;
        for (String l : lines) {
            java.util.regex.Matcher m = line.matcher(l);
            assertTrue(m.matches(), l);
            int done = Integer.parseInt(m.group(1).replace(",", ""));
            assertTrue(done > before, lines.toString());
            before = done;
        }
        assertTrue(lines.getLast().contains("(100.0%)"), lines.getLast());
    }
}
