package io.ctxbench.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.TestFiles;
import io.ctxbench.gguf.ModelCatalog;
import io.ctxbench.gguf.SyntheticModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A smoke run of the JMH harness (bench/jmh/java), not a timed test: every benchmark once, in this JVM, for a
 * few hundred milliseconds, on the tiny synthetic model; asserts each produced a positive score, the memory
 * secondary results are the model's, and the JSON result file (-rf json) was written.
 */
class JmhSmokeTest {

    @Test
    void everyBenchmarkRunsOnTheTinyModel(@TempDir Path tmp) throws RunnerException, IOException {
        Path model = tmp.resolve("tiny.gguf");
        SyntheticModel.write(ModelCatalog.load().require("tiny"), SyntheticModel.WeightType.F16,
                TestFiles.llamaCppSource().resolve("models").resolve("ggml-vocab-llama-bpe.gguf"), model, 42, 1);
        Path json = tmp.resolve("jmh.json");
        Options o = new OptionsBuilder()
                .include("io\\.ctxbench\\.bench\\.jmh\\..*")
                .forks(0)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(150))
                .threads(1)
                .param("model", model.toString())
                .param("depth", "64")
                .param("window", "32")
                .param("prompt", "32")
                .param("threads", "1")
                .resultFormat(ResultFormatType.JSON)
                .result(json.toString())
                .shouldFailOnError(true)
                .build();
        long weights;
        try (Model m = Model.load(Model.Params.of(model))) {
            weights = m.sizeBytes();
        }
        Collection<RunResult> results = new Runner(o).run();
        Set<String> ran = new TreeSet<>();
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark();
            ran.add(name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1));
            Result<?> primary = r.getPrimaryResult();
            assertTrue(primary.getScore() > 0, name + " scored " + primary.getScore());
            var sec = r.getSecondaryResults();
            if (sec.containsKey("weightsMiB")) {
                assertEquals(weights / 1048576.0, sec.get("weightsMiB").getScore(), 1e-6, "weights of " + name);
                assertTrue(sec.get("kvMiB").getScore() > 0, "KV bytes of " + name);
            }
        }
        assertEquals(Set.of("DecodeBenchmark.decodeStep", "PrefillBenchmark.prefill", "FfmOverheadBenchmark.noopNative",
                "FfmOverheadBenchmark.getterNative", "FfmOverheadBenchmark.decodeRaw", "FfmOverheadBenchmark.decodeEngine",
                "FfmOverheadBenchmark.logitsNative", "FfmOverheadBenchmark.sampleEngine",
                "ExtractiveCompressorBenchmark.compress2x", "SelfInformationBenchmark.batch"), ran);
        JsonNode file = io.ctxbench.results.Json.MAPPER.readTree(Files.readString(json));
        // the extractive benchmark twice (words and smollm2 counters), the reduction four times (2 vocabularies x 2 worker counts)
        assertEquals(14, file.size());
        JsonNode prefill = null;
        for (JsonNode b : file) {
            if (b.path("benchmark").asText().endsWith("PrefillBenchmark.prefill")) {
                prefill = b;
            }
        }
        assertTrue(prefill != null && prefill.path("secondaryMetrics").path("tokens").path("score").asDouble() > 0,
                "prefill tokens/s secondary result in the JSON");
    }
}
