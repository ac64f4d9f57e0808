package io.ctxbench.cli;

import io.ctxbench.engine.ProcessMemory;
import io.ctxbench.engine.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A context that cannot fit is refused with the estimate and what is free before llama.cpp allocates it: a context
 * of 10^9 tokens used to climb to ~19 GB of host memory before llama.cpp's std::bad_alloc.
 */
class ContextFitTest {
    private static final long GIB = 1L << 30;
    /** "needs about 21458.3 GiB (KV cache ... + compute buffers) but host memory has 19.2 GiB available" */
    private static final Pattern MESSAGE = Pattern.compile(
            "a context of 1000000000 tokens needs about [0-9.]+ GiB \\(KV cache [0-9.]+ GiB f16/f16 \\+ compute buffers\\)"
                    + " but .+ has [0-9.]+ GiB (free|available)");

    record Result(int code, String err) {
    }

    static Result run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        return new Result(cl.execute(args), err.toString());
    }

    private static void refusedQuickly(List<String> args) {
        long peak0 = ProcessMemory.peakResidentBytes();
        long t0 = System.nanoTime();
        Result r = run(args.toArray(String[]::new));
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(1, r.code(), r.err());
        assertTrue(MESSAGE.matcher(r.err()).find(), r.err());
        assertTrue(seconds < 20, "took " + seconds + " s");
        long grew = ProcessMemory.peakResidentBytes() - peak0;
        assertTrue(grew < GIB, "peak resident memory grew by " + grew / GIB + " GiB");
    }

    @Test
    @Timeout(120)
    void generate() {
        refusedQuickly(List.of("generate", "-m", TestFiles.smolLm2().toString(), "-p", "x", "-n", "2", "-c", "1000000000"));
    }

    @Test
    @Timeout(120)
    void modelsInspectMeasure() {
        refusedQuickly(List.of("models", "inspect", "-m", TestFiles.smolLm2().toString(), "-c", "1000000000", "--measure"));
    }

    @Test
    @Timeout(120)
    void aContextThatFitsStillRuns() {
        Result r = run("generate", "-m", TestFiles.smolLm2().toString(), "--no-chat", "-p", "Hello", "-n", "2", "-c", "8192");
        assertEquals(0, r.code(), r.err());
    }
}
