package io.ctxbench.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.TestFiles;
import io.ctxbench.engine.chat.ChatFormat;
import io.ctxbench.results.FaultyChannel;
import io.ctxbench.report.Report;
import io.ctxbench.report.ReportWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One small real run: SmolLM2, 2 generated samples (RULER's niah_single_1 at 512 tokens), FP16 (stand-in) and KV-Q,
 * then a torn-line resume and the report.
 */
class EvalEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** {@code samples} samples of one RULER task at one length, prose from the shared data. */
    static RulerSpec ruler(String task, int length, int samples) {
        return new RulerSpec(List.of(task), List.of(length), samples, null, 2,
                Path.of(System.getProperty("ctxbench.shared.dir", "../shared")).resolve("data"));
    }

    private static EvalConfig config(Path out, boolean resume, Path data) {
        Methods cat = Methods.builtin();
        ModelSpec spec = new ModelSpec("smol", TestFiles.smolLm2(), Map.of(), true);
        return new EvalConfig(List.of(spec), List.of(cat.get("FP16"), cat.get("KV-Q")), null,
                data == null ? List.of() : List.of(data), null, ruler("niah_single_1", 512, 2), 9, 0, Set.of(), Set.of(),
                1024, 0, 1, out, resume, 1, 0, 512, 512, 1, 8, ChatFormat.JINJA, null, 16, null, null, List.of("test"));
    }

    /** The tiniest real run: FP16 (stand-in) on 3 generated samples of 512 tokens, 4 new tokens, no fidelity pass. */
    static EvalConfig tiny(Path out, boolean resume) {
        ModelSpec spec = new ModelSpec("smol", TestFiles.smolLm2(), Map.of(), true);
        return new EvalConfig(List.of(spec), List.of(Methods.builtin().get("FP16")), null, List.of(), null,
                ruler("niah_single_1", 512, 3), 9, 0, Set.of(), Set.of(), 1024, 0, 1, out, resume, 2, 0, 512, 512, 0, 8, ChatFormat.JINJA, null,
                4, null, null, List.of("test"));
    }

    /**
     * A context whose KV cache no memory holds (SmolLM2's f16 cache: 22.5 KiB a token) is refused before llama.cpp
     * tries to allocate it (the process used to be killed by the OOM killer).
     */
    @Test
    void aContextNoMemoryHoldsIsRefusedBeforeLlamaCppAllocatesIt(@TempDir Path tmp) {
        PromptPlan plan = new PromptPlan(8192, 2_000_000_000, null, null, 1_999_999_000);
        int nCtx = plan.contextSize(4);
        assertEquals(1_999_999_260, nCtx);
        try (Model m = Model.load(Model.Params.of(TestFiles.smolLm2()).withGpuLayers(0))) {
            CtxbenchException e = assertThrows(CtxbenchException.class, () -> EvalRunner.checkKvFits(tiny(tmp, false), m,
                    nCtx, Methods.builtin().get("FP16"), plan));
            assertTrue(e.getMessage().startsWith("the longest prompt (1999999000 tokens, truncated to at most 2000000000) "
                    + "needs a context of 1999999260 tokens whose KV cache (f16/f16) takes 42915.3 GiB, more than the ")
                    && e.getMessage().endsWith("GiB of memory llama.cpp sees: lower --max-length"), e.getMessage());
        }
    }

    /**
     * 'all' generates every RULER task it can and leaves out, with a note each, those it cannot at a length (here 512
     * tokens: vt's in-context example, the essay haystack's 500-word step, uuid needles, cwe's example, qa's documents;
     * qa_2's HotpotQA is not at hand); a task named on its own is refused instead. Nothing runs: no sample has the
     * selected id.
     */
    @Test
    void allLeavesOutWithANoteWhatCannotBeGeneratedAndANamedTaskIsRefused(@TempDir Path tmp) {
        ModelSpec spec = new ModelSpec("smol", TestFiles.smolLm2(), Map.of(), true);
        Path data = Path.of(System.getProperty("ctxbench.shared.dir", "../shared")).resolve("data");
        ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
        EvalConfig all = new EvalConfig(List.of(spec), List.of(Methods.builtin().get("FP16")), null, List.of(), null,
                new RulerSpec(List.of("all"), List.of(512), 1, null, 2, data), 1, 0, Set.of("none"), Set.of(), 1024, 0, 1,
                tmp.resolve("all"), false, 2, 0, 512, 512, 0, 8, ChatFormat.JINJA, null, 4, null, null, List.of("test"));
        CtxbenchException e = assertThrows(CtxbenchException.class, () -> new EvalRunner(all, err).run());
        assertTrue(e.getMessage().startsWith("no samples to run"), e.getMessage());
        String notes = errBytes.toString(StandardCharsets.UTF_8);
        for (String t : List.of("vt", "niah_single_2", "niah_single_3", "niah_multikey_1", "niah_multikey_3",
                "niah_multivalue", "niah_multiquery", "cwe", "qa_1", "qa_2")) {
            assertTrue(notes.contains("eval: note: left out " + t + " at 512 tokens on smol: "), t + "\n" + notes);
        }
        for (String t : List.of("niah_single_1", "niah_multikey_2", "fwe")) {
            assertFalse(notes.contains("left out " + t + " "), t + "\n" + notes);
        }
        EvalConfig named = new EvalConfig(List.of(spec), List.of(Methods.builtin().get("FP16")), null, List.of(), null,
                new RulerSpec(List.of("qa_2"), List.of(4096), 1, null, 2, data), 1, 0, Set.of(), Set.of(), 1024, 0, 1,
                tmp.resolve("named"), false, 2, 0, 512, 512, 0, 8, ChatFormat.JINJA, null, 4, null, null, List.of("test"));
        e = assertThrows(CtxbenchException.class, () -> new EvalRunner(named, err).run());
        assertTrue(e.getMessage().startsWith("RULER's hotpotqa question set is not loaded"), e.getMessage());
    }

    @Test
    void aResultsWriteErrorStopsTheRunLeavingCompleteLinesAndResumeFinishesIt(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("run");
        ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
        EvalConfig cfg = tiny(out, false);
        // the disk fills up while the second record is written: half of it reaches the file
        CtxbenchException e = assertThrows(CtxbenchException.class,
                () -> new EvalRunner(cfg, err, ch -> new FaultyChannel(ch, 2, false)).run());
        assertTrue(e.getMessage().contains("cannot write to results file " + cfg.resultsFile())
                && e.getMessage().contains("--resume"), e.getMessage());
        assertFalse(errBytes.toString().contains("is skipped"), errBytes.toString());
        String text = Files.readString(cfg.resultsFile());
        assertTrue(text.endsWith("\n") && text.indexOf('\n') == text.length() - 1, text);

        ObjectNode s = new EvalRunner(tiny(out, true), err).run();
        assertEquals(2, s.get("samples_written").asInt());
        assertEquals(0, s.get("samples_skipped").asInt());
        Set<String> keys = new HashSet<>();
        for (String l : Files.readAllLines(cfg.resultsFile())) {
            assertTrue(keys.add(JSON.readTree(l).get("key").asText()), "duplicate " + l);
        }
        assertEquals(3, keys.size());
    }

    @Test
    void runResumeAfterATornLineAndReport(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("run");
        Path bad = tmp.resolve("bad.jsonl");
        Files.writeString(bad, "{\"input\": \"q\", \"context\": \"\", \"answers\": [\"a\"], \"dataset\": \"qasper\", \"_id\": \"x\"}\n");
        ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
        ObjectNode s1 = new EvalRunner(config(out, false, bad), err).run();
        assertEquals(4, s1.get("samples_written").asInt());
        assertEquals(1, s1.get("samples_skipped").asInt());
        assertEquals(1, s1.get("skipped_by_reason").get("bad data: empty context").asInt());
        assertTrue(errBytes.toString().contains(bad + ":1: empty context"), errBytes.toString());
        assertTrue(errBytes.toString().contains("ETA"), errBytes.toString());
        Path results = out.resolve("results.jsonl");
        List<String> lines = Files.readAllLines(results);
        assertEquals(4, lines.size());
        JsonNode first = JSON.readTree(lines.getFirst());
        assertEquals("FP16", first.get("method").asText());
        assertTrue(first.get("weights_stand_in").asBoolean());
        assertEquals(64, first.get("model_sha256").asText().length());
        assertEquals(64, first.get("prompt_sha256").asText().length());
        assertTrue(first.get("metrics").get("decode_tps").asDouble() > 0);
        assertTrue(first.get("metrics").get("generated_tokens").asInt() > 0);
        assertTrue(first.get("scores").has("hallucination"));
        // how attention read the cache, per record: on this CPU build every pair is fused (KV-Q: q4_0, flash attention on)
        assertEquals("fused", first.get("kv_path").asText());
        assertEquals("fused", JSON.readTree(lines.get(2)).get("kv_path").asText());
        // the same prompt for FP16 and KV-Q
        assertEquals(first.get("prompt_sha256").asText(), JSON.readTree(lines.get(2)).get("prompt_sha256").asText());
        JsonNode fid = JSON.readTree(Files.readAllLines(out.resolve("fidelity.jsonl")).getFirst());
        assertEquals("KV-Q", fid.get("method").asText());
        assertTrue(fid.get("kl_mean").asDouble() > 0, fid.toString());

        // without --resume an existing run is refused
        assertThrows(CtxbenchException.class, () -> new EvalRunner(config(out, false, null), err).run());

        // tear the last line as a kill -9 in mid-write would, then resume
        String torn = String.join("\n", lines.subList(0, 3)) + "\n" + lines.get(3).substring(0, lines.get(3).length() / 2);
        Files.writeString(results, torn);
        // (a resume must keep the run's settings, the data files included)
        ObjectNode s2 = new EvalRunner(config(out, true, bad), err).run();
        assertEquals(1, s2.get("samples_written").asInt());
        List<String> after = Files.readAllLines(results);
        assertEquals(4, after.size());
        Set<String> keys = new HashSet<>();
        for (String l : after) {
            assertTrue(keys.add(JSON.readTree(l).get("key").asText()), "duplicate " + l);
        }
        ObjectNode s3 = new EvalRunner(config(out, true, bad), err).run();
        assertEquals(0, s3.get("samples_written").asInt());
        assertEquals(4, Files.readAllLines(results).size());
        JsonNode manifest = JSON.readTree(out.resolve("manifest.json").toFile());
        assertEquals(3, manifest.get("sessions").size());
        assertTrue(manifest.get("environment").get("llama_cpp_commit").asText().startsWith("de3ff815"));

        Report r = Report.load(out, null);
        assertEquals("FP16", r.baseline());
        // generated (RULER) samples are reported by length, not in the LongBench tables
        assertEquals(0, r.rows().size());
        assertEquals(2, r.lengths().ruler().size());
        assertEquals(2, r.lengths().costs().size());
        Path rep = out.resolve("report");
        ReportWriter.write(r, rep, "test");
        for (String f : List.of("report.md", "report.csv", "report.json", "report.html", "lengths.csv", "length-costs.csv",
                "score-vs-length.png", "score-vs-length.svg")) {
            assertTrue(Files.size(rep.resolve(f)) > 100, f);
        }
        String md = Files.readString(rep.resolve("report.md"));
        assertTrue(md.contains("## Length-controlled results"), md);
        assertTrue(md.contains(": cost by length"), md);
        String html = Files.readString(rep.resolve("report.html"));
        assertTrue(html.contains("<svg") && html.contains("data:image/png;base64,"));
        byte[] png = Files.readAllBytes(rep.resolve("score-vs-length.png"));
        assertEquals((byte) 0x89, png[0]);
        assertEquals('P', png[1]);
    }
}
