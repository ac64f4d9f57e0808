package io.ctxbench.cli;

import io.ctxbench.engine.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A thread count llama.cpp cannot hold (above GGML_MAX_N_THREADS = 512: a SIGSEGV in libgomp at 30000, a hang at
 * 5000) or a negative one is a usage error (exit 2) in every command that takes one, refused while the command line
 * is parsed: the model given here does not exist, so reaching past the parser would give another error.
 */
class ThreadCountTest {
    private static final String ADVICE = "give 1 to 512, or 0 for one per physical core";

    @TempDir
    Path tmp;

    record Result(int code, String err) {
    }

    static Result run(List<String> args) {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        return new Result(cl.execute(args.toArray(String[]::new)), err.toString());
    }

    /** Every command with a thread count, as {command words..., thread option}, with a model that does not exist. */
    private List<List<String>> commands() {
        String nope = tmp.resolve("nope.gguf").toString();
        String out = tmp.resolve("out.gguf").toString();
        return List.of(
                List.of("generate", "-m", nope, "-p", "x", "-t"),
                List.of("generate", "-m", nope, "-p", "x", "--threads"),
                List.of("sweep", "-m", nope, "-t"),
                List.of("eval", "-m", nope, "-t"),
                List.of("compress", "-m", nope, "-f", tmp.resolve("nope.txt").toString(), "-t"),
                List.of("models", "prune", "-m", nope, "--out", out, "--drop-layers", "1", "--threads"),
                List.of("models", "quantize", "-m", nope, "--out", out, "--type", "q4_0", "--threads"),
                List.of("models", "synth", "--shape", "tiny", "--out", out, "--threads"));
    }

    @Test
    void tooManyOrNegativeThreadsAreUsageErrorsInEveryCommand() {
        for (List<String> c : commands()) {
            for (String n : new String[]{"30000", "513", "-1"}) {
                List<String> args = new ArrayList<>(c);
                args.add(n);
                Result r = run(args);
                assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
                assertTrue(r.err().contains(n + " threads") && r.err().contains(ADVICE), String.join(" ", args) + ": " + r.err());
                assertTrue(!r.err().contains("internal error"), r.err());
            }
        }
    }

    @Test
    @Timeout(120)
    void generateRefusesThirtyThousandThreadsBeforeLoading() {
        Result r = run(List.of("generate", "-m", TestFiles.smolLm2().toString(), "-p", "x", "-n", "2", "-t", "30000"));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("30000 threads is more than llama.cpp can run") && r.err().contains(ADVICE), r.err());
    }

    @Test
    @Timeout(300)
    void theLimitItselfAndZeroStillRun() {
        for (String n : new String[]{"0", "512"}) {
            Result r = run(List.of("generate", "-m", TestFiles.smolLm2().toString(), "--no-chat", "-p", "Hello", "-n", "2",
                    "-t", n));
            assertEquals(0, r.code(), "-t " + n + ": " + r.err());
        }
    }
}
