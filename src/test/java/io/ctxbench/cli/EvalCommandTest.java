package io.ctxbench.cli;

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
        assertTrue(e.contains("ctxbench eval: error: --resume with different settings: ") && e.contains("max_length 4096 -> 2048")
                && e.contains("seed 1 -> 7") && e.contains("chat_template true -> false"), e);
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

    @Test
    void aMaxLengthWhoseContextLlamaCppCannotHoldIsRefusedBeforeAnythingRuns(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("run");
        StringWriter err = new StringWriter();
        assertEquals(1, run(err, tiny(out, "--max-length", "2147483647")));
        assertTrue(err.toString().contains("ctxbench eval: error: --max-length 2147483647 with 4 new tokens and a margin of 256 "
                + "needs a context of 2147483907 tokens, more than llama.cpp can hold (2147483392)"), err.toString());
        assertFalse(Files.exists(out.resolve("manifest.json")));

        // a context llama.cpp could address but no memory holds (SmolLM2's f16 KV cache: 22.5 KiB a token) is refused
        // before llama.cpp tries to allocate it (the process was killed by the OOM killer)
        err = new StringWriter();
        assertEquals(1, run(err, tiny(out, "--max-length", "2000000000")));
        assertTrue(err.toString().contains("ctxbench eval: error: --max-length 2000000000 needs a context of 2000000260 tokens "
                + "whose KV cache (f16/f16) takes 42915.4 GiB, more than the "), err.toString());
        assertFalse(Files.exists(out.resolve("results.jsonl")) && Files.size(out.resolve("results.jsonl")) > 0);
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
