package io.ctxbench.compress;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.Encoder;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.TestFiles;
import io.ctxbench.gguf.ModelCatalog;
import io.ctxbench.gguf.ModelShape;
import io.ctxbench.gguf.SyntheticModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.ctxbench.compress.ExtractiveCompressorTest.checkShape;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * LLMLingua-2's token classifier on a synthetic classifier of its layout (tiny-bert-classifier: arch bert, XLM-R's
 * tokenizer, a 2-label head; random weights, so which words survive means nothing, but every path is the real one):
 * numpy's percentile and LLMLingua-2's word selection on hand-made values, the encoder's batching, the chunking, the
 * rate on LongBench texts, force tokens and the edges.
 */
class TokenClassifierCompressorTest {
    @TempDir
    static Path tmp;
    static Path classifierFile;
    static Model classifier;
    static Model target;
    static TokenClassifierCompressor c;

    @BeforeAll
    static void load() {
        ModelShape s = ModelCatalog.load().require("tiny-bert-classifier");
        classifierFile = tmp.resolve("tiny-bert-classifier.gguf");
        SyntheticModel.write(s, SyntheticModel.WeightType.F16, TestFiles.llamaCppSource().resolve("models").resolve(s.vocab()),
                classifierFile, 42, 2);
        classifier = Model.load(Model.Params.of(classifierFile).withGpuLayers(0));
        target = Model.load(Model.Params.of(TestFiles.smolLm2()).withVocabOnly(true).withGpuLayers(0));
        c = new TokenClassifierCompressor(classifier, TokenCounter.of(target), TokenClassifierCompressor.Options.defaults()
                .withThreads(2).withBatch(1024, 4));
    }

    @AfterAll
    static void free() {
        c.close();
        classifier.close();
        target.close();
    }

    @Test
    void percentileIsNumpys() {
        // numpy 2.4.6: np.percentile(v, q), default (linear) method
        check(0.70490823, 51, 0.625095, 0.897214, 0.775686, 0.225207);
        check(0.79803536, 51, 0.300166, 0.873553, 0.005265, 0.821228, 0.797069);
        check(0.25628335999999996, 1, 0.467935, 0.303032, 0.278426, 0.25487, 0.445076, 0.504548, 0.553497);
        check(0.2332838, 34, 0.9955, 0.792662, 0.622179, 0.98896, 0.215309, 0.160212, 0.61254, 0.043942, 0.03568, 0.514889);
        check(0.5187223200000001, 67, 0.466206, 0.917168, 0.629226, 0.514118, 0.496873, 0.247515, 0.011794, 0.192402,
                0.692032, 0.200607, 0.369536, 0.003734, 0.830048);
        check(0.880332, 100, 0.154461, 0.267599, 0.880332);
        check(0.509791, 51, 0.509791);
        check(0.75020132, 76, 0.84715, 0.639717, 0.741771, 0.091496, 0.541144, 0.507772, 0.871339, 0.361264, 0.598184);
    }

    private static void check(double expected, int q, double... v) {
        assertEquals(expected, TokenClassifierCompressor.percentile(v.clone(), q), 1e-15);
    }

    @Test
    void selectionIsLlmlingua2s() {
        // word probabilities repeated by target tokens: [0.2 0.2 0.6 0.9 1.0]; reduce 0.5 -> q 51 -> 0.612
        assertArrayEquals(new boolean[] {true, false, false, true},
                TokenClassifierCompressor.select(new double[] {0.9, 0.2, 0.6, 1.0}, new int[] {1, 2, 1, 1}, 0.5));
        // a threshold of exactly 1.0 keeps the words at it (all forced)
        assertArrayEquals(new boolean[] {true, true, true},
                TokenClassifierCompressor.select(new double[] {1.0, 1.0, 1.0}, new int[] {1, 1, 1}, 0.5));
        // a word of no target tokens takes no part in the percentile: [0.1 0.3] at q 51 -> 0.202
        assertArrayEquals(new boolean[] {false, true, false},
                TokenClassifierCompressor.select(new double[] {0.1, 0.3, 0.2}, new int[] {1, 1, 0}, 0.5));
        // reduce 0.995 -> q 100 (numpy's largest), nothing above the maximum
        assertArrayEquals(new boolean[] {false, false},
                TokenClassifierCompressor.select(new double[] {0.4, 0.5}, new int[] {1, 1}, 0.995));
    }

