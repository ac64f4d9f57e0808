package io.ctxbench.report;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctxbench.CtxbenchException;
import io.ctxbench.results.CellResult;
import io.ctxbench.results.EvalResults;
import io.ctxbench.results.FidelityRecord;
import io.ctxbench.results.Json;
import io.ctxbench.results.RecordKey;
import io.ctxbench.results.ResultsLog;
import io.ctxbench.results.RunFolderLock;
import io.ctxbench.results.SampleRecord;
import io.ctxbench.results.Schema;
import io.ctxbench.results.Stat;
import io.ctxbench.results.SweepCell;
import io.ctxbench.results.SweepResults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each record type written through the results package (its log, its JSON) and read back the way `ctxbench report`
 * and `sweep --from` read it: every value arrives, in the field the reader takes it from. The old-run test
 * ({@link ReportOldRunTest}) pins the field names; this one pins that the report uses them.
 */
class ReportRecordsTest {

    /** A sample record with a distinct value in every field; {@code compressed} adds the compressor's figures. */
    static SampleRecord sample(String method, String id, double score, boolean compressed) {
        RecordKey k = new RecordKey("m", method, "qasper", id);
        SampleRecord.Scores sc = new SampleRecord.Scores(score, score + 0.01, 0.52, 0.93, 0.34, 0.125, 8, 1);
        SampleRecord.Metrics mt = new SampleRecord.Metrics(812, 17, 33.5 + score, 321.25, 2523.5, 3009.75, 2998.5,
                compressed ? 11.25 : 0.0, 3850, compressed ? 1900 : 3850, compressed ? 790 : null, compressed ? 395 : null,
                compressed ? 2.0 : null, compressed ? true : null, compressed ? "cpu" : null, -1L, 719_265_792L,
                269_100_288L, 106_168_320L);
        return new SampleRecord(Schema.CURRENT, k.text(), SampleRecord.KIND, "m", "/models/m.gguf", "ab".repeat(32), true,
                method, 2, "f16", "q8_0", "q4_0", "fused", "on", null, null, compressed ? "extractive" : "none", compressed ? 2.0 : 1.0, "qasper",
                "qa_f1", id, "data.jsonl:" + id.length(), "0-4k", 634, 799, false, "jinja", null, null, "cd".repeat(32), "the answer", List.of("answer"),
                new int[]{504, 1594, 2}, "END_OF_GENERATION", "cost", sc, mt, new SampleRecord.Costs(4122.25, 1047.5),
                "2026-12-02T07:23:33Z");
    }

    static FidelityRecord fidelity(String method, String id, double kl) {
        return new FidelityRecord(Schema.CURRENT, new RecordKey("m", method, "qasper", id).text(), FidelityRecord.KIND, "m",
                method, "FP16", "qasper", id, 16, kl, 4 * kl, 0.9375);
    }

