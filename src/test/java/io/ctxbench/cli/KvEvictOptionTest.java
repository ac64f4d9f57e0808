package io.ctxbench.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** generate --kv-evict: bad spellings and settings fail in one line before a model loads. */
class KvEvictOptionTest {

    private static void assertRefused(String expected, String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        int code = cl.execute(args);
        assertNotEquals(0, code, String.join(" ", args));
        String e = err.toString().strip();
        assertTrue(e.contains(expected), "message for " + String.join(" ", args) + " was: " + e);
        assertEquals(1, e.lines().count(), "one line: " + e);
    }

    @Test
    void badEvictionsAreRefusedBeforeTheModelLoads() {
        // the model path does not exist: the eviction is checked first
        assertRefused("leaves no recent window", "generate", "-m", "/nonexistent.gguf", "-p", "x", "--kv-evict", "streaming 2 tokens");
        assertRefused("unknown KV eviction 'h2o'", "generate", "-m", "/nonexistent.gguf", "-p", "x", "--kv-evict", "h2o 0.5");
        assertRefused("flash attention off", "generate", "-m", "/nonexistent.gguf", "-p", "x", "--kv-evict", "snapkv 25%");
    }
}
