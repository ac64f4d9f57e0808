package io.ctxbench.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReportTest {
    private static String rec(String method, String id, double score, double tps, long rss, double hall) {
        return "{\"key\":\"m|" + method + "|qasper|" + id + "\",\"model\":\"m\",\"method\":\"" + method + "\",\"level\":1,"
                + "\"task\":\"qasper\",\"metric\":\"qa_f1\",\"id\":\"" + id + "\",\"scores\":{\"score\":" + score + ",\"qa_f1\":" + score
                + ",\"qa_precision\":0.5,\"qa_recall\":1.0,\"rouge_l_f\":0.1,\"hallucination\":" + hall + "},\"metrics\":{\"decode_tps\":"
                + tps + ",\"prefill_tps\":100,\"ttft_ms\":10,\"e2e_ms\":1000,\"generated_tokens\":10,\"compression_ms\":0,"
                + "\"peak_device_bytes\":-1,\"process_peak_rss_bytes\":" + rss + "}}\n";
    }

    @Test
    void shardsAreMergedDuplicatesCountedOnceAndGainsAreRelativeToTheBaseline(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("results-shard-0-of-2.jsonl"),
                rec("FP16", "a", 0.2, 10, 2_000_000_000L, 0.1) + rec("W4A16", "a", 0.1, 20, 1_000_000_000L, 0.3));
        Files.writeString(dir.resolve("results-shard-1-of-2.jsonl"),
                rec("FP16", "b", 0.4, 30, 1_000_000_000L, 0.2) + rec("W4A16", "b", 0.3, 20, 500_000_000L, 0.1)
                        + rec("W4A16", "b", 0.3, 20, 500_000_000L, 0.1) + "{\"key\":\"m|W4A16|qasper|c\",\"trunc");
        Files.writeString(dir.resolve("fidelity-shard-0-of-2.jsonl"),
                "{\"key\":\"m|W4A16|qasper|a\",\"model\":\"m\",\"method\":\"W4A16\",\"task\":\"qasper\",\"kl_mean\":0.5,\"top1_agreement\":0.75}\n");
        Report r = Report.load(dir, null);
        assertEquals(4, r.records());
        assertEquals(1, r.duplicates());
        assertEquals("FP16", r.baseline());
        Report.Row fp = r.rows().get(0), w4 = r.rows().get(1);
        assertEquals(30.0, fp.score().estimate(), 1e-9);
        // 10 tokens at 10/s and 10 at 30/s: 20 tokens in 4/3 s, not the mean of the rates (20)
        assertEquals(15.0, fp.cost().decodeTps().estimate(), 1e-9);
        assertEquals(2e9, fp.cost().memBytes());
        assertEquals(0.15, fp.hallucination().estimate(), 1e-12);
        assertEquals(0.5, w4.klMean().estimate());
        assertEquals(1, w4.fidelityN());
        Report.Gain g = r.gains().stream().filter(x -> x.method().equals("W4A16")).findFirst().orElseThrow();
        assertEquals(-10.0, g.scoreDelta().estimate(), 1e-9);
        assertEquals(20.0 / 15.0, g.throughputX().estimate(), 1e-9);
        assertEquals(2.0, g.memorySavingX(), 1e-9);
        assertTrue(r.notes().stream().anyMatch(n -> n.contains("unreadable line")), r.notes().toString());
        String csv = r.csv();
        assertTrue(csv.lines().count() == 3 && csv.contains("m,W4A16,1,qasper,qa_f1,2,20.0"), csv);
    }

    @Test
    void theKvPathIsShownAndAConvertedOneIsSaid(@TempDir Path dir) throws Exception {
        String fused = rec("KV-Q", "a", 0.2, 10, 1_000_000_000L, 0.1).replace("\"level\":1,", "\"level\":1,\"kv_path\":\"fused\",");
        String converted = rec("KV-K8V4", "a", 0.2, 10, 1_000_000_000L, 0.1)
                .replace("\"level\":1,", "\"level\":1,\"kv_path\":\"converted\",");
        Files.writeString(dir.resolve("results.jsonl"), rec("FP16", "a", 0.2, 10, 1_000_000_000L, 0.1) + fused + converted);
        Report r = Report.load(dir, null);
        assertEquals(java.util.List.of("", "fused", "converted"), r.rows().stream().map(Report.Row::kvPath).toList());
        String md = r.markdown("t");
        assertTrue(md.contains("| KV path |") && md.contains("| fused |") && md.contains("| converted |"), md);
        assertTrue(r.notes().stream().anyMatch(n -> n.startsWith("KV-K8V4 on qasper ran with its K/V converted to f16")),
                r.notes().toString());
        assertTrue(r.notes().stream().noneMatch(n -> n.startsWith("KV-Q ")), r.notes().toString());
    }
}
