package io.ctxbench.compress;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctxbench.engine.FlashAttention;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.Session;
import io.ctxbench.engine.TargetLogProbs;
import io.ctxbench.engine.TestFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The self-information llama.cpp's graph computes ({@link TargetLogProbs}, the compressor's DEVICE reduction) equals
 * the host reduction's ({@link LogSumExp}) on real text, row for row; the compressor gives the same output both ways.
 */
class TargetLogProbsTest {
    private static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(Model.Params.of(TestFiles.smolLm2()).withGpuLayers(0));
    }

    @AfterAll
    static void free() {
        model.close();
    }

    @Test
    void graphLogProbsEqualTheHostReductionRowForRow() {
        String text = Samples.multiNews(1).getFirst().get("context").asText();
        int[] tok = Arrays.copyOf(model.tokenize(text, true, false), 700);   // 700 tokens: two full batches of 256 and a part
        int vocab = model.vocabSize();
        Session.Params sp = Session.Params.of(1024).withBatch(256, 256).withThreads(2).withFlashAttention(FlashAttention.AUTO);
        float[] host = new float[tok.length];
        float[] device = new float[tok.length];
        try (Session s = Session.open(model, sp)) {
            s.evaluate(tok, 0, (first, rows, logits) -> {
                for (int r = 0; r < rows && first + r + 1 < tok.length; r++) {
                    host[first + r] = LogSumExp.selfInformation(logits.asSlice((long) r * vocab * 4, (long) vocab * 4), vocab, tok[first + r + 1]);
                }
            });
        }
        List<Integer> rowsSeen = new ArrayList<>();
        try (TargetLogProbs t = new TargetLogProbs(256); Session s = Session.open(model, sp, t)) {
            t.expect(tok, 1, tok.length);
            s.evaluate(tok, 0, (first, rows, values) -> {
                rowsSeen.add(rows);
                assertEquals((long) rows * Float.BYTES, values.byteSize());
                for (int r = 0; r < rows && first + r + 1 < tok.length; r++) {
                    device[first + r] = -values.getAtIndex(ValueLayout.JAVA_FLOAT, r);
                }
            });
        }
        assertEquals(List.of(256, 256, 188), rowsSeen);
        double worst = 0;
        for (int i = 0; i + 1 < tok.length; i++) {
            assertTrue(host[i] >= 0 && Float.isFinite(host[i]), "host " + i + ": " + host[i]);
            double err = Math.abs(device[i] - host[i]) / Math.max(1.0, host[i]);
            worst = Math.max(worst, err);
            assertTrue(err < 1e-3, "position " + i + ": graph " + device[i] + ", host " + host[i]);
        }
        assertTrue(worst > 0, "the two reductions round differently somewhere; identical values would mean one was not used");
    }

    @Test
    void theCompressorGivesTheSameOutputEitherWay() {
        PerplexityCompressor.Options o = PerplexityCompressor.Options.defaults().withContext(1024, 128).withThreads(2);
        List<JsonNode> samples = Samples.multiNews(3);
        int same = 0;
        try (PerplexityCompressor host = new PerplexityCompressor(model, null, o.withReduction(PerplexityCompressor.Reduction.HOST));
             PerplexityCompressor device = new PerplexityCompressor(model, null, o.withReduction(PerplexityCompressor.Reduction.DEVICE))) {
            for (JsonNode s : samples) {
                String ctx = s.get("context").asText();
                ctx = ctx.substring(0, Math.min(ctx.length(), 6000));
                CompressionRequest req = CompressionRequest.of("", ctx, s.get("input").asText(), CompressionTarget.rate(2));
                CompressionResult a = host.compress(req), b = device.compress(req);
                assertEquals(a.originalTokens(), b.originalTokens());
                assertEquals(a.compressedTokens(), b.compressedTokens(), 8);
                if (a.context().equals(b.context())) {
                    same++;
                }
            }
        }
        assertTrue(same >= samples.size() - 1, same + " of " + samples.size() + " compressed contexts identical");
    }

    @Test
    void aSamplerSmallerThanTheBatchIsRefusedBeforeAContextExists() {
        try (TargetLogProbs t = new TargetLogProbs(64)) {
            var e = org.junit.jupiter.api.Assertions.assertThrows(io.ctxbench.CtxbenchException.class,
                    () -> Session.open(model, Session.Params.of(512).withBatch(256, 256), t).close());
            assertTrue(e.getMessage().contains("take 64 rows a batch, fewer than n_batch 256"), e.getMessage());
        }
    }
}
