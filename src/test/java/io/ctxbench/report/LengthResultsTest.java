package io.ctxbench.report;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctxbench.report.chart.Chart;
import io.ctxbench.report.chart.ChartFiles;
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
                method, 1, "f16", "f16", "f16", "fused", "none", 1.0, task, "string_match_all", id, "ruler seed 42 #" + index,
                null, null, length, false, "jinja", length, depth, "cd".repeat(32), "answer", List.of("1234567"),
                new int[]{1, 2}, "END_OF_GENERATION", new SampleRecord.Scores(score, null, null, null, null, null, null, null),
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
                + "columns: length)\n\n| Depth | 1,024 | 2,048 |\n"), md);
        assertTrue(md.contains("\n| 50% | 75.0 [50.0, 100.0] n=2 | 0.0 [0.0, 0.0] n=2 |\n"), md);
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
