package io.ctxbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctxbench.engine.TestFiles;
import io.ctxbench.gguf.ModelCatalog;
import io.ctxbench.gguf.SyntheticModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sweep on CPU with the tiny synthetic model: one matrix mixing good cells with every kind of bad one
 * (unknown type, quantized V without flash attention, KV type the head size refuses, depth beyond the context,
 * over the memory limit); the bad ones are reported with their reason and the good ones run, with llama-bench
 * alongside, and every output file is written. Then the folder rules: a missing model or a folder in use is refused
 * before anything runs, --resume continues a sweep cut short, a sweep in which no cell ran fails.
 */
class SweepCommandTest {
    @TempDir
    static Path tmp;
    static Path tiny;

    @BeforeAll
    static void model() {
        tiny = tmp.resolve("tiny.gguf");
        SyntheticModel.write(ModelCatalog.load().require("tiny"), SyntheticModel.WeightType.F16,
                TestFiles.llamaCppSource().resolve("models").resolve("ggml-vocab-llama-bpe.gguf"), tiny, 42, 1);
    }

    record Run(int code, String out, String err) {
    }

    static Run sweep(String... args) {
        SweepCommand c = new SweepCommand();
        CommandLine cl = new CommandLine(c);
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        cl.setExecutionExceptionHandler(Main::onError);
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            int code = cl.execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(old);
        }
    }

    @Test
    void theKvTypesRunAsTheProductOfCtkAndCtvKOutermost() {
        assertEquals(List.of("f16", "f16/q4_0", "q8_0/f16", "q8_0/q4_0"),
                SweepCommand.pairs(List.of("f16", "q8_0"), List.of("f16", "q4_0")));
        assertEquals(List.of("q8_0"), SweepCommand.pairs(List.of(" q8_0"), List.of("Q8_0")));   // one type: named as before
        // every type llama.cpp takes, and KV rotation as a list (what scripts/gpu-run.sh passes on)
        SweepCommand c = new SweepCommand();
        new CommandLine(c).parseArgs("-m", "x.gguf", "-ctk", "q5_1,iq4_nl", "-ctv", "q4_0", "--kv-rotation", "on,off");
        assertEquals(List.of("q5_1/q4_0", "iq4_nl/q4_0"), SweepCommand.pairs(c.typesK, c.typesV));
        assertEquals(List.of("on", "off"), c.kvRotation);
    }

    @Test
    void badCellsAreReportedAndTheRestRuns() throws IOException {
        Path dir = tmp.resolve("results");
        Run r = sweep("-m", tiny.toString(), "-ctk", "f16,q5_9", "-ctv", "f16,q4_0", "-fa", "on,off", "-d", "0,128,4k",
                "-p", "32", "-n", "8", "-ub", "512,2048", "-r", "2", "-t", "2", "--memory-limit", "300MiB",
                "--compare-llama-bench", "--out", dir.toString(), "-q");
        assertEquals(0, r.code(), r.err());
        JsonNode json = Json.MAPPER.readTree(Files.readString(dir.resolve("sweep.json")));
        JsonNode manifest = json.path("manifest");
        for (String k : List.of("date_utc", "tool", "llama_cpp_commit", "build_info", "system_info", "devices", "cpu", "java")) {
            assertTrue(manifest.has(k), "manifest has " + k);
        }
        JsonNode cells = json.path("cells");
        // 4 K/V pairs (-ctk x -ctv) x 2 fa x 2 ub x 3 depths
        assertEquals(48, cells.size());
        Map<String, Integer> reasons = new HashMap<>();
        int ok = 0;
        for (JsonNode c : cells) {
            JsonNode cell = c.path("cell");
            String status = c.path("status").asText();
            String reason = c.path("reason").asText("");
            String kv = cell.path("type_k").asText() + "/" + cell.path("type_v").asText();
            boolean faOn = cell.path("flash_attn").asText().equals("on");
            String expect;
            if (kv.contains("q5_9")) {
                expect = "unknown KV cache type 'q5_9'";
            } else if (!cell.path("type_v").asText().equals("f16") && !faOn) {
                expect = "needs flash attention";
            } else if (cell.path("depth").asInt() == 4096) {
                expect = "exceeds the model's context of 4096";
            } else if (!kv.equals("f16/f16")) {
                expect = "head size is 16";
            } else if (cell.path("ubatch").asInt() == 2048) {
                expect = "does not fit the memory limit";
            } else {
                expect = null;
            }
            if (expect == null) {
                assertEquals("ok", status, c.toString());
                ok++;
                assertEquals(2, c.path("decode_tokens_per_second").path("runs").size());
                assertEquals(2, c.path("prefill_tokens_per_second").path("runs").size());
                assertTrue(c.path("decode_tokens_per_second").path("mean").asDouble() > 0);
                assertTrue(c.path("ttft_millis").path("mean").asDouble() > 0);
                double p50 = c.path("step_millis_p50").asDouble(), p90 = c.path("step_millis_p90").asDouble(),
                        p99 = c.path("step_millis_p99").asDouble();
                assertTrue(0 < p50 && p50 <= p90 && p90 <= p99, c.toString());
                // tiny: 2 layers x (32 K + 32 V values) x 2 bytes per position, context padded to 256
                assertEquals(c.path("context_size").asLong() * 2 * 64 * 2, c.path("kv_bytes").asLong());
                assertTrue(c.path("context_size").asInt() >= cell.path("depth").asInt() + 32);
                JsonNode lb = c.path("llama_bench");
                assertTrue(lb.path("decode_tokens_per_second").path("mean").asDouble() > 0, c.toString());
                assertEquals(c.path("decode_tokens_per_second").path("mean").asDouble()
                        / lb.path("decode_tokens_per_second").path("mean").asDouble(), lb.path("decode_ratio").asDouble(), 1e-9);
                assertNotNull(lb.get("prefill_ratio"));
            } else {
                assertEquals("rejected", status, c.toString());
                assertTrue(reason.contains(expect), "cell " + cell + " reason: " + reason + ", expected: " + expect);
                reasons.merge(expect, 1, Integer::sum);
            }
        }
        assertEquals(4, ok);   // f16 x fa on/off x ub 512 x depth 0/128
        assertEquals(5, reasons.size(), reasons.toString());
        assertEquals(48, Files.readAllLines(dir.resolve("sweep.jsonl")).size());
        assertEquals(49, Files.readAllLines(dir.resolve("sweep.csv")).size());
        assertTrue(Files.readString(dir.resolve("sweep.md")).contains("ratio tg"));
        assertTrue(r.out().contains("| tiny kv f16 fa on | 128 | 32 | 8 |"), r.out());
        for (String chart : List.of("decode-vs-depth", "prefill-vs-depth", "memory-vs-depth")) {
            byte[] png = Files.readAllBytes(dir.resolve(chart + ".png"));
            assertEquals((byte) 0x89, png[0]);
            assertEquals('P', png[1]);
            assertTrue(Files.readString(dir.resolve(chart + ".svg")).contains("<svg"));
        }
        assertTrue(Files.exists(dir.resolve("llama-bench-0.json")));

        // --from: the tables and charts again from sweep.jsonl alone (as for results brought back from a GPU node)
        Path again = tmp.resolve("again");
        Files.createDirectories(again);
        Files.copy(dir.resolve("sweep.jsonl"), again.resolve("sweep.jsonl"));
        Run redraw = sweep("--from", again.toString(), "-q");
        assertEquals(0, redraw.code(), redraw.err());
        assertEquals(Files.readString(dir.resolve("sweep.md")), Files.readString(again.resolve("sweep.md")));
        assertEquals(Files.readString(dir.resolve("sweep.csv")), Files.readString(again.resolve("sweep.csv")));
        assertTrue(Files.exists(again.resolve("memory-vs-depth.png")));
        // a sweep cut short: cells streamed as they finished, a cell superseded by its line with llama-bench's
        // figures, the last line torn, sweep.json holding only the manifest; --from completes the folder
        Path cut = tmp.resolve("cut");
        Files.createDirectories(cut);
        List<String> lines = Files.readAllLines(dir.resolve("sweep.jsonl"));
        String okLine = lines.stream().filter(l -> l.contains("\"status\":\"ok\"")).findFirst().orElseThrow();
        JsonNode okCell = Json.MAPPER.readTree(okLine);
        String early = ((com.fasterxml.jackson.databind.node.ObjectNode) okCell.deepCopy()).put("llama_bench", (String) null).toString();
        StringBuilder streamed = new StringBuilder(early + "\n");
        for (String l : lines) {
            streamed.append(l).append('\n');
        }
        streamed.append(lines.getFirst(), 0, 40);   // no newline: killed mid-line
        Files.writeString(cut.resolve("sweep.jsonl"), streamed);
        JsonNode full = Json.MAPPER.readTree(Files.readString(dir.resolve("sweep.json")));
        ((com.fasterxml.jackson.databind.node.ObjectNode) full).putArray("cells");
        Files.writeString(cut.resolve("sweep.json"), full.toString());
        Run completed = sweep("--from", cut.toString(), "-q");
        assertEquals(0, completed.code(), completed.err());
        assertTrue(completed.err().contains("incomplete"), completed.err());
        assertEquals(Files.readString(dir.resolve("sweep.md")), Files.readString(cut.resolve("sweep.md")));
        JsonNode again2 = Json.MAPPER.readTree(Files.readString(cut.resolve("sweep.json")));
        assertEquals(48, again2.path("cells").size());
        assertEquals(full.path("manifest"), again2.path("manifest"));
        assertEquals(okCell.path("llama_bench"), again2.path("cells").get(okCell.path("cell").path("index").asInt()).path("llama_bench"));

        // two runs' files concatenated (the same cell indices, other cells) keep all their cells
        Path merged = tmp.resolve("merged");
        Files.createDirectories(merged);
        StringBuilder both = new StringBuilder();
        for (String l : lines) {
            both.append(l).append('\n');
        }
        for (String l : lines) {
            both.append(l.replace("\"threads\":2", "\"threads\":1")).append('\n');
        }
        Files.writeString(merged.resolve("sweep.jsonl"), both);
        Run mergedRun = sweep("--from", merged.toString(), "-q", "-o", "csv");
        assertEquals(0, mergedRun.code(), mergedRun.err());
        assertEquals(1 + 2 * 48, mergedRun.out().lines().count());

        // not a sweep's file: a clear error and exit 1, not an internal error
        Path bad = Files.createDirectories(tmp.resolve("bad"));
        Files.write(bad.resolve("sweep.jsonl"), new byte[]{(byte) 0xff, (byte) 0xfe, 0x00, (byte) 0xc3, '\n'});
        Run binary = sweep("--from", bad.toString(), "-q");
        assertEquals(1, binary.code(), binary.err());
        assertTrue(binary.err().contains("not UTF-8 text"), binary.err());
        Files.writeString(bad.resolve("sweep.jsonl"), "[1, 2]\n");
        Run array = sweep("--from", bad.toString(), "-q");
        assertEquals(1, array.code(), array.err());
        assertTrue(array.err().contains("line 1: not a sweep cell (not a JSON object)"), array.err());

        Files.writeString(bad.resolve("sweep.jsonl"), "{\"cell\":{}}\n");
        Run empty = sweep("--from", bad.toString(), "-q");
        assertEquals(1, empty.code(), empty.err());
        assertTrue(empty.err().contains("line 1: not a sweep cell (no cell with its model"), empty.err());

        Run none = sweep("--from", tmp.resolve("nowhere").toString(), "-q");
        assertEquals(1, none.code());
        assertTrue(none.err().contains("no sweep.jsonl"), none.err());
    }

    @Test
    void theManifestSaysHowToRunItAgain() throws IOException {
        Path dir = tmp.resolve("cmdline");
        String[] args = {"sweep", "-m", tiny.toString(), "-d", "0", "-p", "8", "-n", "2", "-r", "1", "-t", "1",
                "--charts", "none", "-o", "none", "-q", "--out", dir.toString()};
        assertEquals(0, Main.run(args));   // through Main, as scripts/ctxbench runs it
        JsonNode cl = Json.MAPPER.readTree(Files.readString(dir.resolve("sweep.json"))).path("manifest").path("command_line");
        List<String> got = new java.util.ArrayList<>();
        cl.forEach(x -> got.add(x.asText()));
        List<String> want = new java.util.ArrayList<>(List.of("ctxbench"));
        want.addAll(List.of(args));
        assertEquals(want, got);
    }

    @Test
    void badOptionsFailBeforeAnythingLoads() {
        Run r = sweep("-m", tiny.toString(), "-d", "12q", "-q", "--out", tmp.resolve("x").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("'12q' is not a token count"), r.err());
        r = sweep("-m", tiny.toString(), "-p", "0", "-n", "0", "-q", "--out", tmp.resolve("x").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("no cells"), r.err());
        r = sweep("-m", tiny.toString(), "--memory-limit", "lots", "-q", "--out", tmp.resolve("x").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("not a size"), r.err());
        r = sweep("-q", "--out", tmp.resolve("x").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("no model"), r.err());
    }

    @Test
    void aMissingOrBrokenModelEndsTheSweepBeforeItStarts() throws IOException {
        Path dir = tmp.resolve("missing-model");
        Run r = sweep("-m", tiny + "," + tmp.resolve("missing.gguf"), "-q", "--out", dir.toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("model file not found: " + tmp.resolve("missing.gguf")), r.err());
        assertTrue(!Files.exists(dir.resolve("sweep.jsonl")), "nothing ran");
        Path text = Files.writeString(tmp.resolve("notes.gguf"), "not a model\n");
        r = sweep("-m", text.toString(), "-q", "--out", dir.toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("bad model file"), r.err());
    }

    @Test
    void aSweepInWhichNoCellRanFails() throws IOException {
        Path dir = tmp.resolve("none-ran");
        Run r = sweep("-m", tiny.toString(), "-d", "8k", "-p", "8", "-n", "2", "-r", "1", "-t", "1", "--charts", "none",
                "-q", "--out", dir.toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("no cell could run (1 x rejected: depth 8192"), r.err());
        assertTrue(Files.readString(dir.resolve("sweep.md")).contains("rejected"), "the reasons are still written");
    }

    @Test
    void existingFoldersAreRefusedUnlessResumedOrForced() throws IOException {
        String[] base = {"-m", tiny.toString(), "-d", "0,128", "-p", "8", "-n", "2", "-r", "1", "-t", "1", "--charts", "none",
                "-o", "none", "-q"};
        Path full = tmp.resolve("full");
        assertEquals(0, sweep(concat(base, "--out", full.toString())).code());
        List<String> lines = Files.readAllLines(full.resolve("sweep.jsonl"));
        assertEquals(2, lines.size());
        String before = Files.readString(full.resolve("sweep.jsonl"));

        Run again = sweep(concat(base, "--out", full.toString()));
        assertEquals(1, again.code(), again.err());
        assertTrue(again.err().contains("is not empty: continue a sweep cut short with --resume, replace its results with --force"),
                again.err());
        assertEquals(before, Files.readString(full.resolve("sweep.jsonl")), "a refused run changes nothing");
        Files.writeString(full.resolve("notes.txt"), "mine");
        Run forced = sweep(concat(base, "--out", full.toString(), "--force"));
        assertEquals(0, forced.code(), forced.err());
        assertEquals(2, Files.readAllLines(full.resolve("sweep.jsonl")).size());
        assertEquals("mine", Files.readString(full.resolve("notes.txt")), "--force removes only the sweep's files");

        // a sweep cut short after its first cell, killed while writing the second line
        Path cut = Files.createDirectories(tmp.resolve("resume"));
        Files.copy(full.resolve("sweep.json"), cut.resolve("sweep.json"));
        List<String> done = Files.readAllLines(full.resolve("sweep.jsonl"));
        Files.writeString(cut.resolve("sweep.jsonl"), done.get(0) + "\n" + done.get(1).substring(0, 30));
        Run other = sweep("-m", tiny.toString(), "-d", "0,256", "-p", "8", "-n", "2", "-r", "1", "-t", "1", "-q",
                "--resume", "--out", cut.toString());
        assertEquals(1, other.code(), other.err());
        assertTrue(other.err().contains("--resume with another matrix") && other.err().contains("depths [0,128] -> [0,256]"),
                other.err());
        Run resumed = sweep("-m", tiny.toString(), "-d", "0,128", "-p", "8", "-n", "2", "-r", "1", "-t", "1", "--charts", "none",
                "-o", "none", "--resume", "--out", cut.toString());
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.err().contains("resuming: 1 of 2 cells already done"), resumed.err());
        assertTrue(resumed.err().contains("incomplete"), "the torn line is reported: " + resumed.err());
        List<String> after = Files.readAllLines(cut.resolve("sweep.jsonl"));
        assertEquals(2, after.size(), after.toString());
        assertEquals(done.get(0), after.get(0), "the cell measured before is kept as it was");
        JsonNode second = Json.MAPPER.readTree(after.get(1));
        assertEquals(1, second.path("cell").path("index").asInt());
        assertEquals("ok", second.path("status").asText());
        assertEquals(2, Json.MAPPER.readTree(Files.readString(cut.resolve("sweep.json"))).path("cells").size());

        Run both = sweep(concat(base, "--out", cut.toString(), "--resume", "--force"));
        assertEquals(1, both.code());
        assertTrue(both.err().contains("give one of them"), both.err());
    }

    @Test
    void aFolderInUseByAnotherSweepIsRefused() throws Exception {
        Path dir = tmp.resolve("locked");
        Process holder = io.ctxbench.results.HoldLock.start(dir, "sweep");
        try {
            Run r = sweep("-m", tiny.toString(), "-d", "0", "-p", "8", "-n", "2", "-r", "1", "-q", "--out", dir.toString());
            assertEquals(1, r.code(), r.err());
            assertTrue(r.err().contains(dir + " is in use by another ctxbench process (pid " + holder.pid()), r.err());
            assertTrue(!Files.exists(dir.resolve("sweep.jsonl")), "nothing written");
        } finally {
            holder.destroyForcibly();
            holder.waitFor();
        }
        Run after = sweep("-m", tiny.toString(), "-d", "0", "-p", "8", "-n", "2", "-r", "1", "-t", "1", "--charts", "none",
                "-o", "none", "-q", "--out", dir.toString());
        assertEquals(0, after.code(), "a killed holder leaves no lock, and its lock file is not content: " + after.err());
    }

    @Test
    void resultsGoUnderResultsByDefault() {
        CommandLine cl = new CommandLine(new SweepCommand());
        assertEquals("results", cl.getCommandSpec().findOption("--results-root").defaultValue());
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
