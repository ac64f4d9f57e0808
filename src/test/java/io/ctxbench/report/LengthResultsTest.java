package io.ctxbench.report;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctxbench.report.chart.Chart;
import io.ctxbench.report.chart.ChartFiles;
import io.ctxbench.results.Interval;
import io.ctxbench.results.Json;
import io.ctxbench.results.RecordKey;
import io.ctxbench.results.SampleRecord;
import io.ctxbench.results.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RULER tables, averages, effective length and the needle grid from hand-built records, read back through
 * {@link Report#load} as `ctxbench report` reads a run folder.
 */
class LengthResultsTest {

    /** A generated sample's record: RULER's when {@code depth} is null, a needle-grid sample's otherwise. */
    static SampleRecord record(String method, String task, Integer length, Integer depth, int index, double score) {
        String id = task + "-L" + length + (depth == null ? "" : "-d" + depth) + "-s42-" + index;
        RecordKey k = new RecordKey("m", method, task, id);
        return new SampleRecord(Schema.CURRENT, k.text(), SampleRecord.KIND, "m", "/models/m.gguf", "ab".repeat(32), false,
                method, 1, "f16", "f16", "f16", "fused", null, null, null, "none", 1.0, task, "string_match_all", id, "ruler seed 42 #" + index,
                null, null, length, false, "jinja", length, depth, "cd".repeat(32), "answer", List.of("1234567"),
                new int[]{1, 2}, "END_OF_GENERATION", "cost", new SampleRecord.Scores(score, null, null, null, null, null, null, null),
                new SampleRecord.Metrics(length, 2, 30.0, 300.0, 100.0, 1000.0, 900.0, 0.0, 100, 100, null, null, null, null,
                        null, -1L, 700_000_000L, 200_000_000L, 50_000_000L), new SampleRecord.Costs(1000.0, 1.0),
                "2026-12-02T07:23:33Z");
    }

    /** Records of one cell, one per score, ids 0, 1, ... */
    static List<SampleRecord> cell(String method, String task, int length, Integer depth, double... scores) {
        List<SampleRecord> out = new ArrayList<>();
        for (int i = 0; i < scores.length; i++) {
            out.add(record(method, task, length, depth, i, scores[i]));
        }
        return out;
    }

    /**
     * {@code r} with other costs: decode and prefill tokens/s, TTFT and E2E (ms), device peak bytes (-1: a CPU run) and
     * process peak RSS; 2 tokens generated, ended by end of generation (2 decode steps), the target length as prompt.
     */
    static SampleRecord timed(SampleRecord r, double decodeTps, double prefillTps, double ttftMs, double e2eMs, long device,
                              long rss) {
        SampleRecord.Metrics m = new SampleRecord.Metrics(r.targetLength(), 2, decodeTps, prefillTps, ttftMs, e2eMs, e2eMs,
                0.0, 100, 100, null, null, null, null, null, device, rss, 200_000_000L, 50_000_000L);
        return new SampleRecord(r.schema(), r.key(), r.kind(), r.model(), r.modelFile(), r.modelSha256(), r.weightsStandIn(),
                r.method(), r.level(), r.weights(), r.kvK(), r.kvV(), r.kvPath(), r.kvRotation(), r.kvEvict(), r.kvKept(), r.compressor(), r.rate(), r.task(),
                r.metric(), r.id(), r.source(), r.bucket(), r.datasetLength(), r.rawPromptTokens(), r.truncated(),
                r.chatFormat(), r.targetLength(), r.depth(), r.promptSha256(), r.prediction(), r.answers(),
                r.generatedTokenIds(), r.stopReason(), r.pass(), r.scores(), m, r.costs(), r.finished());
    }

    static Report load(Path dir, List<SampleRecord> records) throws Exception {
        StringBuilder b = new StringBuilder();
        records.forEach(r -> b.append(Json.line(r)).append('\n'));
        Files.writeString(dir.resolve("results.jsonl"), b);
        return Report.load(dir, null);
    }

    /**
     * FP16 (baseline) and KV-Q on niah_single_1 and vt at 1k/2k/4k, 4 samples a cell, plus one LongBench record:
     * FP16's RULER average is 93.75, 87.5, 75 (effective length 2,048 at RULER's 85.6); KV-Q's is 93.75, 75, 12.5
     * (more than 5% below FP16 from 2,048); ALL-ZERO scores 0 everywhere; PERFECT 100 at 1k and 2k.
     */
    static List<SampleRecord> rulerRun() {
        List<SampleRecord> r = new ArrayList<>();
        r.addAll(cell("FP16", "niah_single_1", 1024, null, 1, 1, 1, 1));
        r.addAll(cell("FP16", "vt", 1024, null, 1, 1, 1, 0.5));
        r.addAll(cell("FP16", "niah_single_1", 2048, null, 1, 1, 1, 0));
        r.addAll(cell("FP16", "vt", 2048, null, 1, 1, 1, 1));
        r.addAll(cell("FP16", "niah_single_1", 4096, null, 1, 0, 1, 0));
        r.addAll(cell("FP16", "vt", 4096, null, 1, 1, 1, 1));
        r.addAll(cell("KV-Q", "niah_single_1", 1024, null, 1, 1, 1, 1));
        r.addAll(cell("KV-Q", "vt", 1024, null, 1, 1, 1, 0.5));
        r.addAll(cell("KV-Q", "niah_single_1", 2048, null, 1, 1, 0, 0));
        r.addAll(cell("KV-Q", "vt", 2048, null, 1, 1, 1, 1));
        r.addAll(cell("KV-Q", "niah_single_1", 4096, null, 0, 0, 1, 0));
        r.addAll(cell("KV-Q", "vt", 4096, null, 0, 0, 0, 0));
        r.addAll(cell("ALL-ZERO", "niah_single_1", 1024, null, 0, 0));
        r.addAll(cell("ALL-ZERO", "vt", 1024, null, 0, 0));
        r.addAll(cell("PERFECT", "niah_single_1", 1024, null, 1, 1));
        r.addAll(cell("PERFECT", "vt", 1024, null, 1, 1));
        r.addAll(cell("PERFECT", "niah_single_1", 2048, null, 1, 1));   // no vt at 2k: averaged over 1 task, and said
        SampleRecord lb = ReportRecordsTest.sample("FP16", "a", 0.25, false);
        r.add(lb);
        return r;
    }

    @Test
    void rulerTablesAveragesEffectiveLengthAndTheFirstLengthBelowTheBaseline(@TempDir Path dir) throws Exception {
        Report rep = load(dir, rulerRun());
        LengthResults l = rep.lengths();
        assertEquals("FP16", rep.baseline());
        // the LongBench record is not a RULER cell; every RULER cell is there once
        assertEquals(6 + 6 + 2 + 3, l.ruler().size());
        LengthResults.Cell vt = l.ruler().stream().filter(c -> c.method().equals("FP16") && c.task().equals("vt")
                && c.length() == 1024).findFirst().orElseThrow();
        assertEquals(4, vt.n());
        assertEquals(87.5, vt.score(), 1e-9);
        // resampled means of {1, 1, 1, 0.5}: 0.625 or less in 5% of resamples, 1 in 32%
        assertTrue(vt.ciLow() >= 62.5 && vt.ciLow() < 75 && vt.ciHigh() == 100, vt.toString());

        Map<Integer, Double> fp16 = averages(l, "FP16"), kvq = averages(l, "KV-Q");
        assertEquals(Map.of(1024, 93.75, 2048, 87.5, 4096, 75.0), fp16);
        assertEquals(Map.of(1024, 93.75, 2048, 75.0, 4096, 12.5), kvq);
        LengthResults.Average a = l.averages().stream().filter(x -> x.method().equals("KV-Q") && x.length() == 2048)
                .findFirst().orElseThrow();
        assertEquals(List.of(2, 8), List.of(a.tasks(), a.n()));
        assertTrue(a.ciLow() < 75 && a.ciHigh() > 75, a.toString());
        // paired by sample: niah differs on one sample of four (-25 points), vt on none, so -12.5 over the two tasks
        assertEquals(-12.5, a.delta(), 1e-9);
        assertEquals(8, a.deltaN());
        assertTrue(Double.isNaN(l.averages().getFirst().delta()), "no difference of the baseline from itself");

        assertEquals(new LengthResults.Summary("m", "FP16", 2048, false, null), summary(l, "FP16"));
        assertEquals(new LengthResults.Summary("m", "KV-Q", 1024, false, 2048), summary(l, "KV-Q"));
        assertEquals(new LengthResults.Summary("m", "ALL-ZERO", null, false, 1024), summary(l, "ALL-ZERO"));
        assertEquals(new LengthResults.Summary("m", "PERFECT", 2048, true, null), summary(l, "PERFECT"));
        assertEquals(List.of("The RULER average of PERFECT at 2,048 is over 1 of the 2 tasks m has at that length."),
                l.notes());

        String md = rep.markdown("t");
        assertTrue(md.contains("## Length-controlled results"), md);
        assertTrue(md.contains("at or above 85.6") && md.contains("more than 5% (relative) below FP16's"), md);
        List<String> lines = md.lines().toList();
        assertEquals("| Method | 1,024 | 2,048 | 4,096 | Effective length | Below FP16 from |",
                lines.stream().filter(x -> x.startsWith("| Method | 1,024")).findFirst().orElseThrow());
        assertTrue(line(lines, "| FP16 | 93.8 [").endsWith(" n=8 | 75.0 [50.0, 100.0] n=8 | 2,048 | (baseline) |"),
                line(lines, "| FP16 | 93.8 ["));
        assertTrue(line(lines, "| KV-Q | 93.8 [").endsWith("| 1,024 | 2,048 |"), md);
        assertTrue(line(lines, "| ALL-ZERO | 0.0 [0.0, 0.0] n=4 | - | - |").endsWith("| < 1,024 | 1,024 |"), md);
        assertTrue(line(lines, "| PERFECT | 100.0 [100.0, 100.0] n=4 | 100.0 [100.0, 100.0] n=2 | - |")
                .endsWith("| >= 2,048 | never |"), md);
        // the 2k drop (one niah sample of four) is not separated from 0, the 4k one (every vt sample too) is
        String delta = line(lines, "| KV-Q | 0.0 [0.0, 0.0] | -12.5 [");
        assertTrue(delta.endsWith(" * |") && delta.indexOf('*') == delta.lastIndexOf('*') && delta.contains("| -62.5 ["), delta);
        assertTrue(md.contains("### m: RULER, KV-Q\n\n| Task | 1,024 | 2,048 | 4,096 |\n"), md);
        assertTrue(line(lines, "| vt | 87.5 [").endsWith("n=4 | 100.0 [100.0, 100.0] n=4 | 100.0 [100.0, 100.0] n=4 |"), md);
        assertTrue(line(lines, "| **RULER average** | **93.8 [").contains("n=8** |"), md);
        assertFalse(md.contains("needle in a haystack"), "no grid records, no grid table");

        JsonNode json = Json.MAPPER.readTree(rep.json());
        assertEquals(17, json.get("lengths").size());
        JsonNode c0 = json.get("lengths").get(0);
        assertEquals(List.of("model", "method", "task", "length", "n", "score", "ci_low", "ci_high"), names(c0));
        assertEquals(85.6, json.at("/ruler/threshold").asDouble());
        assertEquals(2048, json.at("/ruler/methods/1/below_baseline_from").asInt());
        assertTrue(json.at("/ruler/methods/2/effective_length").isNull());
        assertEquals(0, json.get("needle").size());

        String csv = l.csv();
        assertEquals("kind,model,method,task,length,depth,n,score,ci_low,ci_high", csv.lines().findFirst().orElseThrow());
        assertTrue(csv.contains("\nruler_average,m,FP16,,4096,,8,75.0,"), csv);
        assertTrue(csv.contains("\nruler,m,FP16,vt,1024,,4,87.5,"), csv);
    }

    /** One sample a depth (the usual grid): the mean over the depths resamples the depths, so it has an interval. */
    @Test
    void aGridOfOneSampleADepthGetsItsIntervalFromTheDepths(@TempDir Path dir) throws Exception {
        List<SampleRecord> r = new ArrayList<>();
        double[] found = {1, 0, 0, 1, 1};
        for (int d = 0; d < found.length; d++) {
            r.addAll(cell("KV-Q", "niah_single_2", 4096, d * 25, found[d]));
        }
        LengthResults.Cell mean = load(dir, r).lengths().needleMeans().getFirst();
        assertEquals(60.0, mean.score(), 1e-9);
        assertEquals(5, mean.n());
        assertTrue(mean.ciLow() < 60 && mean.ciHigh() > 60 && mean.ciLow() >= 0 && mean.ciHigh() <= 100, mean.toString());
    }

    @Test
    void needleGridHeatmapAndScoreVsLengthChart(@TempDir Path dir) throws Exception {
        List<SampleRecord> r = new ArrayList<>();
        for (String method : List.of("FP16", "KV-Q")) {
            for (int length : new int[]{1024, 2048}) {
                for (int depth : new int[]{0, 50, 100}) {
                    // FP16 finds every needle; KV-Q half the values of one sample in each cell, and none at 2k, 50%
                    boolean hole = method.equals("KV-Q") && length == 2048 && depth == 50;
                    r.addAll(method.equals("FP16") ? cell(method, "niah_single_2", length, depth, 1, 1)
                            : cell(method, "niah_single_2", length, depth, hole ? 0 : 1, hole ? 0 : 0.5));
                }
            }
        }
        r.addAll(cell("FP16", "niah_single_1", 1024, null, 1, 0));
        r.addAll(cell("KV-Q", "niah_single_1", 1024, null, 1, 1));
        Report rep = load(dir, r);
        LengthResults l = rep.lengths();
        // the grid records are needle cells, not RULER cells of niah_single_2
        assertEquals(List.of("niah_single_1"), l.ruler().stream().map(LengthResults.Cell::task).distinct().toList());
        assertEquals(12, l.needle().size());
        LengthResults.Cell hole = l.needle().stream().filter(c -> c.method().equals("KV-Q") && c.length() == 2048
                && c.depth() == 50).findFirst().orElseThrow();
        assertEquals(0.0, hole.score());
        assertEquals(2, hole.n());
        // the mean over depths weighs each depth once: (75 + 0 + 75) / 3
        LengthResults.Cell mean = l.needleMeans().stream().filter(c -> c.method().equals("KV-Q") && c.length() == 2048)
                .findFirst().orElseThrow();
        assertEquals(50.0, mean.score(), 1e-9);
        assertEquals(6, mean.n());

        Map<String, Chart> charts = Charts.of(rep);
        assertTrue(charts.keySet().containsAll(List.of("score-vs-length", "needle-FP16", "needle-KV-Q")),
                charts.keySet().toString());
        Chart.Heatmap h = (Chart.Heatmap) charts.get("needle-KV-Q");
        assertEquals(List.of("1,024", "2,048"), h.columns());
        assertEquals(List.of("0%", "50%", "100%"), h.rows());
        assertArrayEquals(new double[]{75, 0}, h.values()[1], 1e-9);
        Chart.LineChart line = (Chart.LineChart) charts.get("score-vs-length");
        assertEquals(List.of("FP16: RULER average", "KV-Q: RULER average", "FP16: needle", "KV-Q: needle"),
                line.series().stream().map(Chart.Series::name).toList());
        Chart.Series kvNeedle = line.series().get(3);
        assertArrayEquals(new double[]{1024, 2048}, kvNeedle.x());
        assertArrayEquals(new double[]{75, 50}, kvNeedle.y(), 1e-9);
        assertTrue(kvNeedle.low()[1] < 50 && kvNeedle.high()[1] > 50, Arrays.toString(kvNeedle.low()));

        String md = rep.markdown("t");
        assertTrue(md.contains("### m: needle in a haystack, KV-Q (niah_single_2; rows: needle depth in % of the haystack, "
                + "columns: length; all depths: the mean over the depths, its interval resampling within each depth, or the depths "
                + "when each has one sample)\n\n"
                + "| Depth | 1,024 | 2,048 |\n"), md);
        assertTrue(md.contains("\n| 50% | 75.0 [50.0, 100.0] n=2 | 0.0 [0.0, 0.0] n=2 |\n"), md);
        String kvAll = "**" + LengthResults.cell(mean.score(), mean.ciLow(), mean.ciHigh(), mean.n()) + "**";
        assertTrue(md.contains("| **all depths** | ") && md.contains(" | " + kvAll + " |\n"), md);
        assertTrue(kvAll.startsWith("**50.0 [") && kvAll.endsWith("] n=6**"), kvAll);
        JsonNode needle = Json.MAPPER.readTree(rep.json()).get("needle").get(0);
        assertEquals(List.of("model", "method", "task", "length", "depth", "n", "score", "ci_low", "ci_high"), names(needle));

        // written as SVG and PNG, shown in the page
        Path out = dir.resolve("report");
        List<Path> written = ReportWriter.write(rep, out, "t", new ChartFiles(List.of(ChartFiles.SVG, ChartFiles.PNG),
                w -> { throw new AssertionError(w); }));
        for (String f : List.of("lengths.csv", "needle-KV-Q.svg", "needle-KV-Q.png", "score-vs-length.svg",
                "score-vs-length.png")) {
            assertTrue(written.contains(out.resolve(f)) && Files.size(out.resolve(f)) > 0, f);
        }
        BufferedImage kv = ImageIO.read(out.resolve("needle-KV-Q.png").toFile()),
                fp16 = ImageIO.read(out.resolve("needle-FP16.png").toFile());
        assertEquals(h.width(), kv.getWidth());
        int red = pixels(kv, 0xd73027), green = pixels(fp16, 0x1a9850);
        assertTrue(red > 500 && green > 5 * red && pixels(kv, 0x1a9850) == 0,
                "KV-Q's 0 cell red, FP16's six 100 cells green: " + red + " / " + green);
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("needle-KV-Q (<a download"), "the heatmap inline with its PNG");
    }

    @Test
    void aRunWithoutLengthControlledRecordsShowsNothingOfThem(@TempDir Path dir) throws Exception {
        List<SampleRecord> r = new ArrayList<>(List.of(ReportRecordsTest.sample("FP16", "a", 0.25, false),
                ReportRecordsTest.sample("KV-Q", "a", 0.5, false)));
        // a RULER-named record without a target length is an ordinary record
        SampleRecord s = record("FP16", "niah_single_1", null, null, 0, 1);
        r.add(s);
        Report rep = load(dir, r);
        assertTrue(rep.lengths().isEmpty());
        String md = rep.markdown("t");
        assertFalse(md.contains("Length-controlled") || md.contains("RULER"), md);
        assertTrue(Charts.of(rep).keySet().stream().noneMatch(k -> k.contains("needle") || k.contains("length")));
        Path out = dir.resolve("report");
        ReportWriter.write(rep, out, "t", new ChartFiles(List.of(ChartFiles.SVG), w -> { }));
        assertFalse(Files.exists(out.resolve("lengths.csv")));
        JsonNode json = Json.MAPPER.readTree(Files.readString(out.resolve("report.json")));
        assertEquals(0, json.get("lengths").size());
        assertEquals(0, json.at("/ruler/averages").size());
    }

    @Test
    void lengthControlledRecordsStayOutOfTheLongBenchTables(@TempDir Path dir) throws Exception {
        List<SampleRecord> r = new ArrayList<>(rulerRun());
        // a needle grid on niah_single_2, and RULER's niah_single_2: neither is a LongBench row
        r.addAll(cell("FP16", "niah_single_2", 1024, 50, 1, 1));
        r.addAll(cell("KV-Q", "niah_single_2", 1024, 50, 0, 1));
        r.addAll(cell("FP16", "niah_single_2", 1024, null, 1, 0));
        r.add(ReportRecordsTest.sample("KV-Q", "a", 0.5, false));
        Report rep = load(dir, r);
        assertEquals(r.size(), rep.records());
        assertEquals(List.of("qasper"), rep.tasks());
        assertEquals(List.of("FP16", "KV-Q"), rep.rows().stream().map(Report.Row::method).toList());
        assertEquals(List.of(1, 1), rep.rows().stream().map(Report.Row::n).toList());
        assertEquals(List.of("qasper", "qasper"), rep.gains().stream().map(Report.Gain::task).toList());
        assertTrue(Charts.of(rep).keySet().stream().noneMatch(k -> k.startsWith("radar-niah") || k.equals("radar-vt")),
                Charts.of(rep).keySet().toString());
        String md = rep.markdown("t");
        assertFalse(md.contains("### niah_single_1 (") || md.contains("### vt (") || md.contains("### niah_single_2 ("), md);
        assertTrue(md.contains("### qasper (qa_f1)"), md);
        assertEquals(3, rep.csv().lines().count(), rep.csv());
        // they are in the length-controlled tables instead: RULER's niah_single_2 apart from the grid
        LengthResults.Cell niah2 = rep.lengths().ruler().stream().filter(c -> c.task().equals("niah_single_2")).findFirst()
                .orElseThrow();
        assertEquals(List.of("FP16", 2, 50.0), List.of(niah2.method(), niah2.n(), niah2.score()));
        assertEquals(2, rep.lengths().needle().size());
    }

    @Test
    void aRunOfOnlyLengthControlledRecordsHasNoLongBenchTables(@TempDir Path dir) throws Exception {
        List<SampleRecord> r = new ArrayList<>(cell("FP16", "vt", 1024, null, 1, 1));
        r.addAll(cell("KV-Q", "vt", 1024, null, 1, 0));
        Report rep = load(dir, r);
        assertEquals("FP16", rep.baseline());
        assertTrue(rep.rows().isEmpty() && rep.gains().isEmpty(), rep.rows().toString());
        assertEquals(List.of(), rep.notes());
        String md = rep.markdown("t");
        assertFalse(md.contains("LongBench metric") || md.contains("## m\n") || md.contains("### Differences from"), md);
        assertTrue(md.contains("## Length-controlled results") && md.contains("- Tok/s = decode tokens over"), md);
        assertTrue(Charts.of(rep).containsKey("score-vs-length"), "one model: no prefix");
        assertEquals(1, rep.csv().lines().count());
    }

    /**
     * FP16 and KV-Q at 1k and 2k: a RULER task (2 samples) and a needle depth (1 sample) at each length. At 1k FP16
     * decodes at 20, 40 and 40 tokens/s (2 steps each: 6 steps over 0.2 s = 30 total, median 40) and prefills 1,024
     * tokens at 1,024, 2,048 and 2,048 t/s (3,072 over 2 s = 1,536), on a GPU (device peaks 1 and 2 GB); KV-Q at 40 and
     * 2,048 on every sample (x 1.33 of FP16 for both). At 2k, a CPU run (process peak RSS), and KV-Q misses the needle.
     */
    @Test
    void costsPerLengthWithTheirIntervalsAndRelativeToTheBaselinePairedBySample(@TempDir Path dir) throws Exception {
        List<SampleRecord> r = new ArrayList<>();
        double[] fpDecode = {20, 40, 40}, fpPrefill = {1024, 2048, 2048};
        for (int length : new int[]{1024, 2048}) {
            for (String method : List.of("FP16", "KV-Q")) {
                List<SampleRecord> g = new ArrayList<>(cell(method, "niah_single_1", length, null, 1, 0));
                if (!(method.equals("KV-Q") && length == 2048)) {
                    g.addAll(cell(method, "niah_single_2", length, 50, 1));
                }
                for (int i = 0; i < g.size(); i++) {
                    boolean fp = method.equals("FP16"), gpu = length == 1024;
                    r.add(timed(g.get(i), fp ? fpDecode[i] : 40, fp ? fpPrefill[i] : 2048, 100 + 100 * i + length / 10.0,
                            (fp ? 1000 : 500) * (i + 1), gpu ? (i == 1 ? 2_000_000_000L : 1_000_000_000L) : -1,
                            length + 100_000_000L * (i + 1)));
                }
            }
        }
        r.add(ReportRecordsTest.sample("FP16", "a", 0.25, false));   // LongBench: not in the length costs
        Report rep = load(dir, r);
        List<LengthResults.LengthCost> cs = rep.lengths().costs();
        assertEquals(List.of("FP16 1024 3", "FP16 2048 3", "KV-Q 1024 3", "KV-Q 2048 2"),
                cs.stream().map(c -> c.method() + " " + c.length() + " " + c.n()).toList());
        LengthResults.LengthCost fp = cs.getFirst(), kv = cs.get(2), kv2 = cs.get(3);
        assertEquals(30.0, fp.cost().decodeTps().estimate(), 1e-9);
        assertEquals(40.0, fp.cost().decodeTpsMedian().estimate());
        assertEquals(1536.0, fp.cost().prefillTps().estimate(), 1e-9);
        assertEquals((202.4 + 302.4 + 402.4) / 3, fp.cost().ttftMs().estimate(), 1e-9);
        assertEquals(2000.0, fp.cost().e2eMs().estimate(), 1e-9);
        Interval e2e = fp.cost().e2eMs();
        assertTrue(e2e.n() == 3 && e2e.low() >= 1000 && e2e.low() < 2000 && e2e.high() > 2000 && e2e.high() <= 3000,
                e2e.toString());
        assertEquals(2e9, fp.cost().memBytes());
        assertEquals(Cost.DEVICE, fp.cost().memKind());
        assertEquals(Cost.PROCESS_RSS, cs.get(1).cost().memKind());
        assertEquals(2048 + 300_000_000.0, cs.get(1).cost().memBytes());
        // the baseline has no ratio to itself; KV-Q is paired sample by sample
        assertEquals(0, fp.nPaired());
        assertTrue(Double.isNaN(fp.throughputX().estimate()));
        assertEquals(3, kv.nPaired());
        assertEquals(40.0 / 30, kv.throughputX().estimate(), 1e-9);
        assertEquals(2048.0 / 1536, kv.prefillX().estimate(), 1e-9);
        assertTrue(kv.throughputX().low() >= 1 && kv.throughputX().high() <= 2, kv.throughputX().toString());
        // KV-Q's samples end in half FP16's time each: the speed-up is 2 whichever pairs a resample draws
        assertEquals(2.0, kv.e2eSpeedupX().estimate(), 1e-9);
        assertEquals(2.0, kv.e2eSpeedupX().low(), 1e-9);
        assertEquals(2.0, kv.e2eSpeedupX().high(), 1e-9);
        assertTrue(Double.isNaN(fp.e2eSpeedupX().estimate()));
        assertEquals(2, kv2.nPaired(), "the needle sample KV-Q lacks at 2k is not paired");
        // FP16 at 2k decodes its two RULER samples at 20 and 40 t/s: 4 steps over 0.15 s
        assertEquals(40 / (4 / 0.15), kv2.throughputX().estimate(), 1e-9);

        String md = rep.markdown("t");
        List<String> lines = md.lines().toList();
        assertTrue(md.contains("### m: cost by length\n\n| Method | 1,024: n | 1,024: TTFT (ms) | 1,024: Prefill t/s | "
                + "1,024: Tok/s | 1,024: Tok/s med. | 1,024: E2E (s) | 1,024: Mem (GB) | 2,048: n |"), md);
        assertTrue(line(lines, "| FP16 | 3 | 302 [").contains("| 1536 [") && line(lines, "| FP16 | 3 | 302 [")
                .contains("| 30.0 [") && line(lines, "| FP16 | 3 | 302 [").contains("| 2.00 [1.00, 3.00] | 2.00 | 3 | "),
                line(lines, "| FP16 | 3 | 302 ["));
        assertTrue(md.contains("### m: cost relative to FP16 by length (paired by sample)\n\n| Method | 1,024: Tok/s x | "
                + "1,024: Prefill x | 1,024: E2E x | 2,048: Tok/s x | 2,048: Prefill x | 2,048: E2E x |\n"), md);
        assertTrue(line(lines, "| KV-Q | 1.33 [").contains(" n=3 | 1.33 [") && line(lines, "| KV-Q | 1.33 [").endsWith(" n=2 |"),
                md);
        assertFalse(md.contains("| FP16 | - |"), "the baseline has no row relative to itself");

        JsonNode json = Json.MAPPER.readTree(rep.json()).get("length_costs");
        assertEquals(4, json.size());
        assertEquals(List.of("model", "method", "length", "n", "decode_tps_total", "decode_tps_total_ci_low",
                "decode_tps_total_ci_high", "decode_tps_median", "decode_tps_median_ci_low", "decode_tps_median_ci_high",
                "prefill_tps", "prefill_tps_ci_low", "prefill_tps_ci_high", "ttft_ms", "ttft_ms_ci_low", "ttft_ms_ci_high",
                "e2e_ms", "e2e_ms_ci_low", "e2e_ms_ci_high", "mem_bytes", "mem_kind", "n_paired", "throughput_x",
                "throughput_x_ci_low", "throughput_x_ci_high", "prefill_x", "prefill_x_ci_low", "prefill_x_ci_high",
                "e2e_speedup_x", "e2e_speedup_x_ci_low", "e2e_speedup_x_ci_high"),
                names(json.get(0)));
        assertEquals(1536.0, json.get(0).get("prefill_tps").asDouble(), 1e-9);
        assertTrue(json.get(0).get("throughput_x").isNull());
        assertEquals("process peak RSS", json.get(1).get("mem_kind").asText());
        assertEquals(40.0 / 30, json.get(2).get("throughput_x").asDouble(), 1e-9);

        Path out = dir.resolve("report");
        List<Path> written = ReportWriter.write(rep, out, "t", new ChartFiles(List.of(ChartFiles.SVG), w -> { }));
        assertTrue(written.contains(out.resolve("length-costs.csv")));
        List<String> csv = Files.readAllLines(out.resolve("length-costs.csv"));
        assertEquals(String.join(",", names(json.get(0))), csv.getFirst());
        assertEquals(5, csv.size());
        assertTrue(csv.get(3).startsWith("m,KV-Q,1024,3,"), csv.get(3));
        assertEquals(40.0, Double.parseDouble(csv.get(3).split(",")[4]), 1e-9);
        // the LongBench record's cost is its own row's, not a length's
        assertEquals(1, rep.rows().size());
    }

    @Test
    void aSyntheticModelIsLabelledSoItsScoresAreNotRead(@TempDir Path dir) throws Exception {
        // eval lists the models whose GGUF carries ctxbench.synthetic in its manifest (one per shard)
        Files.writeString(dir.resolve("manifest-shard-0-of-2.json"), "{\"schema\": 2, \"config\": {\"baseline\": \"FP16\", "
                + "\"synthetic_models\": [\"m\", \"not-in-this-run\"]}}");
        List<SampleRecord> r = new ArrayList<>(cell("FP16", "vt", 1024, null, 1, 0));
        r.addAll(cell("FP16", "niah_single_2", 1024, 50, 1, 0));
        r.add(ReportRecordsTest.sample("FP16", "a", 0.25, false));
        Report rep = load(dir, r);
        assertEquals(List.of("m"), rep.syntheticModels());
        assertTrue(rep.notes().stream().anyMatch(n -> n.startsWith("m is a synthetic model")
                && n.contains("scores are meaningless: random weights")), rep.notes().toString());
        String md = rep.markdown("t");
        String label = "m [random weights: scores are meaningless]";
        for (String h : List.of("## " + label + "\n", "### " + label + ": RULER average by length", "### " + label
                + ": needle in a haystack, FP16", "### " + label + ": cost by length")) {
            assertTrue(md.contains(h), h + " in\n" + md);
        }
        Map<String, Chart> charts = Charts.of(rep);
        assertTrue(((Chart.LineChart) charts.get("score-vs-length")).title().contains(label));
        assertTrue(((Chart.Heatmap) charts.get("needle-FP16")).title().contains(label));
        assertTrue(((Chart.RadarChart) charts.get("radar-qasper")).title().contains(label));
        assertEquals("[\"m\"]", Json.MAPPER.readTree(rep.json()).get("synthetic_models").toString());

        // without the manifest's word nothing is labelled
        Files.delete(dir.resolve("manifest-shard-0-of-2.json"));
        Report plain = Report.load(dir, null);
        assertEquals(List.of(), plain.syntheticModels());
        assertFalse(plain.markdown("t").contains("random weights"));
    }

    private static int pixels(BufferedImage img, int rgb) {
        int n = 0;
        for (int x = 0; x < img.getWidth(); x++) {
            for (int y = 0; y < img.getHeight(); y++) {
                n += (img.getRGB(x, y) & 0xffffff) == rgb ? 1 : 0;
            }
        }
        return n;
    }

    private static Map<Integer, Double> averages(LengthResults l, String method) {
        Map<Integer, Double> m = new java.util.TreeMap<>();
        l.averages().stream().filter(a -> a.method().equals(method)).forEach(a -> m.put(a.length(), a.score()));
        return m;
    }

    private static LengthResults.Summary summary(LengthResults l, String method) {
        return l.summaries().stream().filter(s -> s.method().equals(method)).findFirst().orElseThrow();
    }

    private static String line(List<String> lines, String start) {
        return lines.stream().filter(x -> x.startsWith(start)).findFirst().orElseThrow(() -> new AssertionError(
                "no line starts with " + start + " in\n" + String.join("\n", lines)));
    }

    private static List<String> names(JsonNode n) {
        List<String> names = new ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
