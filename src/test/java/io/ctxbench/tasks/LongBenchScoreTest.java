package io.ctxbench.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctxbench.score.LongBenchMetrics;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * LongBench v1 scoring ({@link TaskSpec#score}, {@link LongBenchMetrics}) against LongBench's own metrics.py and
 * eval.py, on the files in score/longbench (made by the script in the README there, with LongBench at commit 2e00731):
 * per-sample scores of every dataset within 1e-6, on crafted edge cases and on cases generated once from the shared
 * data and never tuned against; eval.py's dataset score and LongBench-E bucket scores; its two roundings.
 */
class LongBenchScoreTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double TOL = 1e-6;

    @Test
    void everyDatasetMetricMatchesLongBenchOnCraftedAndRandomCases() throws IOException {
        Map<Metric, Integer> perMetric = check(read("metric_cases.jsonl"));
        for (Metric m : longBenchMetrics()) {
            assertTrue(perMetric.getOrDefault(m, 0) >= 10, m + ": only " + perMetric.get(m) + " cases");
        }
    }

    @Test
    void casesNotSeenWhileWritingTheCodeMatchLongBench() throws IOException {
        Map<Metric, Integer> perMetric = check(read("unseen_cases.jsonl"));
        assertEquals(longBenchMetrics(), perMetric.keySet());
    }

    /** The metrics of LongBench's datasets (RULER's are tested with RULER's cases). */
    private static java.util.Set<Metric> longBenchMetrics() {
        java.util.Set<Metric> out = java.util.EnumSet.noneOf(Metric.class);
        TaskSpec.LONGBENCH.forEach(d -> out.add(TaskSpec.byName(d).metric()));
        return out;
    }

    private static Map<Metric, Integer> check(List<JsonNode> cases) {
        Map<Metric, Integer> perMetric = new EnumMap<>(Metric.class);
        List<String> failures = new ArrayList<>();
        for (JsonNode c : cases) {
            TaskSpec task = TaskSpec.byName(c.get("dataset").textValue());
            double want = c.get("score").doubleValue();
            double got = task.score(c.get("prediction").textValue(), strings(c.get("answers")), strings(c.get("all_classes")));
            if (!(Math.abs(want - got) <= TOL)) {
                failures.add(c.get("id").textValue() + " " + task.name() + ": want " + want + " got " + got + "  prediction="
                        + c.get("prediction") + " answers=" + c.get("answers"));
            }
            perMetric.merge(task.metric(), 1, Integer::sum);
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + cases.size() + " differ:\n" + String.join("\n", failures));
        return perMetric;
    }

    /** eval.py's scorer (round(100 * total / n, 2)) and scorer_e (buckets by length, round(100 * np.mean, 2)). */
    @Test
    void datasetAndBucketScoresEqualEvalPy() throws IOException {
        List<JsonNode> groups = read("aggregate_cases.jsonl");
        assertEquals(21, groups.size());
        for (JsonNode g : groups) {
            TaskSpec task = TaskSpec.byName(g.get("dataset").textValue());
            List<String> classes = strings(g.get("all_classes"));
            int n = g.get("predictions").size();
            double[] all = new double[n];
            Map<String, List<Double>> buckets = new LinkedHashMap<>();
            for (String b : Prompts.BUCKETS) buckets.put(b, new ArrayList<>());
            for (int i = 0; i < n; i++) {
                all[i] = task.score(g.get("predictions").get(i).textValue(), strings(g.get("answers").get(i)), classes);
                buckets.get(LongBenchMetrics.bucket(g.get("lengths").get(i).intValue())).add(all[i]);
            }
            assertEquals(g.get("score").doubleValue(), LongBenchMetrics.datasetScore(all), 1e-9, task.name());
            for (String b : Prompts.BUCKETS) {
                JsonNode want = g.get("score_e").get(b);
                double got = LongBenchMetrics.bucketScore(buckets.get(b).stream().mapToDouble(Double::doubleValue).toArray());
                if (want.isNull()) {
                    assertTrue(Double.isNaN(got), task.name() + " " + b + ": empty bucket, got " + got);
                } else {
                    assertEquals(want.doubleValue(), got, 1e-9, task.name() + " " + b);
                }
            }
        }
    }

    /** The two roundings, exactly: Python's round of a float, numpy's of np.float64 (pairwise sum, rint). */
    @Test
    void roundingEqualsPythonAndNumpy() throws IOException {
        List<JsonNode> cases = read("rounding_cases.jsonl");
        int apart = 0;
        for (JsonNode c : cases) {
            double[] s = new double[c.get("scores").size()];
            for (int i = 0; i < s.length; i++) s[i] = c.get("scores").get(i).doubleValue();
            double py = c.get("dataset_score").doubleValue(), np = c.get("bucket_score").doubleValue();
            assertEquals(py, LongBenchMetrics.datasetScore(s), 0.0, c.toString());
            assertEquals(np, LongBenchMetrics.bucketScore(s), 0.0, c.toString());
            if (py != np) apart++;
        }
        assertTrue(apart >= 10, "the file should have cases where the two roundings differ, has " + apart);
        assertEquals(0.01, LongBenchMetrics.datasetScore(new double[] {0.00005}), 0.0);
        assertEquals(0.0, LongBenchMetrics.bucketScore(new double[] {0.00005}), 0.0);
    }

    @Test
    void lengthBucketsAreLongBenchEs() {
        assertEquals("0-4k", LongBenchMetrics.bucket(3999));
        assertEquals("4-8k", LongBenchMetrics.bucket(4000));
        assertEquals("4-8k", LongBenchMetrics.bucket(7999));
        assertEquals("8k+", LongBenchMetrics.bucket(8000));
    }

    static List<String> strings(JsonNode a) {
        List<String> out = new ArrayList<>();
        if (a != null && !a.isNull()) a.forEach(x -> out.add(x.textValue()));
        return out;
    }

    static List<JsonNode> read(String name) throws IOException {
        try (InputStream raw = LongBenchScoreTest.class.getResourceAsStream("/score/longbench/" + name)) {
            assertTrue(raw != null, "test resource missing: score/longbench/" + name);
            List<JsonNode> rows = new ArrayList<>();
            BufferedReader in = new BufferedReader(new InputStreamReader(raw, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) {
                if (!line.isBlank()) rows.add(JSON.readTree(line));
            }
            return rows;
        }
    }
}