    @Test
    void encoderBatchesSequencesIndependently() {
        try (Encoder e = Encoder.open(classifier, new Encoder.Params(512, 4, 2))) {
            assertEquals(64, e.embeddingSize());
            assertEquals(2, e.specialTokens());   // <s> ... </s>
            assertEquals(510, e.maxSequenceTokens());
            int[] a = classifier.tokenize("The committee approved the budget on Tuesday.", false, false);
            int[] b = classifier.tokenize("Rain is expected in the north; the south stays dry.", false, false);
            float[][] alone = new float[a.length + b.length][];
            e.encode(List.of(a), (s, k, h) -> alone[k] = h.clone());
            e.encode(List.of(b), (s, k, h) -> alone[a.length + k] = h.clone());
            float[][] together = new float[a.length + b.length][];
            int[] rows = {0};
            e.encode(List.of(a, b), (s, k, h) -> {
                together[(s == 0 ? 0 : a.length) + k] = h.clone();
                rows[0]++;
            });
            assertEquals(a.length + b.length, rows[0], "one hidden state a token, special tokens left out");
            for (int i = 0; i < alone.length; i++) {
                for (int j = 0; j < 64; j++) {
                    assertEquals(alone[i][j], together[i][j], 2e-3, "token " + i + " dim " + j);
                }
            }
            CtxbenchException tooLong = assertThrows(CtxbenchException.class, () -> e.encode(List.of(new int[511]), (s, k, h) -> { }));
            assertTrue(tooLong.getMessage().contains("longer than the encoder takes (510)"), tooLong.getMessage());
            assertThrows(CtxbenchException.class, () -> e.encode(List.of(a, a, a, a, a), (s, k, h) -> { }));
        }
    }

    @Test
    void chunksFitTheEncoderAndEndAtPeriods() {
        String text = Samples.multiNews(1).getFirst().get("context").asText();
        int[] tok = new ModelTokens(classifier).tokenize(text).tokens();
        List<int[]> chunks = c.chunks(tok);
        assertTrue(chunks.size() > 2, "a multi_news text is several chunks");
        int next = 0;
        byte[][] pieces = new ModelTokens(classifier).pieces();
        for (int i = 0; i < chunks.size(); i++) {
            int[] ch = chunks.get(i);
            assertEquals(next, ch[0], "chunks cover the tokens in order");
            assertTrue(ch[1] - ch[0] <= 510 && ch[1] > ch[0]);
            if (i + 1 < chunks.size()) {
                assertEquals(".", new String(pieces[tok[ch[1] - 1]]), "chunk " + i + " ends at a period");
            }
            next = ch[1];
        }
        assertEquals(tok.length, next);
    }

    @Test
    void compressesLongBenchTextsToAboutTheRate() {
        List<JsonNode> samples = new ArrayList<>(Samples.multiNews(3));
        samples.addAll(Samples.qasper(2));
        ModelTokens counter = new ModelTokens(target);
        for (JsonNode s : samples) {
            CompressionRequest req = CompressionRequest.of("", s.get("context").asText(), s.get("input").asText(),
                    CompressionTarget.rate(2));
            CompressionResult r = c.compress(req);
            checkShape(req, r);
            assertTrue(r.keptSpans().size() > 1, "offsets are known: kept words are original substrings");
            assertEquals(counter.count(r.context()), r.compressedTokens());
            assertEquals("llmlingua2", r.method());
            assertTrue(r.scoredTokens() > r.originalTokens() / 2, "every classifier token was encoded");
            // the percentile keeps about 49 % of each chunk's target tokens
            assertEquals(2.0, r.achievedRate(), 0.35, () -> s.get("_id").asText() + ": " + r.originalTokens() + " -> " + r.compressedTokens());
            assertEquals(r.context(), c.compress(req).context(), "the same input gives the same output");
        }
    }

    @Test
    void forceTokensAreKept() {
        String text = Samples.multiNews(2).get(1).get("context").asText();
        CompressionRequest req = CompressionRequest.of("", text, "", CompressionTarget.rate(3));
        ModelTokens mt = new ModelTokens(classifier);
        long dotTokens = java.util.Arrays.stream(mt.tokenizeAligned(text).tokens())
                .filter(t -> new String(mt.pieces()[t], java.nio.charset.StandardCharsets.UTF_8).equals(".")).count();
        long plain = c.compress(req).context().chars().filter(ch -> ch == '.').count();
        long forced = c.compress(req.withForceTokens(List.of("."))).context().chars().filter(ch -> ch == '.').count();
        assertTrue(dotTokens > 20, dotTokens + " period tokens");
        assertTrue(plain < 0.8 * dotTokens, plain + " periods kept without forcing, of " + dotTokens + " period tokens");
        assertTrue(forced >= dotTokens, forced + " periods kept when forced, of " + dotTokens + " period tokens");
    }

    @Test
    void edges() {
        CompressionResult empty = c.compress(CompressionRequest.of("i", "", "q", CompressionTarget.rate(2)));
        assertEquals("", empty.context());
        String shortText = "A short context that fits the budget.";
        CompressionResult same = c.compress(CompressionRequest.of("", shortText, "", CompressionTarget.tokens(1000)));
        assertEquals(shortText, same.context());
        // whitespace the tokenizer normalizes (newlines, runs of spaces) stays as it was in the kept text
        String spaced = "First line of the text.\n\nSecond   line, with   spaces.\tA tab and more words follow here.";
        CompressionResult r = c.compress(CompressionRequest.of("", spaced, "", CompressionTarget.rate(1.5)));
        checkShape(CompressionRequest.of("", spaced, "", CompressionTarget.rate(1.5)), r);
        assertTrue(r.keptSpans().size() >= 1);
    }

