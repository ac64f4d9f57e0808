package io.ctxbench.compress;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.TestFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The extractive compressor on the real data, measured in SmolLM2's tokens, and at the edges. */
class ExtractiveCompressorTest {
    private static Model vocab;
    private static ExtractiveCompressor smol;

    @BeforeAll
    static void load() {
        vocab = Model.load(Model.Params.of(TestFiles.smolLm2()).withVocabOnly(true));
        smol = new ExtractiveCompressor(TokenCounter.of(vocab));
    }

    @AfterAll
    static void free() {
        vocab.close();
    }

    /** Result invariants: parts untouched, text = the kept spans of the original, in order. */
    static void checkShape(CompressionRequest req, CompressionResult r) {
        assertSame(req.question(), r.question(), "the question is passed through as is");
        assertSame(req.instruction(), r.instruction());
        String ctx = TextUtil.sanitize(req.context());
        if (!r.keptSpans().isEmpty()) {
            int last = 0;
            for (int[] s : r.keptSpans()) {
                assertTrue(s[0] >= last && s[1] > s[0] && s[1] <= ctx.length());
                last = s[1];
            }
            assertEquals(TextUtil.join(ctx, r.keptSpans()), r.context());
        }
    }

    @Test
    void rateWithinTenPercentOnMultiNewsAndQasperInTargetTokens() {
        for (JsonNode s : concat(Samples.multiNews(20), Samples.qasper(20))) {
            CompressionRequest req = CompressionRequest.of("", s.get("context").asText(), s.get("input").asText(), CompressionTarget.rate(2));
            CompressionResult r = smol.compress(req);
            checkShape(req, r);
            assertEquals(new ModelTokens(vocab).count(r.context()), r.compressedTokens(), "reported count = the text tokenized");
            assertEquals(2.0, r.achievedRate(), 0.2, () -> s.get("_id").asText() + ": " + r.originalTokens() + " -> " + r.compressedTokens());
            assertEquals(s.get("input").asText(), r.question());
        }
    }

    @Test
    void questionSteersTheSelection() {
        JsonNode s = Samples.qasper(1).getFirst();   // "What is the seed lexicon?"
        CompressionResult r = smol.compress(CompressionRequest.of("", s.get("context").asText(), s.get("input").asText(),
                CompressionTarget.rate(8)));
        assertTrue(r.context().toLowerCase().contains("seed lexicon"), r.context());
    }

    @Test
    void edges() {
        CompressionTarget two = CompressionTarget.rate(2);
        // empty
        CompressionResult e = smol.compress(CompressionRequest.of("i", "", "q", two));
        assertEquals("", e.context());
        assertEquals(0, e.originalTokens());
        assertEquals(1.0, e.achievedRate());
        // already under the budget: unchanged
        String small = "A short context. Two sentences.";
        CompressionResult u = smol.compress(CompressionRequest.of("", small, "", CompressionTarget.tokens(1000)));
        assertEquals(small, u.context());
        assertEquals(1.0, u.achievedRate());
        // rate 1.0: unchanged
        String text = Samples.multiNews(1).getFirst().get("context").asText();
        CompressionResult one = smol.compress(CompressionRequest.of("", text, "", CompressionTarget.rate(1)));
        assertEquals(text, one.context());
        // rate beyond what is possible: the minimum (one word of the best sentence), reported, never empty
        CompressionRequest tiny = CompressionRequest.of("", text, "", CompressionTarget.rate(1e6));
        CompressionResult min = smol.compress(tiny);
        checkShape(tiny, min);
        assertFalse(min.context().isBlank());
        assertEquals(1, min.budgetTokens());
        assertTrue(min.compressedTokens() >= 1 && min.compressedTokens() <= 8, min.context());
        assertEquals((double) min.originalTokens() / min.compressedTokens(), min.achievedRate(), 1e-9);
        assertEquals(min.compressedTokens() <= 1, min.targetMet());
    }

    @Test
    void forceTokensKeepTheirSentence() {
        String text = Samples.multiNews(1).getFirst().get("context").asText();
        String rare = "Dilworth";
        assertTrue(text.contains(rare));
        CompressionRequest req = CompressionRequest.of("", text, "", CompressionTarget.rate(10)).withForceTokens(List.of(rare));
        assertTrue(smol.compress(req).context().contains(rare));
    }

    @Test
    void nonAsciiAndHostileTextNeverCrash() throws Exception {
        String zh = "长上下文推理很昂贵。压缩提示可以降低成本！但是质量会下降吗？我们测量了速度和内存。结果令人惊讶。".repeat(20);
        String mixed = "Ünïcödé façade — naïve café. Emoji 😀 here! Ελληνικά κείμενο. Русский текст тоже есть. ".repeat(30);
        byte[] junk = new byte[4096];
        new java.util.Random(3).nextBytes(junk);
        String invalid = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE).decode(java.nio.ByteBuffer.wrap(junk)).toString();
        String control = ("ctl\u0000\u0001\u0007\u001b[31m<|im_start|>system\u200b\uFEFF end. ").repeat(50);
        String lone = "lone \uD800 high and \uDC00 low surrogates. ".repeat(40);
        for (String t : List.of(zh, mixed, invalid, control, lone)) {
            CompressionRequest req = CompressionRequest.of("", t, "What is measured?", CompressionTarget.rate(2));
            CompressionResult r = smol.compress(req);
            checkShape(req, r);
            assertTrue(r.compressedTokens() > 0 && r.compressedTokens() < r.originalTokens());
            assertEquals(2.0, r.achievedRate(), 0.6, () -> t.substring(0, 40) + ": " + r.originalTokens() + " -> " + r.compressedTokens());
        }
    }

    @Test
    void tenMegabyteLineAndHundredThousandWords() {
        StringBuilder line = new StringBuilder(10_000_000);
        java.util.Random rnd = new java.util.Random(1);
        while (line.length() < 10_000_000) {
            line.append((char) ('a' + rnd.nextInt(26))).append(rnd.nextInt(7) == 0 ? " " : "");
        }
        ExtractiveCompressor words = new ExtractiveCompressor(TokenCounter.words());
        CompressionRequest req = CompressionRequest.of("", line.toString(), "abc", CompressionTarget.rate(2));
        CompressionResult r = words.compress(req);
        checkShape(req, r);
        assertEquals(2.0, r.achievedRate(), 0.2);

        StringBuilder book = new StringBuilder();
        List<JsonNode> docs = Samples.multiNews(40);
        int w = 0;
        for (int i = 0; w < 100_000; i++) {
            String c = docs.get(i % docs.size()).get("context").asText();
            book.append(c).append('\n');
            w += TokenCounter.words().count(c);
        }
        CompressionRequest big = CompressionRequest.of("", book.toString(), "Occupy protesters police", CompressionTarget.rate(2));
        CompressionResult b = smol.compress(big);
        checkShape(big, b);
        assertEquals(2.0, b.achievedRate(), 0.2);
    }

    static List<JsonNode> concat(List<JsonNode> a, List<JsonNode> b) {
        List<JsonNode> out = new java.util.ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
