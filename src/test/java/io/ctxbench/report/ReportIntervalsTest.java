package io.ctxbench.report;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctxbench.results.Interval;
import io.ctxbench.results.Json;
import io.ctxbench.results.RecordKey;
import io.ctxbench.results.SampleRecord;
import io.ctxbench.results.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The report's intervals, paired differences, throughput, small-n line, exact answers, buckets and truncation. */
class ReportIntervalsTest {
    @TempDir
    Path dir;

    /** A hand-built sample record: the fields the report reads, each settable. */
    static final class Rec {
        String method, task = "needle_qa", metric = "qa_f1", id, bucket = "0-4k", stop = "END_OF_GENERATION";
        String prediction = "x";
        List<String> answers = List.of("x");
        double score, decodeTps = 10, prefillTps = 100, e2eMs = 1000;
        int generated = 10, prompt = 100;
        Boolean truncated = false;

        Rec(String method, String id, double score) {
            this.method = method;
            this.id = id;
            this.score = score;
        }

        Rec with(Consumer<Rec> edit) {
            edit.accept(this);
            return this;
        }

        SampleRecord record() {
            SampleRecord.Scores sc = new SampleRecord.Scores(score, score, score, score, score, 0.0, 4, 0);
            SampleRecord.Metrics mt = new SampleRecord.Metrics(prompt, generated, decodeTps, prefillTps, 200.0, e2eMs, e2eMs,
                    0.0, 1000, 1000, null, null, null, null, null, -1L, 1_000_000_000L, 500_000_000L, 100_000_000L);
            return new SampleRecord(Schema.CURRENT, new RecordKey("m", method, task, id).text(), SampleRecord.KIND, "m",
                    "/m.gguf", "ab".repeat(32), false, method, 1, "f16", "f16", "f16", "fused", null, null, null, "none", 1.0, task, metric, id,
                    "synthetic", bucket, 600, 800, truncated, "none", null, null, "cd".repeat(32), prediction, answers,
                    new int[0], stop, null, sc, mt, null, "2026-12-02T07:23:33Z");
        }
    }

    private Report load(List<Rec> recs) throws Exception {
        StringBuilder b = new StringBuilder();
        recs.forEach(r -> b.append(Json.line(r.record())).append('\n'));
        Files.writeString(dir.resolve("results.jsonl"), b);
        return Report.load(dir, null);
    }

    private static Report.Row row(Report r, String method, String task) {
        return r.rows().stream().filter(x -> x.method().equals(method) && x.task().equals(task)).findFirst().orElseThrow();
    }

    private static Report.Gain gain(Report r, String method) {
        return r.gains().stream().filter(x -> x.method().equals(method)).findFirst().orElseThrow();
    }

    private static void assertOrdered(Interval i, String what) {
        assertTrue(i.hasInterval() && i.low() <= i.estimate() && i.estimate() <= i.high() && i.low() < i.high(),
                what + ": " + i);
    }

    @Test
    void everyFigureHasAnOrderedIntervalAndTheFilesCarryIt() throws Exception {
        List<Rec> recs = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            int k = i;
            recs.add(new Rec("FP16", "s" + i, 0.1 * i).with(r -> {
                r.decodeTps = 10 + k;
                r.prefillTps = 100 + 10 * k;
                r.e2eMs = 1000 + 100 * k;
                r.generated = 5 + k;
            }));
        }
        Report r = load(recs);
        Report.Row x = r.rows().getFirst();
        assertEquals(10, x.n());
        assertEquals(45.0, x.score().estimate(), 1e-9);
        for (var e : List.of(x.score(), x.f1(), x.precision(), x.recall(), x.rougeL(), x.cost().decodeTps(), x.cost().decodeTpsMedian(),
                x.cost().prefillTps(), x.cost().e2eMs(), x.generatedTokens())) {
            assertOrdered(e, e.toString());
        }
        String md = r.markdown("t");
        assertTrue(md.contains("Every figure is `estimate [low, high]`"), md);
        assertTrue(md.contains("| FP16 | 10 | " + x.score().format(2) + " |"), md);
        assertTrue(x.score().format(2).matches("45\\.00 \\[\\d+\\.\\d\\d, \\d+\\.\\d\\d]"), x.score().format(2));