    @Test
    void piecesAlignWithTheTextThroughNormalization() {
        ModelTokens mt = new ModelTokens(classifier);
        // XLM-R's tokenizer puts a space first, makes runs of whitespace one space, and writes U+2026 as "..."
        String text = "That sounds\u2026whatever\u2026but it was  fine.\n\nNext   line";
        ModelTokens.Tokenized tk = mt.tokenizeAligned(text);
        assertTrue(tk.charStarts() != null, "aligned");
        StringBuilder all = new StringBuilder();
        for (int k = 0; k < tk.tokens().length; k++) {
            assertTrue(k == 0 || tk.charStarts()[k] == tk.charEnds()[k - 1], "token spans tile the text");
            all.append(text, tk.charStarts()[k], tk.charEnds()[k]);
        }
        assertEquals(text, all.toString());
        int k = 0;
        while (!mt.piecesText(tk.tokens(), k, k + 1).strip().equals("fine")) {
            k++;
        }
        assertEquals(" fine", text.substring(tk.charStarts()[k], tk.charEnds()[k]).replace("  ", " "));
        CompressionRequest req = CompressionRequest.of("", text.repeat(20), "", CompressionTarget.rate(2));
        CompressionResult r = c.compress(req);
        checkShape(req, r);
        assertTrue(!r.keptSpans().isEmpty(), "kept words are original substrings");
    }

    @Test
    void theCommandAsksForTheClassifierAndRunsIt() throws Exception {
        Path ctx = tmp.resolve("context.txt");
        java.nio.file.Files.writeString(ctx, Samples.multiNews(1).getFirst().get("context").asText());
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cl = io.ctxbench.cli.Main.commandLine();
        cl.setErr(new java.io.PrintWriter(err, true));
        assertEquals(1, cl.execute("compress", "--compressor", "llmlingua2", "-f", ctx.toString()));
        assertTrue(err.toString().strip().endsWith("--compressor llmlingua2 needs the classifier: -m FILE (an LLMLingua-2 GGUF,"
                + " or for cost alone `ctxbench models synth --shape xlm-roberta-large-llmlingua2 --out FILE`)"), err.toString());
        java.io.PrintStream old = System.out;
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            assertEquals(0, io.ctxbench.cli.Main.commandLine().execute("compress", "--compressor", "llmlingua2", "-m",
                    classifierFile.toString(), "--target-model", TestFiles.smolLm2().toString(), "-f", ctx.toString(), "--json", "-t", "2"));
        } finally {
            System.setOut(old);
        }
        com.fasterxml.jackson.databind.JsonNode j = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.toString(java.nio.charset.StandardCharsets.UTF_8));
        assertEquals("llmlingua2", j.get("method").asText());
        assertEquals(2.0, j.get("achieved_rate").asDouble(), 0.35);
    }

    @Test
    void aDecoderOrAFileWithoutHeadIsRefusedClearly() {
        Path llama = tmp.resolve("tiny-llama.gguf");
        SyntheticModel.write(ModelCatalog.load().require("tiny"), SyntheticModel.WeightType.F16,
                TestFiles.llamaCppSource().resolve("models").resolve("ggml-vocab-llama-bpe.gguf"), llama, 1, 2);
        CtxbenchException e = assertThrows(CtxbenchException.class,
                () -> TokenClassifierCompressor.open(llama, 0, null, TokenClassifierCompressor.Options.defaults()));
        assertTrue(e.getMessage().contains("has no 2-label token-classification head"), e.getMessage());
        try (Model m = Model.load(Model.Params.of(llama).withGpuLayers(0))) {
            CtxbenchException d = assertThrows(CtxbenchException.class, () -> Encoder.open(m, new Encoder.Params(512, 1, 1)));
            assertTrue(d.getMessage().contains("is a decoder (arch llama)"), d.getMessage());
        }
        // an encoder of 2 positions has no room beside <s> and </s>: refused, not a chunking loop that never ends
        Path two = tmp.resolve("two-positions.gguf");
        SyntheticModel.write(new ModelShape("two-positions", "bert", 1, 64, 128, 4, 4, 0, 250048, 2, 0, 1e-5, false,
                        "ggml-vocab-nomic-bert-moe.gguf", null, "test", List.of("drop", "keep")), SyntheticModel.WeightType.F16,
                TestFiles.llamaCppSource().resolve("models").resolve("ggml-vocab-nomic-bert-moe.gguf"), two, 1, 2);
        CtxbenchException p = assertThrows(CtxbenchException.class,
                () -> TokenClassifierCompressor.open(two, 0, null, TokenClassifierCompressor.Options.defaults()));
        assertTrue(p.getMessage().contains("takes 2 positions (batch 512), no room for a token beside its 2 special tokens"),
                p.getMessage());
    }
}
