package io.ctxbench.report;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctxbench.results.CellResult;
import io.ctxbench.results.FidelityRecord;
import io.ctxbench.results.Json;
import io.ctxbench.results.SampleRecord;
import io.ctxbench.results.SweepResults;
import io.ctxbench.sweep.Reports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Run folders made before records carried a schema (schema 0) still load: a slice of the default `scripts/ctxbench
 * eval` of 2026-12-02 (6 sample records of 4 methods, 4 fidelity records, its manifest) and the sweep.jsonl of the
 * 2026-12-02 H200 run with the sweep.md that run printed. Every field of an old record reads back into the record
 * types and writes out as it was (plus its schema): renaming a field of a record type fails here.
 */
class ReportOldRunTest {
    private static Path resource(String name) throws Exception {
        return Path.of(ReportOldRunTest.class.getResource("/runs/" + name).toURI());
    }

    @Test
    void anEvalRunFolderFromBeforeTheSchemaLoadsWithItsFigures(@TempDir Path tmp) throws Exception {
        Path run = resource("eval-2026-12-02");
        Report r = Report.load(run, null);
        assertEquals(6, r.records());
        assertEquals("FP16", r.baseline());   // the manifest's
        assertEquals(List.of("FP16", "FP16", "W4A16", "KV-Q", "FP16_c", "FP16_c"), r.rows().stream().map(Report.Row::method).toList());
        // each row holds one record: its figures are the record's, read here as plain JSON
        List<JsonNode> lines = new ArrayList<>();
        for (String l : Files.readAllLines(run.resolve("results.jsonl"))) {
            lines.add(Json.MAPPER.readTree(l));
        }
        for (int i = 0; i < lines.size(); i++) {
            JsonNode n = lines.get(i);
            Report.Row row = r.rows().get(i);
            assertEquals(n.get("task").asText(), row.task());
            assertEquals(100 * n.at("/scores/score").asDouble(), row.score().estimate(), 1e-9);
            assertEquals(100 * n.at("/scores/qa_recall").asDouble(), row.recall().estimate(), 1e-9);
            assertEquals(n.at("/scores/hallucination").asDouble(), row.hallucination().estimate());
            assertEquals(n.at("/metrics/decode_tps").asDouble(), row.cost().decodeTps().estimate(), 1e-9);
            assertEquals(n.at("/metrics/decode_tps").asDouble(), row.cost().decodeTpsMedian().estimate());
            assertEquals(n.at("/metrics/prefill_tps").asDouble(), row.cost().prefillTps().estimate(), 1e-9);
            assertEquals(n.at("/metrics/e2e_ms").asDouble(), row.cost().e2eMs().estimate());
            assertEquals(n.at("/metrics/process_peak_rss_bytes").asDouble(), row.cost().memBytes());
            assertEquals(n.at("/metrics/compression_ms").asDouble(), row.compressionMs().estimate());
            assertEquals(n.get("truncated").asBoolean() ? 1 : 0, row.truncated());
            assertEquals("fused", row.kvPath());
        }
        Report.Row w4 = r.rows().get(2);
        assertEquals(1, w4.fidelityN());
        assertEquals(0.008973023645548668, w4.klMean().estimate());
        assertEquals(1.0, w4.top1().estimate());
        assertEquals(Double.NaN, r.rows().getFirst().klMean().estimate());
        // the needle answer of the issue: F1 0.22, but it contains the answer
        assertEquals("needle_qa", r.rows().getFirst().task());
        assertEquals(0.0, r.rows().getFirst().exactMatch().estimate());
        assertEquals(100.0, r.rows().getFirst().contains().estimate());
        // one sample per method: said plainly instead of a headline ratio
        assertTrue(r.notes().stream().anyMatch(x -> x.startsWith("n = 1 paired sample per task, fewer than 5: too few to "
                + "separate the methods")), r.notes().toString());

        ReportWriter.write(r, tmp, "old run");
        String json = Files.readString(tmp.resolve("report.json"));
        assertFalse(json.contains("NaN") || json.contains("decodeTps"), json);
        JsonNode row0 = Json.MAPPER.readTree(json).path("rows").get(0);
        assertEquals(lines.getFirst().at("/metrics/decode_tps").asDouble(), row0.get("decode_tps_total").asDouble(), 1e-9);
        assertTrue(row0.get("kl_mean").isNull(), row0.toString());
        // report.json's rows are named as report.csv's columns
        List<String> names = new ArrayList<>();
        row0.fieldNames().forEachRemaining(names::add);
        String header = Files.readAllLines(tmp.resolve("report.csv")).getFirst();
        assertEquals(String.join(",", names), header.substring(0, header.indexOf(",score_delta")));
    }

    @Test
    void everyFieldOfAnOldRecordReadsBackAndWritesOutAsItWas() throws Exception {
        Path run = resource("eval-2026-12-02");
        for (String line : Files.readAllLines(run.resolve("results.jsonl"))) {
            // schema 2's and 3's fields, which an old record lacks, are written as null (schema 4's kv_rotation: not at all)
            assertEquals(withSchema0(line).replace(",\"prompt_sha256\":",
                            ",\"chat_format\":null,\"target_length\":null,\"depth\":null,\"prompt_sha256\":")
                            .replace(",\"scores\":", ",\"pass\":null,\"scores\":"),
                    Json.line(Json.MAPPER.readValue(line, SampleRecord.class)));
        }
        for (String line : Files.readAllLines(run.resolve("fidelity.jsonl"))) {
            assertEquals(withSchema0(line), Json.line(Json.MAPPER.readValue(line, FidelityRecord.class)));
        }
        Path sweep = resource("sweep-2026-12-02");
        for (String line : Files.readAllLines(sweep.resolve(SweepResults.JSONL))) {
            // a cell before --kv-rotation ran with llama.cpp's rotation on, and says so when written again
            assertEquals(withSchema0(line).replaceFirst("(\"type_v\":\"[^\"]*\")", "$1,\"kv_rotation\":\"on\""),
                    Json.line(Json.MAPPER.readValue(line, CellResult.class)));
        }
    }

    @Test
    void anOldSweepRedrawsTheTableItPrinted() throws Exception {
        Path sweep = resource("sweep-2026-12-02");
        List<CellResult> cells = SweepResults.read(sweep.resolve(SweepResults.JSONL), w -> { });
        assertEquals(6, cells.size());
        assertEquals(Files.readString(sweep.resolve("sweep.md")), Reports.markdown(cells));
    }

    /** The old line as this version writes the same record: the fields as they were, after "schema":0. */
    private static String withSchema0(String line) {
        return "{\"schema\":0," + line.substring(1);
    }
}