        String csv = r.csv();
        List<String> head = List.of(csv.lines().findFirst().orElseThrow().split(","));
        for (String c : List.of("score_ci_low", "score_ci_high", "em", "contains", "decode_tps_total", "decode_tps_median",
                "truncated", "score_0_4k", "n_0_4k", "score_8k_plus", "score_delta_ci_low", "score_delta_ci_high",
                "throughput_x_ci_low", "e2e_speedup_x_ci_high", "n_paired", "n_unpaired")) {
            assertTrue(head.contains(c), c + " in " + head);
        }
        JsonNode row = Json.MAPPER.readTree(r.json()).path("rows").get(0);
        assertEquals(x.score().low(), row.get("score_ci_low").asDouble(), 1e-12);
        assertEquals(x.score().high(), row.get("score_ci_high").asDouble(), 1e-12);
        assertTrue(row.get("score_8k_plus").isNull() && row.get("n_8k_plus").asInt() == 0, row.toString());
        assertFalse(r.json().contains("NaN"));
    }

    @Test
    void theScoreDifferenceIsPairedBySample() throws Exception {
        List<Rec> recs = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            double base = 0.02 * i;                          // samples differ widely among themselves
            recs.add(new Rec("FP16", "s" + i, base));
            recs.add(new Rec("KV-Q", "s" + i, base + 0.02 + (i % 3) * 0.005));   // but KV-Q is always a bit better
        }
        recs.add(new Rec("KV-Q", "extra1", 0.0));   // samples the baseline lacks: left out and counted
        recs.add(new Rec("KV-Q", "extra2", 0.0));
        Report r = load(recs);
        Report.Row fp = row(r, "FP16", "needle_qa"), kv = row(r, "KV-Q", "needle_qa");
        assertTrue(kv.score().low() < fp.score().high(), "unpaired, the intervals overlap: " + fp.score() + " " + kv.score());
        Report.Gain g = gain(r, "KV-Q");
        assertEquals(30, g.nPaired());
        assertEquals(2, g.nUnpaired());
        assertEquals(2.5, g.scoreDelta().estimate(), 1e-9);
        assertTrue(g.scoreDelta().excludesZero() && g.scoreDelta().low() > 2, g.scoreDelta().toString());
        assertTrue(r.notes().contains("KV-Q on needle_qa: 2 of 32 records have no FP16 record of the same sample and are "
                + "left out of its differences from FP16."), r.notes().toString());
        String md = r.markdown("t");
        assertTrue(md.contains("| needle_qa | KV-Q | 30 | " + g.scoreDelta().format(2) + " * |"), md);
        assertFalse(md.contains("| needle_qa | FP16 |"), "no difference of the baseline from itself: " + md);
        assertTrue(r.notes().stream().noneMatch(n -> n.contains("separate")), r.notes().toString());
    }

    @Test
    void throughputIsTotalTokensOverTotalTimeWithTheMedianOfRatesBeside() throws Exception {
        // decode steps / seconds: 100 in 1 s (101 tokens, the last one at the token limit), 100 in 8 s, 100 in 2 s
        List<Rec> recs = List.of(
                new Rec("FP16", "a", 0.5).with(r -> { r.generated = 101; r.stop = "MAX_TOKENS"; r.decodeTps = 100; }),
                new Rec("FP16", "b", 0.5).with(r -> { r.generated = 100; r.decodeTps = 12.5; }),
                new Rec("FP16", "c", 0.5).with(r -> { r.generated = 100; r.decodeTps = 50; }),
                // the same samples twice as fast, in half the time end to end
                new Rec("W4A16", "a", 0.5).with(r -> { r.generated = 101; r.stop = "MAX_TOKENS"; r.decodeTps = 200; r.e2eMs = 500; }),
                new Rec("W4A16", "b", 0.5).with(r -> { r.generated = 100; r.decodeTps = 25; r.e2eMs = 500; }),
                new Rec("W4A16", "c", 0.5).with(r -> { r.generated = 100; r.decodeTps = 100; r.e2eMs = 500; }));
        Report r = load(recs);
        Report.Row fp = row(r, "FP16", "needle_qa");
        assertEquals(300.0 / 11, fp.cost().decodeTps().estimate(), 1e-9);     // the mean of the rates would be 54.2
        assertEquals(50.0, fp.cost().decodeTpsMedian().estimate());
        assertEquals(100.0, fp.cost().prefillTps().estimate(), 1e-9);
        Report.Gain g = gain(r, "W4A16");
        assertEquals(2.0, g.throughputX().estimate(), 1e-9);
        assertEquals(2.0, g.throughputX().low(), 1e-9);               // every pair is twice as fast
        assertEquals(2.0, g.e2eSpeedupX().estimate(), 1e-9);
        assertEquals(1.0, g.memorySavingX());
        assertTrue(r.markdown("t").contains("| 2.00 [2.00, 2.00] * | 1.00 | 2.00 [2.00, 2.00] * |"), r.markdown("t"));
    }

    @Test
    void tooFewSamplesAreSaidPlainlyAndClearlySeparatedOnesAreNot() throws Exception {
        List<Rec> three = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            three.add(new Rec("FP16", "s" + i, 0.9));
            three.add(new Rec("W4A16", "s" + i, 0.1));
        }
        Report r = load(three);
        assertTrue(r.notes().stream().anyMatch(n -> n.startsWith("n = 3 paired samples per task, fewer than 5: too few to "
                + "separate the methods.")), r.notes().toString());
        assertTrue(r.markdown("t").contains("> n = 3 paired samples per task, fewer than 5"), r.markdown("t"));

        List<Rec> thirty = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            thirty.add(new Rec("FP16", "s" + i, 0.8 + 0.005 * (i % 5)));
            thirty.add(new Rec("W4A16", "s" + i, 0.2 + 0.005 * (i % 7)));
        }
        r = load(thirty);
        assertTrue(gain(r, "W4A16").scoreDelta().excludesZero());
        assertTrue(r.notes().stream().noneMatch(n -> n.contains("separate")), r.notes().toString());

        // thirty samples where the methods score alike: the line says the n does not separate them
        List<Rec> alike = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            alike.add(new Rec("FP16", "s" + i, (i * 7 % 10) / 10.0));
            alike.add(new Rec("W4A16", "s" + i, (i * 3 % 10) / 10.0));
        }
        r = load(alike);
        assertTrue(r.notes().contains("no method's score differs from FP16's beyond its 95% interval (n = 30 paired samples "
                + "per task): at this n the methods are not separated on quality."), r.notes().toString());
    }

    @Test
    void exactMatchAndContainsForTasksWithExactAnswersOnly() throws Exception {
        Report r = load(List.of(
                new Rec("FP16", "a", 0.22).with(x -> {
                    x.prediction = "The access code of the scarlet lynx vault is 74893";
                    x.answers = List.of("74893");
                }),
                new Rec("FP16", "b", 1).with(x -> {
                    x.prediction = "74893.";
                    x.answers = List.of("74893");
                }),
                // a summary: long answers, no exact match column
                new Rec("FP16", "c", 0.3).with(x -> {
                    x.task = "multi_news";
                    x.metric = "rouge_l";
                    x.prediction = "A storm hit the coast on Monday.";
                    x.answers = List.of("A storm hit the coast on Monday, leaving thousands without power.");
                }),
                // a count: short answers, so exact answers though its metric is not a QA F1
                new Rec("FP16", "d", 1).with(x -> {
                    x.task = "passage_count";
                    x.metric = "count";
                    x.prediction = "There are 12 unique paragraphs";
                    x.answers = List.of("12");
                })));
        Report.Row needle = row(r, "FP16", "needle_qa");
        assertEquals(50.0, needle.exactMatch().estimate());
        assertEquals(100.0, needle.contains().estimate());
        assertEquals(2, needle.contains().n());
        assertTrue(Double.isNaN(row(r, "FP16", "multi_news").exactMatch().estimate()));
        assertEquals(0.0, row(r, "FP16", "passage_count").exactMatch().estimate());
        assertEquals(100.0, row(r, "FP16", "passage_count").contains().estimate());
        String md = r.markdown("t");
        assertTrue(md.contains("| Method | n | Score | EM | Contains | F1 | Prec | Recall | Hall. | Truncated |"), md);
        assertTrue(md.contains("| Method | n | Score | ROUGE-L | F1 | Hall. | Truncated |"), md);
        assertTrue(md.contains("| Method | n | Score | EM | Contains | ROUGE-L | F1 | Hall. | Truncated |"), md);
        JsonNode rows = Json.MAPPER.readTree(r.json()).path("rows");
        assertTrue(rows.get(1).get("em").isNull(), rows.get(1).toString());
        assertEquals(50.0, rows.get(0).get("em").asDouble());
    }

    @Test
    void scoresPerLengthBucketAndTruncatedPrompts() throws Exception {
        List<Rec> recs = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            int k = i;
            recs.add(new Rec("FP16", "s" + i, i < 4 ? 0.8 : 0.2).with(r -> {
                r.bucket = k < 4 ? "0-4k" : "8k+";
                r.truncated = k >= 4;
            }));
            recs.add(new Rec("FP16", "s" + i, 0.5).with(r -> r.task = "other"));
        }
        Report r = load(recs);
        Report.Row x = row(r, "FP16", "needle_qa");
        assertEquals(List.of("0-4k", "8k+"), List.copyOf(x.buckets().keySet()));
        assertEquals(80.0, x.buckets().get("0-4k").estimate(), 1e-9);
        assertEquals(4, x.buckets().get("0-4k").n());
        assertEquals(20.0, x.buckets().get("8k+").estimate(), 1e-9);
        assertEquals(2, x.truncated());
        assertEquals(0, row(r, "FP16", "other").truncated());
        String md = r.markdown("t");
        String needle = md.substring(md.indexOf("### needle_qa"), md.indexOf("### other"));
        assertTrue(needle.contains("Score by LongBench-E length bucket:\n\n| Method | 0-4k | 8k+ |\n"), needle);
        assertTrue(needle.contains("| FP16 | 80.00 [80.00, 80.00] (n=4) | 20.00 [20.00, 20.00] (n=2) |"), needle);
        assertTrue(needle.contains(" | 2 of 6 |"), needle);
        assertFalse(md.substring(md.indexOf("### other")).contains("length bucket"), "one bucket: no bucket table");
        JsonNode row = Json.MAPPER.readTree(r.json()).path("rows").get(0);
        assertEquals(2, row.get("truncated").asInt());
        assertEquals(4, row.get("n_0_4k").asInt());
        assertEquals(20.0, row.get("score_8k_plus").asDouble(), 1e-9);
        assertTrue(row.get("score_4_8k").isNull());
    }

    @Test
    void aRecordThatDoesNotSayWhetherItWasTruncatedShowsNoCount() throws Exception {
        Report r = load(List.of(new Rec("FP16", "a", 0.5).with(x -> x.truncated = null)));
        assertNull(r.rows().getFirst().truncated());
        assertTrue(r.markdown("t").contains(" | - |\n"), r.markdown("t"));
    }
}