    @Test
    void sampleAndFidelityRecordsWrittenThroughTheLogReadBackThroughTheReport(@TempDir Path dir) throws Exception {
        SampleRecord base = sample("FP16", "a", 0.25, false), comp = sample("FP16_c", "a", 0.5, true);
        FidelityRecord fid = fidelity("FP16_c", "a", 0.0625);
        try (RunFolderLock lock = RunFolderLock.acquire(dir, "eval");
             ResultsLog results = ResultsLog.open(lock, dir.resolve("results.jsonl"));
             ResultsLog fidelity = ResultsLog.open(lock, dir.resolve("fidelity.jsonl"))) {
            results.append(base.key(), Json.line(base));
            results.append(comp.key(), Json.line(comp));
            fidelity.append(fid.key(), Json.line(fid));
        }
        // every field, through the reader
        EvalResults in = EvalResults.load(dir);
        assertEquals(List.of(Json.line(base), Json.line(comp)), in.samples().stream().map(Json::line).toList());
        assertEquals(List.of(Json.line(fid)), in.fidelity().stream().map(Json::line).toList());

        // and through the aggregation: each column of the report from the field it names
        Report r = Report.load(dir, null);
        Report.Row c = r.rows().get(1);
        assertEquals("FP16", r.baseline());
        assertEquals(List.of("m", "FP16_c", 2, "qasper", "qa_f1", 1), List.of(c.model(), c.method(), c.level(), c.task(),
                c.metric(), c.n()));
        assertEquals(50.0, c.score().estimate(), 1e-9);
        assertEquals(51.0, c.f1().estimate(), 1e-9);
        assertEquals(52.0, c.precision().estimate(), 1e-9);
        assertEquals(93.0, c.recall().estimate(), 1e-9);
        assertEquals(34.0, c.rougeL().estimate(), 1e-9);
        assertEquals(0.125, c.hallucination().estimate());
        assertEquals(100.0, c.exactMatch().estimate());     // "the answer" is "answer" once normalized
        assertEquals(100.0, c.contains().estimate());
        assertEquals(34.0, c.cost().decodeTps().estimate(), 1e-9);   // 17 steps (end of generation) over 17 / 34 s
        assertEquals(34.0, c.cost().decodeTpsMedian().estimate());
        assertEquals(321.25, c.cost().prefillTps().estimate(), 1e-9);
        assertEquals(2523.5, c.cost().ttftMs().estimate());
        assertEquals(3009.75, c.cost().e2eMs().estimate());
        assertEquals(719_265_792.0, c.cost().memBytes());
        assertEquals("process peak RSS", c.cost().memKind());
        assertEquals(17.0, c.generatedTokens().estimate());
        assertEquals(11.25, c.compressionMs().estimate());
        assertEquals(1, c.fidelityN());
        assertEquals(0.0625, c.klMean().estimate());
        assertEquals(0.9375, c.top1().estimate());
        assertTrue(c.standIn());
        assertEquals("fused", c.kvPath());
        assertEquals(0, c.truncated());
        assertEquals(java.util.Set.of("0-4k"), c.buckets().keySet());
        assertEquals(50.0, c.buckets().get("0-4k").estimate(), 1e-9);
        Report.Gain g = r.gains().get(1);
        assertEquals(1, g.nPaired());
        assertEquals(25.0, g.scoreDelta().estimate(), 1e-9);
        assertEquals(34.0 / 33.75, g.throughputX().estimate(), 1e-12);
        assertEquals(1.0, g.e2eSpeedupX().estimate(), 1e-12);
    }

    @Test
    void aFigureThatIsNotANumberIsWrittenAsNullAndAnOldNaNStringIsLeftOutOfTheMean(@TempDir Path dir) throws Exception {
        SampleRecord s = sample("FP16", "a", 0.25, false);
        SampleRecord.Metrics m = s.metrics();
        SampleRecord nan = new SampleRecord(s.schema(), s.key(), s.kind(), s.model(), s.modelFile(), s.modelSha256(),
                s.weightsStandIn(), s.method(), s.level(), s.weights(), s.kvK(), s.kvV(), s.kvPath(), s.kvRotation(), s.kvEvict(), s.kvKept(), s.compressor(), s.rate(),
                s.task(), s.metric(), s.id(), s.source(), s.bucket(), s.datasetLength(), s.rawPromptTokens(), s.truncated(),
                s.chatFormat(), s.targetLength(), s.depth(), s.promptSha256(), s.prediction(), s.answers(), s.generatedTokenIds(), s.stopReason(), s.pass(), s.scores(),
                new SampleRecord.Metrics(m.promptTokens(), 1, Double.NaN, Double.POSITIVE_INFINITY, m.ttftMs(), m.e2eMs(),
                        m.generationMs(), m.compressionMs(), m.contextChars(), m.compressedContextChars(), null, null, null,
                        null, null, m.peakDeviceBytes(), m.processPeakRssBytes(), m.modelBytes(), m.kvBytes()),
                s.costs(), s.finished());
        String line = Json.line(nan);
        assertTrue(line.contains("\"decode_tps\":null,\"prefill_tps\":null,"), line);
        assertFalse(line.contains("NaN") || line.contains("Infinity"), line);

        // a record of schema 0 said "NaN": it reads, and the mean is over the records with a number
        String old = Json.line(sample("FP16", "b", 0.25, false)).replace("\"schema\":" + Schema.CURRENT + ",", "")
                .replaceFirst("\"decode_tps\":[0-9.]+", "\"decode_tps\":\"NaN\"");
        Files.writeString(dir.resolve("results.jsonl"), line + "\n" + old + "\n"
                + Json.line(sample("FP16", "c", 0.25, false)) + "\n");
        Report r = Report.load(dir, null);
        assertEquals(33.75, r.rows().getFirst().cost().decodeTps().estimate(), 1e-9);
        assertEquals(3, r.rows().getFirst().n());
        // the report's JSON: snake_case names, and a figure no record had is null
        Files.writeString(dir.resolve("results.jsonl"), line + "\n");
        JsonNode row = Json.MAPPER.readTree(Report.load(dir, null).json()).path("rows").get(0);
        assertTrue(row.get("decode_tps_total").isNull() && row.get("decode_tps_total_ci_low").isNull()
                && row.get("kl_mean").isNull(), row.toString());
        assertEquals(2523.5, row.get("ttft_ms").asDouble());
        assertTrue(row.get("ttft_ms_ci_low").isNull(), "one sample: no interval, " + row);
    }

