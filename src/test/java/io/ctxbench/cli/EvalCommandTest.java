package io.ctxbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Command-line errors of `ctxbench eval` that must stop it before anything runs. */
class EvalCommandTest {

    private static int run(StringWriter err, String... args) {
        CommandLine cl = new CommandLine(new EvalCommand()).setExecutionExceptionHandler(Main::onError);
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        return cl.execute(args);
    }

    /** The tiniest real eval: one synthetic sample, 4 new tokens, FP16 on the given file, no fidelity, no report. */
    static String[] tiny(Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("-m", TestFiles.smolLm2().toString(), "--methods", "FP16", "--stand-in",
                "--no-make-variants", "--synthetic", "needle_qa", "--synthetic-count", "1", "--synthetic-words", "100",
                "--max-new-tokens", "4", "--fidelity", "0", "--no-report", "--out", out.toString()));
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
        int code = run(err, tiny(out, "--resume", "--max-length", "2048", "--seed", "7", "--no-chat"));
        String e = err.toString();
        assertEquals(1, code, e);
        assertTrue(e.contains("ctxbench eval: error: --resume with different settings: ")
                && e.contains("models[0].max_length 7692 -> 2048") && e.contains("max_length null -> 2048")
                && e.contains("seed 1 -> 7") && e.contains("chat_format jinja -> none"), e);
        assertFalse(e.contains("threads"), e);
        assertEquals(results, Files.readString(out.resolve("results.jsonl")));
        assertEquals(manifest, Files.readString(out.resolve("manifest.json")));

        // the thread count only changes the speed: a resume may use another
        err = new StringWriter();
        assertEquals(0, run(err, tiny(out, "--resume", "-t", "1")), err.toString());
        assertEquals(results, Files.readString(out.resolve("results.jsonl")));
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
        assertEquals(1, run(err, "-m", model, "--synthetic", "needle_qa", "--compressor", "lingua9", "--out", out.toString()));
        assertTrue(err.toString().contains("unknown compressor 'lingua9': available are extractive, perplexity"), err.toString());

        err = new StringWriter();
        assertEquals(1, run(err, "-m", model, "--synthetic", "needle_qa", "--methods", "FP16,FP16_c:lingua9", "--out", out.toString()));
        assertTrue(err.toString().contains("unknown compressor 'lingua9'"), err.toString());

        err = new StringWriter();
        assertEquals(1, run(err, "-m", model, "--synthetic", "needle_qa", "--methods", "FP16:perplexity", "--out", out.toString()));
        assertTrue(err.toString().contains("method FP16 does not compress"), err.toString());
        assertFalse(Files.exists(out));

        String help = new CommandLine(new EvalCommand()).getUsageMessage().replaceAll("\\s+", " ");
        assertTrue(help.contains("--compressor") && help.contains("extractive (the built-in methods' default")
                && help.contains("FP16_c:perplexity") && help.contains("--[no-]make-variants"), help);
        assertFalse(help.contains("placeholder"), help);
    }
}
