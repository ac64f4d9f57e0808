package io.ctxbench.report;

import io.ctxbench.report.chart.ChartFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A chart backend that throws costs only its own files: the tables, the other format and the page are written. */
class ReportWriterTest {
    private static final ChartFiles.Format NO_FONTS = new ChartFiles.Format("png", d -> {
        throw new Error("Probable fatal error: No physical fonts found.");
    });

    private static Report fixture(Path dir) throws Exception {
        StringBuilder lines = new StringBuilder();
        for (String task : List.of("qasper", "needle_qa")) {
            for (String method : List.of("FP16", "W4A16", "KV-Q")) {
                lines.append(("{\"key\":\"m|%1$s|%2$s|a\",\"model\":\"m\",\"method\":\"%1$s\",\"level\":1,\"task\":\"%2$s\","
                        + "\"metric\":\"qa_f1\",\"id\":\"a\",\"scores\":{\"score\":0.3,\"qa_f1\":0.3,\"hallucination\":0.2},"
                        + "\"metrics\":{\"decode_tps\":%3$d,\"prefill_tps\":100,\"e2e_ms\":1000,\"process_peak_rss_bytes\":%4$d}}\n")
                        .formatted(method, task, 10 + method.length(), 1_000_000_000L * method.length()));
            }
        }
        Files.writeString(dir.resolve("results.jsonl"), lines);
        return Report.load(dir, null);
    }

    @Test
    void aBackendThatThrowsAnErrorLeavesOneWarningAndAPageWithTheChartsDrawn(@TempDir Path dir) throws Exception {
        List<String> warnings = new ArrayList<>();
        Path out = dir.resolve("report");
        List<Path> written = ReportWriter.write(fixture(dir), out, "t",
                new ChartFiles(List.of(ChartFiles.SVG, NO_FONTS), warnings::add));
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.getFirst().contains("no fonts on this machine"), warnings.getFirst());
        for (String f : List.of("report.md", "report.csv", "report.json", "report.html", "radar-qasper.svg", "radar-needle_qa.svg",
                "gains.svg")) {
            assertTrue(written.contains(out.resolve(f)) && Files.size(out.resolve(f)) > 0, f);
        }
        try (var files = Files.list(out)) {
            assertFalse(files.anyMatch(p -> p.toString().endsWith(".png")));
        }
        String html = Files.readString(out.resolve("report.html"));
        assertEquals(3, html.split("<svg", -1).length - 1);
        assertFalse(html.contains("png"), "no link to a PNG that was not drawn");
    }

    @Test
    void withoutSvgThePageShowsThePngs(@TempDir Path dir) throws Exception {
        ChartFiles.Format noSvg = new ChartFiles.Format("svg", d -> {
            throw new LinkageError("broken");
        });
        List<String> warnings = new ArrayList<>();
        Path out = dir.resolve("report");
        ReportWriter.write(fixture(dir), out, "t", new ChartFiles(List.of(noSvg, ChartFiles.PNG), warnings::add));
        assertEquals(List.of("SVG charts not drawn (java.lang.LinkageError: broken); PNG charts are written"), warnings);
        String html = Files.readString(out.resolve("report.html"));
        assertFalse(html.contains("<svg"));
        assertEquals(3, html.split("<img alt=\"[^\"]+\" src=\"data:image/png;base64,", -1).length - 1, html);
        assertTrue(Files.exists(out.resolve("gains.png")) && !Files.exists(out.resolve("gains.svg")));
    }
}
