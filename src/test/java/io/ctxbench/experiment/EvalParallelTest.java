package io.ctxbench.experiment;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ctxbench.engine.TestFiles;
import io.ctxbench.engine.chat.ChatFormat;
import io.ctxbench.report.LengthResults;
import io.ctxbench.report.Report;
import io.ctxbench.results.ResultsLog;
import io.ctxbench.results.SampleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * eval with --parallel: SmolLM2 on 4 generated samples (RULER niah_single_1, 512 tokens), FP16 (stand-in), W4A16
 * (a second path to the same file, so the run has two weights files) and KV-Q, one thread (where the parallel
 * pass's greedy outputs are batch 1's bit for bit on the CPU, docs/parallel.md).
 */
class EvalParallelTest {

    private static EvalConfig config(Path out, Path secondFile, int parallel, int costSamples) {
        Methods cat = Methods.builtin();
        ModelSpec spec = new ModelSpec("smol", TestFiles.smolLm2(), Map.of("q4_k_m", secondFile), true);
        return new EvalConfig(List.of(spec), List.of(cat.get("FP16"), cat.get("W4A16"), cat.get("KV-Q")), null, List.of(),
                null, EvalEndToEndTest.ruler("niah_single_1", 512, 4), 9, 0, Set.of(), Set.of(), 1024, 0, 1, out, false, 1,
                0, 512, 512, 1, 8, ChatFormat.JINJA, null, 24, null, null, List.of("test"), parallel, costSamples);
    }

    private static Map<String, SampleRecord> records(EvalConfig cfg) {
        return ResultsLog.read(cfg.resultsFile(), SampleRecord.class).stream()
                .collect(Collectors.toMap(SampleRecord::key, r -> r, (a, b) -> a, TreeMap::new));
    }

    @Test
    void theQualityPassGeneratesWhatBatchOneDoesAndEachWeightsFileLoadsOnce(@TempDir Path tmp) throws Exception {
        Path second = Files.createSymbolicLink(tmp.resolve("second.gguf"), TestFiles.smolLm2().toAbsolutePath());
        ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);

        EvalConfig batch1 = config(tmp.resolve("batch1"), second, 1, -1);
        ObjectNode s1 = new EvalRunner(batch1, err).run();
        EvalConfig parallel = config(tmp.resolve("parallel"), second, 3, 1);
        ObjectNode s3 = new EvalRunner(parallel, err).run();
        String log = errBytes.toString(StandardCharsets.UTF_8);

        // FP16 and KV-Q run the given file, W4A16 the second path: two loads, though W4A16 sits between the others,
        // and the fidelity pass (1 sample a method) loads nothing more
        assertEquals(2, s1.get("model_loads").asInt(), s1.toString());
        assertEquals(2, s3.get("model_loads").asInt(), s3.toString());
        assertEquals(2, s3.get("fidelity_records_written").asInt(), s3.toString());

        Map<String, SampleRecord> a = records(batch1), b = records(parallel);
        assertEquals(12, a.size());
        assertEquals(a.keySet(), b.keySet());
        int quality = 0;
        for (String k : a.keySet()) {
            SampleRecord x = a.get(k), y = b.get(k);
            assertEquals(SampleRecord.COST_PASS, x.pass(), k);
            assertEquals(x.promptSha256(), y.promptSha256(), k);
            assertArrayEquals(x.generatedTokenIds(), y.generatedTokenIds(), k + ": " + x.prediction() + " | " + y.prediction());
            assertEquals(x.prediction(), y.prediction(), k);
            assertEquals(x.stopReason(), y.stopReason(), k);
            assertEquals(x.scores(), y.scores(), k);
            boolean first = y.id().endsWith("-0");   // the first sample of the task: the cost pass's (--cost-samples 1)
            assertEquals(first ? SampleRecord.COST_PASS : SampleRecord.QUALITY_PASS, y.pass(), k);
            if (!first) {
                quality++;
                assertNull(y.metrics().decodeTps(), k);
                assertNull(y.metrics().ttftMs(), k);
                assertEquals(x.metrics().promptTokens(), y.metrics().promptTokens(), k);
                assertEquals(x.metrics().generatedTokens(), y.metrics().generatedTokens(), k);
                assertEquals(x.kvPath(), y.kvPath(), k);
            } else {
                assertNotNull(y.metrics().decodeTps(), k);
            }
        }
        assertEquals(9, quality);
        for (String method : List.of("FP16", "W4A16", "KV-Q")) {
            assertTrue(log.contains("eval: " + method + " quality pass: 3 sample(s), 3 sequences in flight"), log);
        }

        Report r = Report.load(parallel.outDir(), null);
        assertTrue(r.notes().stream().anyMatch(n -> n.contains("only over the 3 records of the batch-1 cost pass: the other 9 ran "
                + "in eval's parallel quality pass")), String.join("\n", r.notes()));
        LengthResults.LengthCost fp16 = r.lengths().costs().stream().filter(x -> x.method().equals("FP16")).findFirst()
                .orElseThrow();
        assertEquals(4, fp16.n());
        assertEquals(1, fp16.cost().decodeTps().n(), fp16.toString());
    }
}
