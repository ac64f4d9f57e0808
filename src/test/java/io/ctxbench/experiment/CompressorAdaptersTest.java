package io.ctxbench.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctxbench.CtxbenchException;
import io.ctxbench.compress.CompressionRequest;
import io.ctxbench.compress.CompressionResult;
import io.ctxbench.compress.CompressionTarget;
import io.ctxbench.compress.PromptCompressor;
import io.ctxbench.compress.TokenCounter;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.TestFiles;
import io.ctxbench.engine.chat.ChatFormat;
import io.ctxbench.gguf.ModelCatalog;
import io.ctxbench.gguf.ModelShape;
import io.ctxbench.gguf.SyntheticModel;
import io.ctxbench.tasks.TaskSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The eval's compressor adapters over the real compressors, on real LongBench samples with SmolLM2 as the target
 * (and scoring) model: the question and instruction come back unchanged and stand verbatim in the prompt, and the
 * achieved rate, in the target model's tokens, is within 10% of the requested 2x. Kept lean on CPU: the shortest
 * multi_news and the shortest qasper sample of the first 20.
 */
class CompressorAdaptersTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode shortest(String file) throws Exception {
        Path p = Path.of(System.getProperty("ctxbench.shared.dir", "../shared")).resolve("data/longbench").resolve(file);
        List<JsonNode> first = new ArrayList<>();
        for (String l : Files.readAllLines(p)) {
            if (first.size() == 20) {
                break;
            }
            first.add(JSON.readTree(l));
        }
        return first.stream().min(Comparator.comparingInt(s -> s.get("context").asText().length())).orElseThrow();
    }

    private static void checkAdapter(String id) throws Exception {
        checkAdapter(id, null);
    }

    private static void checkAdapter(String id, Path compressorModel) throws Exception {
        Path smol = TestFiles.smolLm2();
        try (PromptCompressor c = Compressors.open(id, new Compressors.Setup(smol, compressorModel, 2, 0));
             Model vocab = Model.load(Model.Params.of(smol).withVocabOnly(true))) {
            assertEquals(id, c.name());
            TokenCounter target = TokenCounter.of(vocab);
            // the eval's warm-up goes through the compressor's stages (a text it returned unchanged would warm nothing)
            CompressionResult w = c.compress(EvalRunner.WARM_UP);
            assertTrue(w.compressedTokens() < w.originalTokens() && w.context().length() < EvalRunner.WARM_UP.context().length(),
                    id + " warm-up: " + w.originalTokens() + " -> " + w.compressedTokens());
            for (String[] f : new String[][]{{"multi_news.jsonl", "multi_news"}, {"qasper_cachegen60.jsonl", "qasper"}}) {
                JsonNode s = shortest(f[0]);
                TaskSpec task = TaskSpec.byName(f[1]);
                String instruction = EvalRunner.instructionOf(task);
                String question = s.get("input").asText();
                String context = s.get("context").asText();
                CompressionResult o = c.compress(CompressionRequest.of(instruction, context, question, CompressionTarget.rate(2.0)));
                String what = id + " on " + f[1] + " " + s.get("_id").asText() + ": " + o.originalTokens() + " -> " + o.compressedTokens();
                assertEquals(question, o.question(), what);
                assertEquals(instruction, o.instruction(), what);
                assertEquals(target.count(context), o.originalTokens(), what);
                assertEquals(target.count(o.context()), o.compressedTokens(), what);
                assertEquals(2.0, o.achievedRate(), 0.2, what);
                assertEquals((double) o.originalTokens() / o.compressedTokens(), o.achievedRate(), 1e-9, what);
                assertTrue(o.context().length() < context.length(), what);
                String prompt = task.format(o.context(), question);
                assertTrue(prompt.startsWith(instruction), what);
                if (!question.isEmpty()) {
                    assertTrue(prompt.contains(question), what);
                }
                assertEquals("CPU", o.device());
            }
        }
    }

    @Test
    void extractiveKeepsQuestionAndInstructionAndReachesTheRate() throws Exception {
        checkAdapter(Compressors.EXTRACTIVE);
    }

    @Test
    void perplexityKeepsQuestionAndInstructionAndReachesTheRate() throws Exception {
        checkAdapter(Compressors.PERPLEXITY);
    }

    @Test
    void perplexityWithFixedShapeCallsKeepsQuestionAndInstructionAndReachesTheRate() throws Exception {
        checkAdapter(Compressors.PERPLEXITY_FIXED);
    }

    @Test
    void llmlingua2KeepsQuestionAndInstructionAndReachesTheRate(@TempDir Path tmp) throws Exception {
        ModelShape s = ModelCatalog.load().require("tiny-bert-classifier");
        Path classifier = tmp.resolve("tiny-bert-classifier.gguf");
        SyntheticModel.write(s, SyntheticModel.WeightType.F16, TestFiles.llamaCppSource().resolve("models").resolve(s.vocab()),
                classifier, 42, 2);
        checkAdapter(Compressors.LLMLINGUA2, classifier);
        CtxbenchException e = assertThrows(CtxbenchException.class, () -> Compressors.open(Compressors.LLMLINGUA2,
                new Compressors.Setup(TestFiles.smolLm2(), null, 2, 0)));
        assertTrue(e.getMessage().contains("--compressor-model llmlingua2=FILE"), e.getMessage());
    }

    @Test
    void compressorModelsAreGivenPerCompressorOrForAll() {
        CompressorModels m = CompressorModels.parse(List.of("llmlingua2=/m/cls.gguf", "/m/scorer.gguf"));
        assertEquals(Path.of("/m/cls.gguf"), m.forId(Compressors.LLMLINGUA2));
        assertEquals(Path.of("/m/scorer.gguf"), m.forId(Compressors.PERPLEXITY));
        // "=" in a file name is a file name unless what stands before it is a compressor's id
        assertEquals(Path.of("/m/a=b.gguf"), CompressorModels.parse(List.of("/m/a=b.gguf")).forId(Compressors.PERPLEXITY));
        assertEquals(null, CompressorModels.parse(List.of()).forId(Compressors.PERPLEXITY));
        CtxbenchException two = assertThrows(CtxbenchException.class, () -> CompressorModels.parse(List.of("a.gguf", "b.gguf")));
        assertTrue(two.getMessage().contains("name the compressor of one, e.g. llmlingua2=b.gguf"), two.getMessage());
        assertThrows(CtxbenchException.class, () -> CompressorModels.parse(List.of("perplexity=a.gguf", "perplexity=b.gguf")));
    }

    private static JsonNode line(Path jsonl, String method) throws Exception {
        for (String l : Files.readAllLines(jsonl)) {
            JsonNode n = JSON.readTree(l);
            if (n.path("method").asText().equals(method)) {
                return n;
            }
        }
        throw new AssertionError("no record of " + method + " in " + jsonl);
    }

    @Test
    void theRunAndTheFidelityPassCompressThroughTheOneInterface(@TempDir Path tmp) throws Exception {
        Methods cat = Methods.builtin();
        Path out = tmp.resolve("run");
        EvalConfig cfg = new EvalConfig(List.of(new ModelSpec("smol", TestFiles.smolLm2(), Map.of(), true)),
                List.of(cat.get("FP16"), cat.get("FP16_c")), null, List.of(), null, EvalEndToEndTest.ruler("niah_single_1", 512, 1), 1, 0,
                Set.of(), Set.of(), 512, 0, 1, out, false, 2, 0, 512, 512, 1, 4, ChatFormat.JINJA, null, 4, null, null, List.of("test"));
        new EvalRunner(cfg, System.err).run();
        JsonNode m = line(cfg.resultsFile(), "FP16_c").path("metrics");
        int original = m.path("compression_original_tokens").asInt();
        int kept = m.path("compression_kept_tokens").asInt();
        assertTrue(original > 150 && kept > 0, m.toString());
        assertEquals((double) original / kept, m.path("compression_achieved_rate").asDouble(), 1e-9);
        assertEquals(2.0, m.path("compression_achieved_rate").asDouble(), 0.2, m.toString());
        assertEquals("CPU", m.path("compression_device").asText());
        JsonNode first = line(cfg.fidelityFile(), "FP16_c");
        // the fidelity pass of a resumed run compresses again (the run's compressed contexts are gone): same result
        Files.delete(cfg.fidelityFile());
        EvalConfig resumed = new EvalConfig(cfg.models(), cfg.methods(), null, List.of(), null, EvalEndToEndTest.ruler("niah_single_1", 512, 1), 1, 0,
                Set.of(), Set.of(), 512, 0, 1, out, true, 2, 0, 512, 512, 1, 4, ChatFormat.JINJA, null, 4, null, null, List.of("test"));
        new EvalRunner(resumed, System.err).run();
        JsonNode again = line(cfg.fidelityFile(), "FP16_c");
        assertTrue(first.path("positions").asInt() > 0, first.toString());
        assertEquals(first.path("positions"), again.path("positions"));
        assertEquals(first.path("kl_mean").asDouble(), again.path("kl_mean").asDouble(), 1e-6);
        assertEquals(first.path("top1_agreement"), again.path("top1_agreement"));
    }

    @Test
    void unknownCompressorIsAClearErrorBeforeAnythingLoadsOrRuns(@TempDir Path tmp) {
        CtxbenchException e = assertThrows(CtxbenchException.class, () -> Compressors.check("lingua9"));
        assertTrue(e.getMessage().contains("unknown compressor 'lingua9'") && e.getMessage().contains("extractive, llmlingua2, perplexity"),
                e.getMessage());
        // the setup's model file does not even exist: the id is refused first
        e = assertThrows(CtxbenchException.class, () -> Compressors.open("lingua9",
                new Compressors.Setup(tmp.resolve("none.gguf"), null, 1, 0)));
        assertTrue(e.getMessage().contains("lingua9"), e.getMessage());
        assertFalse(Compressors.has("placeholder-headtail"));
        assertEquals(List.of("extractive", "llmlingua2", "perplexity", "perplexity-fixed"), Compressors.ids());

        // a run with such a method stops before it writes anything
        Methods cat = Methods.builtin();
        Method bad = cat.get("FP16_c").withCompressor("lingua9");
        assertEquals("FP16_c:lingua9", bad.name());
        Path out = tmp.resolve("run");
        EvalConfig cfg = new EvalConfig(List.of(new ModelSpec("smol", TestFiles.smolLm2(), Map.of(), true)),
                List.of(cat.get("FP16"), bad), null, List.of(), null, EvalEndToEndTest.ruler("niah_single_1", 512, 1), 1, 0, Set.of(), Set.of(),
                512, 0, 1, out, false, 1, 0, 512, 512, 0, 8, ChatFormat.JINJA, null, 8, null, null, List.of("test"));
        e = assertThrows(CtxbenchException.class, () -> new EvalRunner(cfg, System.err).run());
        assertTrue(e.getMessage().contains("unknown compressor 'lingua9'"), e.getMessage());
        assertFalse(Files.exists(out.resolve("results.jsonl")));
        assertFalse(Files.exists(out.resolve("manifest.json")));
    }

    @Test
    void aNonDefaultCompressorNamesTheMethod() {
        Methods cat = Methods.builtin();
        Method c = cat.get("FP16_c");
        assertEquals(Compressors.DEFAULT, c.compressor());
        assertEquals("FP16_c", c.withCompressor("extractive").name());
        Method p = c.withCompressor("perplexity");
        assertEquals("FP16_c:perplexity", p.name());
        assertEquals("perplexity", p.compressor());
        assertEquals(c.rate(), p.rate());
        assertEquals(List.of("token dropping (perplexity, 2.0x)", "weights F16"), p.pipeline());
        assertEquals("FP16", cat.get("FP16").withCompressor("perplexity").name());
        assertThrows(CtxbenchException.class, () -> c.withCompressor(Compressors.NONE));
    }
}
