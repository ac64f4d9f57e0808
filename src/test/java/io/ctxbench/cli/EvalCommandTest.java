package io.ctxbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.TestFiles;
import io.ctxbench.results.HoldLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Command-line errors of `ctxbench eval` that must stop it before anything runs. */
class EvalCommandTest {

    private static int run(StringWriter err, String... args) {
        CommandLine cl = new CommandLine(new EvalCommand()).setExecutionExceptionHandler(Main::onError);
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        return cl.execute(args);
    }

    static final String SHARED_DATA = Path.of(System.getProperty("ctxbench.shared.dir", "../shared")).resolve("data").toString();

    /** The tiniest real eval: one generated sample of 512 tokens, 4 new tokens, FP16 on the given file, no fidelity, no report. */
    static String[] tiny(Path out, String... more) {
        return tiny(out, List.of("--ruler", "niah_single_1", "--lengths", "512", "--samples", "1", "--ruler-data", SHARED_DATA),
                more);
    }

    /** {@link #tiny} on the first line of a LongBench data file instead. */
    static String[] tinyData(Path out, String... more) {
        return tiny(out, List.of("--data", SHARED_DATA + "/longbench/qasper_cachegen60.jsonl", "--limit", "1"), more);
    }

    private static String[] tiny(Path out, List<String> samples, String... more) {
        List<String> a = new ArrayList<>(List.of("-m", TestFiles.smolLm2().toString(), "--methods", "FP16", "--stand-in",
                "--no-make-variants", "--max-new-tokens", "4", "--fidelity", "0", "--no-report", "--out", out.toString()));
        a.addAll(samples);
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void aRunFolderInUseByAnotherProcessIsRefusedAtOnceAndLeftUntouched(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("run");
        Process holder = HoldLock.start(out, "eval");
        try {
            StringWriter err = new StringWriter();
            assertEquals(1, run(err, tiny(out)));
            assertTrue(err.toString().contains("ctxbench eval: error: " + out + " is in use by another ctxbench process (pid "
                    + holder.pid() + " on "), err.toString());
            err = new StringWriter();
            assertEquals(1, run(err, tiny(out, "--resume")));
            assertTrue(err.toString().contains("is in use by another ctxbench process"), err.toString());
            assertFalse(Files.exists(out.resolve("manifest.json")));
            assertFalse(Files.exists(out.resolve("results.jsonl")));
        } finally {
            holder.destroyForcibly();
            holder.waitFor();
        }
    }

    @Test
    void aResumeWithDifferentSettingsIsRefusedNamingThemAndLeavesTheRunAsItWas(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("run");
        StringWriter err = new StringWriter();
        assertEquals(0, run(err, tiny(out)), err.toString());
        String results = Files.readString(out.resolve("results.jsonl"));
        String manifest = Files.readString(out.resolve("manifest.json"));

        err = new StringWriter();
        int code = run(err, tiny(out, "--resume", "--max-length", "2048", "--seed", "7", "--no-chat", "--lengths", "1k"));
        String e = err.toString();
        assertEquals(1, code, e);
        assertTrue(e.contains("ctxbench eval: error: --resume with different settings: ")
                && e.contains("models[0].max_length 7692 -> 2048") && e.contains("max_length null -> 2048")
                && e.contains("seed 1 -> 7") && e.contains("chat_format jinja -> none")
                && e.contains("ruler.lengths[1] (none) -> 1024"), e);
        assertFalse(e.contains("threads"), e);
        assertEquals(results, Files.readString(out.resolve("results.jsonl")));
        assertEquals(manifest, Files.readString(out.resolve("manifest.json")));

        // the thread count only changes the speed: a resume may use another
        err = new StringWriter();
        assertEquals(0, run(err, tiny(out, "--resume", "-t", "1")), err.toString());
        assertEquals(results, Files.readString(out.resolve("results.jsonl")));
    }

    /**
     * RULER tasks at two lengths and the needle grid (of a task without prose: at 512 tokens no 500-word step of RULER's
     * essay haystack fits) over them at three depths, in SmolLM2's own tokens: every record
     * says its target length (and the grid's its depth), scores in [0, 1] with RULER's metric, fills its length
     * without passing it; the ids say task, length, depth, seed and index.
     */
    @Test
    void rulerTasksAndTheNeedleGridRecordTheirLengthAndDepth(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("run");
        StringWriter err = new StringWriter();
        assertEquals(0, run(err, "-m", TestFiles.smolLm2().toString(), "--methods", "FP16", "--stand-in", "--no-make-variants",
                "--ruler", "niah_single_1,fwe", "--needle", "niah_multikey_2", "--lengths", "512,1k", "--depths", "3", "--samples", "1",
                "--ruler-data", SHARED_DATA, "--max-new-tokens", "12", "--fidelity", "0", "--no-report", "--out",
                out.toString()), err.toString());
        ObjectMapper json = new ObjectMapper();
        Set<String> cells = new HashSet<>();
        for (String line : Files.readAllLines(out.resolve("results.jsonl"))) {
            JsonNode r = json.readTree(line);
            String task = r.get("task").asText();
            int length = r.get("target_length").asInt();
            int ttg = task.equals("fwe") ? 50 : 128;
            JsonNode depth = r.get("depth");
            cells.add(task + "@" + length + (depth.isNull() ? "" : "/" + depth.asInt()));
            assertEquals(task.replace("needle-", "") + "-L" + length + (depth.isNull() ? "" : "-d" + depth.asInt()) + "-s1-0",
                    r.get("id").asText());
            assertEquals(depth.isNull(), !task.startsWith("needle-"), line);
            assertEquals(length == 512 ? "512" : "1k", r.get("bucket").asText());
            assertEquals("string_match_all", r.get("metric").asText());
            assertEquals("jinja", r.get("chat_format").asText());
            assertFalse(r.get("truncated").asBoolean());
            double score = r.get("scores").get("score").asDouble();
            assertTrue(score >= 0 && score <= 1, line);
            // the whole prompt (chat template and BOS included) plus the tokens to generate fits the length, and fills it;
            // fwe steps its word count by 1/32 of the budget and steps back once, as RULER does: a coarser fill
            int prompt = r.get("metrics").get("prompt_tokens").asInt();
            double fill = task.equals("fwe") ? 0.8 : 0.9;
            assertTrue(prompt + ttg <= length && prompt + ttg >= fill * length, task + " " + length + ": " + prompt);
        }
        assertEquals(Set.of("niah_single_1@512", "niah_single_1@1024", "fwe@512", "fwe@1024", "needle-niah_multikey_2@512/0",
                "needle-niah_multikey_2@512/50", "needle-niah_multikey_2@512/100", "needle-niah_multikey_2@1024/0",
                "needle-niah_multikey_2@1024/50", "needle-niah_multikey_2@1024/100"), cells);
        JsonNode ruler = json.readTree(out.resolve("manifest.json").toFile()).get("config").get("ruler");
        assertEquals("[512,1024]", ruler.get("lengths_by_model").get("SmolLM2-135M-Instruct.Q4_1").toString());
        assertEquals("[0,50,100]", ruler.get("depths").toString());
        assertEquals("niah_multikey_2", ruler.get("needle").asText());
        assertEquals(64, ruler.get("data_sha256").get("longbench/multi_news.jsonl").asText().length());
    }

    /** A bad task, a length a model was not trained for, a bad length, a grid task with several needles: one line each. */
    @Test
    void badRulerTasksAndLengthsAreOneLineErrorsBeforeAnythingRuns(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("run");
        String[][] cases = {
                {"--ruler", "niah_single_9"},
                {"--ruler", "niah_single_1", "--lengths", "16k"},
                {"--ruler", "niah_single_1", "--lengths", "4x"},
                {"--needle", "niah_multivalue"},
                {"--synthetic", "needle_qa"}};
        String[] want = {
                "ctxbench eval: error: unknown RULER task 'niah_single_9'; known: niah_single_1, niah_single_2,",
                "ctxbench eval: error: RULER length 16384 does not fit SmolLM2-135M-Instruct.Q4_1, trained for a context of "
                        + "8192 tokens (the prompt and the tokens to generate): give --lengths up to 8192",
                "ctxbench eval: error: --lengths takes token counts such as 1500, 4k or 32k, got '4x'",
                "ctxbench eval: error: a needle grid needs a RULER needle task with one asked needle of one value",
                "ctxbench eval: error: --synthetic, --synthetic-count and --synthetic-words are gone"};
        for (int i = 0; i < cases.length; i++) {
            List<String> a = new ArrayList<>(List.of("-m", TestFiles.smolLm2().toString(), "--methods", "FP16", "--stand-in",
                    "--no-make-variants", "--ruler-data", SHARED_DATA, "--out", out.toString()));
            a.addAll(List.of(cases[i]));
            StringWriter err = new StringWriter();
            assertEquals(1, run(err, a.toArray(String[]::new)), err.toString());
            List<String> lines = err.toString().lines().filter(l -> !l.startsWith("eval: run folder")).toList();
            assertEquals(1, lines.size(), err.toString());
            assertTrue(lines.getFirst().startsWith(want[i]), lines.getFirst());
            assertFalse(Files.exists(out.resolve("manifest.json")));
            assertFalse(Files.exists(out.resolve("results.jsonl")));
        }
    }

    @Test
    void lengthsTakeTokenCountsWithAnOptionalK() {
        assertEquals(4096, EvalCommand.tokens("4k"));
        assertEquals(32768, EvalCommand.tokens(" 32K "));
        assertEquals(1500, EvalCommand.tokens("1500"));
        for (String bad : List.of("0", "-1k", "k", "1.5k", "+4k", "99999999999", "")) {
            assertThrows(CtxbenchException.class, () -> EvalCommand.tokens(bad), bad);
        }
        String help = new CommandLine(new EvalCommand()).getUsageMessage().replaceAll("\\s+", " ");
        assertTrue(help.contains("--ruler=TASK") && help.contains("--needle[=TASK]") && help.contains("--lengths=LEN")
                && help.contains("--depths=N") && help.contains("--samples=N") && help.contains("niah_single_2, one number "
                + "hidden in prose"), help);
        assertFalse(help.contains("--synthetic"), help);
    }

    @Test
    void anUnknownLengthBucketIsAUsageErrorListingTheKnownOnes(@TempDir Path tmp) {
        Path out = tmp.resolve("run");
        StringWriter err = new StringWriter();
        assertEquals(2, run(err, tiny(out, "--bucket", "0-4k", "--bucket", "99k")));
        assertEquals("unknown --bucket '99k': the LongBench-E length buckets are 0-4k, 4-8k, 8k+",
                err.toString().lines().findFirst().orElse(""), err.toString());
        assertFalse(Files.exists(out));
    }

    /**
     * The session is sized to the prompts, not to the budget: a budget far beyond what any memory holds (SmolLM2's
     * f16 KV cache takes 22.5 KiB a token: 42915 GiB for 2*10^9 tokens) runs a short prompt in a small context.
     */
    @Test
    void aHugeMaxLengthRunsShortPromptsInAContextSizedToThem(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("run");
        StringWriter err = new StringWriter();
        assertEquals(0, run(err, tiny(out, "--max-length", "2000000000")), err.toString());
        JsonNode r = new ObjectMapper().readTree(Files.readAllLines(out.resolve("results.jsonl")).getFirst());
        int prompt = r.get("metrics").get("prompt_tokens").asInt();
        long kv = r.get("metrics").get("kv_bytes").asLong();
        assertTrue(prompt > 100 && prompt < 400, r.toString());
        // longest prompt + 4 new tokens + a margin of 256, padded by llama.cpp to a multiple of 256
        long cells = (prompt + 4 + 256 + 255) / 256 * 256;
        assertEquals(cells * 23040, kv, r.toString());

        err = new StringWriter();
        assertEquals(1, run(err, tiny(tmp.resolve("run2"), "--max-length", "10")));
        assertTrue(err.toString().contains("ctxbench eval: error: --max-length must be at least 64 tokens, got 10"),
                err.toString());
        assertFalse(Files.exists(tmp.resolve("run2")));
    }

    @Test
    void unknownCompressorsAndCompressorSuffixesOnPlainMethodsAreUserErrors(@TempDir Path tmp) {
        String model = TestFiles.smolLm2().toString();
        Path out = tmp.resolve("run");
        StringWriter err = new StringWriter();
        assertEquals(1, run(err, "-m", model, "--ruler", "niah_single_1", "--compressor", "lingua9", "--out", out.toString()));
        assertTrue(err.toString().contains("unknown compressor 'lingua9': available are extractive, llmlingua2, perplexity"), err.toString());

        err = new StringWriter();
        assertEquals(1, run(err, "-m", model, "--ruler", "niah_single_1", "--methods", "FP16,FP16_c:lingua9", "--out", out.toString()));
        assertTrue(err.toString().contains("unknown compressor 'lingua9'"), err.toString());

        err = new StringWriter();
        assertEquals(1, run(err, "-m", model, "--ruler", "niah_single_1", "--methods", "FP16:perplexity", "--out", out.toString()));
        assertTrue(err.toString().contains("method FP16 does not compress"), err.toString());
        assertFalse(Files.exists(out));

        String help = new CommandLine(new EvalCommand()).getUsageMessage().replaceAll("\\s+", " ");
        assertTrue(help.contains("--compressor") && help.contains("extractive (the built-in methods' default")
                && help.contains("FP16_c:perplexity") && help.contains("--[no-]make-variants"), help);
        assertFalse(help.contains("placeholder"), help);
    }
}
