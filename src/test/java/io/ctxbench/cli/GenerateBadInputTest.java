package io.ctxbench.cli;

import io.ctxbench.engine.TestFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input to {@code ctxbench generate}: each case ends in a clear message and a non-zero exit code, and the
 * JVM lives on (the next case runs in the same process).
 */
class GenerateBadInputTest {
    @TempDir
    static Path tmp;
    static Path model;

    @BeforeAll
    static void setUp() {
        model = TestFiles.smolLm2();
    }

    record Result(int code, String err) {
    }

    static Result run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        int code = cl.execute(args);
        return new Result(code, err.toString());
    }

    static void assertFails(String expected, String... args) {
        Result r = run(args);
        assertNotEquals(0, r.code(), "exit code for " + String.join(" ", args));
        assertTrue(r.err().contains(expected), "message for " + String.join(" ", args) + " was: " + r.err());
        assertTrue(!r.err().contains("internal error"), "not a clean error: " + r.err());
    }

    @Test
    void badChatDate() {
        assertFails("--chat-date must be a date as YYYY-MM-DD (e.g. 2024-07-26), got '2024-13-01'",
                "generate", "-m", model.toString(), "-p", "x", "--chat-date", "2024-13-01");
    }

    @Test
    void missingFile() {
        assertFails("model file not found", "generate", "-m", tmp.resolve("nope.gguf").toString(), "-p", "x");
    }

    @Test
    void directory() {
        assertFails("is a directory", "generate", "-m", tmp.toString(), "-p", "x");
    }

    @Test
    void notGguf() throws IOException {
        Path f = Files.writeString(tmp.resolve("notes.gguf"), "just some text, not a model\n");
        assertFails("not a GGUF file", "generate", "-m", f.toString(), "-p", "x");
    }

    @Test
    void truncatedGguf() throws IOException {
        Path f = tmp.resolve("truncated.gguf");
        try (InputStream in = Files.newInputStream(model); OutputStream out = Files.newOutputStream(f)) {
            out.write(in.readNBytes((int) (Files.size(model) / 2)));
        }
        assertFails("truncated", "generate", "-m", f.toString(), "-p", "x");
    }

    @Test
    void unknownKvType() {
        assertFails("unknown KV cache type 'q3_x'", "generate", "-m", model.toString(), "-p", "x", "-ctk", "q3_x");
    }

    @Test
    void quantizedVWithoutFlashAttention() {
        assertFails("needs flash attention", "generate", "-m", model.toString(), "-p", "x", "-ctv", "q4_0", "-fa", "off");
    }

    @Test
    void promptLongerThanContext() {
        assertFails("but the context holds", "generate", "-m", model.toString(), "--no-chat", "-p", "word ".repeat(600), "-c", "256");
    }

    @Test
    void zeroAndNegativeLimits() {
        assertFails("--n-predict must be positive", "generate", "-m", model.toString(), "-p", "x", "-n", "0");
        assertFails("--n-predict must be positive", "generate", "-m", model.toString(), "-p", "x", "-n", "-3");
        assertFails("--ctx-size must be positive", "generate", "-m", model.toString(), "-p", "x", "-c", "0");
        assertFails("--ctx-size must be positive", "generate", "-m", model.toString(), "-p", "x", "-c", "-1");
        assertFails("batch and micro-batch sizes must be positive", "generate", "-m", model.toString(), "-p", "x", "-b", "0");
        assertFails("-2 threads is not a thread count", "generate", "-m", model.toString(), "-p", "x", "-t", "-2");
        assertFails("--repetitions must be positive", "generate", "-m", model.toString(), "-p", "x", "-r", "0");
    }

    @Test
    void usageErrorsExitTwo() {
        Result r = run("generate", "--no-such-option");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("Unknown option"), r.err());
    }

    @Test
    void aGoodRunStillWorksAfterTheFailures() {
        Result r = run("generate", "-m", model.toString(), "--no-chat", "-p", "Hello", "-n", "4");
        assertEquals(0, r.code(), r.err());
    }
}