    @Test
    void aRecordOfANewerSchemaIsRefusedNotMisread(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("results.jsonl"), Json.line(sample("FP16", "a", 0.25, false)) + "\n"
                + Json.line(sample("FP16", "b", 0.25, false)).replace("\"schema\":" + Schema.CURRENT + ",", "\"schema\":" + (Schema.CURRENT + 1) + ",")
                + "\n");
        CtxbenchException e = assertThrows(CtxbenchException.class, () -> Report.load(dir, null));
        assertTrue(e.getMessage().startsWith(f + ":2: the record has schema " + (Schema.CURRENT + 1)), e.getMessage());

        Path jsonl = Files.writeString(dir.resolve(SweepResults.JSONL), Json.line(cell(0, 1.0)).replace("\"schema\":" + Schema.CURRENT + ",",
                "\"schema\":" + (Schema.CURRENT + 1) + ",") + "\n");
        e = assertThrows(CtxbenchException.class, () -> SweepResults.read(jsonl, w -> { }));
        assertTrue(e.getMessage().startsWith(jsonl + " line 1: the record has schema"), e.getMessage());
    }

    static CellResult cell(int index, double scale) {
        SweepCell c = new SweepCell(index, "/m/tiny.gguf", -1, "q8_0", "q4_0", "on", "on", 512, 128, 4096 * index, 2048, 512, 16);
        return new CellResult(Schema.CURRENT, c, c.configuration(), CellResult.OK, null, "llama 8B F16", 16_060_522_496L,
                8_030_261_248L, 4864, 268_435_456L, "fused", 300_000_000L, "CUDA0", 17_000_000_000L, 17_400_000_000L,
                17_500_000_000L, 400_000_000L, Stat.of(new double[]{1000 * scale, 1010 * scale}),
                Stat.of(new double[]{100 * scale, 98 * scale}), Stat.of(new double[]{55.5, 56.5}), 10.25, 10.5, 11.75,
                new CellResult.NativeResult(Stat.of(new double[]{990, 1000}), Stat.of(new double[]{100, 101}), 1.01, 0.985, null));
    }

    @Test
    void sweepCellsWrittenThroughTheLogReadBackThroughSweepFrom(@TempDir Path dir) throws Exception {
        List<CellResult> cells = List.of(cell(0, 1.0), cell(1, 0.5), CellResult.rejected(cell(2, 1).cell(), "too big"));
        try (RunFolderLock lock = RunFolderLock.acquire(dir, "sweep")) {
            try (ResultsLog log = SweepResults.openLog(lock, dir)) {
                // a cell is streamed when measured, and again once llama-bench's figures are attached
                SweepResults.append(log, cells.get(0).withNative(null));
                cells.forEach(c -> SweepResults.append(log, c));
            }
            assertEquals(cells.stream().map(Json::line).toList(),
                    SweepResults.read(dir.resolve(SweepResults.JSONL), w -> { }).stream().map(Json::line).toList());
            SweepResults.rewrite(lock, dir, cells);
        }
        assertEquals(cells.stream().map(c -> Json.line(c)).toList(), Files.readAllLines(dir.resolve(SweepResults.JSONL)));
    }
}
