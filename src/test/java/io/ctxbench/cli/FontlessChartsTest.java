package io.ctxbench.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A machine without fonts, for real (GPU nodes have none): a child JVM runs the CLI in a mount namespace where
 * every font folder is an empty one, so AWT's font manager cannot start. `report` and `sweep --from` must still
 * write every text output and the SVG charts, say once that PNGs were not drawn, and exit 0 without a stack trace.
 * (Needs root or unprivileged user namespaces, as this project's machines and CI have.)
 */
class FontlessChartsTest {
    @TempDir
    Path tmp;

    record Run(int code, String err) {
    }

    /** Runs ctxbench ARGS in a child JVM that sees no fonts. */
    private Run fontless(String... args) throws IOException, InterruptedException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        String hide = "for d in /usr/share/fonts /usr/local/share/fonts /etc/fonts \"$HOME/.fonts\" \"$HOME/.local/share/fonts\" "
                + "\"" + Path.of(System.getProperty("java.home"), "lib", "fonts") + "\"; do "
                + "if [ -d \"$d\" ]; then mount --bind \"" + empty + "\" \"$d\" || exit 97; fi; done; exec \"$@\"";
        List<String> cmd = new ArrayList<>(List.of("unshare", "-rm", "sh", "-c", hide, "sh", java.toString(),
                "-cp", System.getProperty("java.class.path"), "io.ctxbench.cli.Main"));
        cmd.addAll(List.of(args));
        Path err = tmp.resolve("err-" + System.nanoTime() + ".txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(err.toFile()).start();
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "child JVM did not finish");
        Run r = new Run(p.exitValue(), Files.readString(err, StandardCharsets.UTF_8));
        assertTrue(r.code() != 97, "could not hide the fonts (mount --bind in a user namespace): " + r.err());
        return r;
    }

    private static void assertOneSvgOnlyWarning(Run r, String cmd) {
        assertEquals(0, r.code(), r.err());
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception in thread"), "a stack trace:\n" + r.err());
        long warnings = r.err().lines().filter(l -> l.startsWith(cmd + ": warning: PNG charts not drawn")).count();
        assertEquals(1, warnings, r.err());
        assertTrue(r.err().contains("SVG charts are written"), r.err());
    }

    @Test
    void reportWritesTablesAndSvgChartsWithoutFonts() throws Exception {
        Path run = Files.createDirectories(tmp.resolve("run"));
        StringBuilder lines = new StringBuilder();
        for (String task : List.of("qasper", "needle_qa")) {
            lines.append(sample("FP16", task, 0.4, 30, 2_000_000_000L)).append(sample("W4A16", task, 0.35, 55, 900_000_000L))
                    .append(sample("KV-Q", task, 0.38, 33, 1_500_000_000L));
        }
        Files.writeString(run.resolve("results.jsonl"), lines);
        Run r = fontless("report", run.toString());
        assertOneSvgOnlyWarning(r, "report");
        Path rep = run.resolve("report");
        for (String f : List.of("report.md", "report.csv", "report.json", "report.html", "radar-qasper.svg",
                "radar-needle_qa.svg", "gains.svg")) {
            assertTrue(Files.size(rep.resolve(f)) > 0, f);
        }
        String html = Files.readString(rep.resolve("report.html"));
        assertEquals(3, html.split("<svg", -1).length - 1, "three inline SVG charts");
        assertFalse(html.contains(".png"), "the page refers to no PNG, as none was drawn");
    }

    @Test
    void reportWritesTheNeedleHeatmapAndScoreVsLengthAsSvgWithoutFonts() throws Exception {
        Path run = Files.createDirectories(tmp.resolve("run"));
        StringBuilder lines = new StringBuilder();
        for (String method : List.of("FP16", "KV-Q")) {
            for (int length : new int[]{1024, 2048}) {
                lines.append(generated(method, "vt", length, null, 1.0));
                for (int depth : new int[]{0, 50, 100}) {
                    lines.append(generated(method, "niah_single_1", length, depth, method.equals("FP16") || depth != 50 ? 1 : 0));
                }
            }
        }
        Files.writeString(run.resolve("results.jsonl"), lines);
        Run r = fontless("report", run.toString());
        assertOneSvgOnlyWarning(r, "report");
        Path rep = run.resolve("report");
        for (String f : List.of("report.md", "lengths.csv", "needle-FP16.svg", "needle-KV-Q.svg", "score-vs-length.svg")) {
            assertTrue(Files.size(rep.resolve(f)) > 0, f);
        }
        assertFalse(Files.exists(rep.resolve("needle-KV-Q.png")));
        String svg = Files.readString(rep.resolve("needle-KV-Q.svg"));
        assertTrue(svg.contains(">needle depth (% of the haystack)</text>") && svg.contains("fill=\"#d73027\""), svg);
        assertTrue(Files.readString(rep.resolve("report.html")).contains("needle-KV-Q"));
    }

    @Test
    void sweepRedrawWritesTablesAndSvgChartsWithoutFonts() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("sweep"));
        StringBuilder lines = new StringBuilder();
        int index = 0;
        for (String kv : List.of("f16", "q8_0")) {
            for (int depth : new int[]{0, 4096, 32768, 131072}) {
                lines.append(cell(index++, kv, depth, 200.0 * 4096 / (4096 + depth))).append('\n');
            }
        }
        Files.writeString(dir.resolve("sweep.jsonl"), lines);
        Run r = fontless("sweep", "--from", dir.toString(), "-o", "none");
        assertOneSvgOnlyWarning(r, "sweep");
        for (String f : List.of("sweep.md", "sweep.csv", "decode-vs-depth.svg", "prefill-vs-depth.svg", "memory-vs-depth.svg")) {
            assertTrue(Files.size(dir.resolve(f)) > 0, f);
        }
    }

    private static String sample(String method, String task, double score, double tps, long rss) {
        return String.format(Locale.ROOT, "{\"key\":\"m|%1$s|%2$s|a\",\"model\":\"m\",\"method\":\"%1$s\",\"level\":1,"
                + "\"task\":\"%2$s\",\"metric\":\"qa_f1\",\"id\":\"a\",\"scores\":{\"score\":%3$s,\"qa_f1\":%3$s,"
                + "\"qa_precision\":0.5,\"qa_recall\":1.0,\"rouge_l_f\":0.1,\"hallucination\":0.2},\"metrics\":{\"decode_tps\":%4$s,"
                + "\"prefill_tps\":100,\"ttft_ms\":10,\"e2e_ms\":1000,\"generated_tokens\":10,\"compression_ms\":0,"
                + "\"peak_device_bytes\":-1,\"process_peak_rss_bytes\":%5$d}}%n", method, task, score, tps, rss);
    }

    /** A generated sample's record: RULER's ({@code depth} null) or a needle-grid sample's. */
    private static String generated(String method, String task, int length, Integer depth, double score) {
        String id = task + "-L" + length + (depth == null ? "" : "-d" + depth) + "-s1-0";
        return String.format(Locale.ROOT, "{\"key\":\"m|%1$s|%2$s|%3$s\",\"model\":\"m\",\"method\":\"%1$s\",\"level\":1,"
                + "\"task\":\"%2$s\",\"metric\":\"string_match_all\",\"id\":\"%3$s\",\"target_length\":%4$d,\"depth\":%5$s,"
                + "\"scores\":{\"score\":%6$s},\"metrics\":{\"decode_tps\":30,\"e2e_ms\":1000,"
                + "\"process_peak_rss_bytes\":1000000}}%n", method, task, id, length, depth, score);
    }

    /** One sweep.jsonl line, as SweepCommand streams it. */
    static String cell(int index, String kv, int depth, double decodeTps) {
        return String.format(Locale.ROOT, "{\"cell\":{\"index\":%d,\"model\":\"/m/tiny.gguf\",\"gpu_layers\":-1,\"type_k\":\"%2$s\","
                + "\"type_v\":\"%2$s\",\"flash_attn\":\"on\",\"n_prompt\":512,\"n_gen\":128,\"depth\":%3$d,\"batch\":2048,"
                + "\"ubatch\":512,\"threads\":16},\"configuration\":\"tiny kv %2$s fa on\",\"status\":\"ok\","
                + "\"device_used_peak\":%4$d,\"prefill_tokens_per_second\":{\"mean\":%5$s,\"stddev\":0.0,\"runs\":[%5$s]},"
                + "\"decode_tokens_per_second\":{\"mean\":%6$s,\"stddev\":0.0,\"runs\":[%6$s]},"
                + "\"ttft_millis\":{\"mean\":20.0,\"stddev\":0.0,\"runs\":[20.0]}}", index, kv, depth,
                (1L << 30) + depth * 65536L, decodeTps * 100, decodeTps);
    }
}
