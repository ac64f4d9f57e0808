package io.ctxbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctxbench.engine.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CompressCommandTest {

    private static int run(ByteArrayOutputStream out, String... args) {
        return run(out, new StringWriter(), args);
    }

    /** Runs the command with stdout into {@code out} and its error messages into {@code err}. */
    private static int run(ByteArrayOutputStream out, StringWriter err, String... args) {
        PrintStream old = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            CommandLine cl = new CommandLine(new CompressCommand()).setExecutionExceptionHandler(Main::onError);
            cl.setErr(new PrintWriter(err, true));
            return cl.execute(args);
        } finally {
            System.setOut(old);
        }
    }

    @Test
    void compressesAFileWithInvalidBytesAndReportsJson(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("ctx.txt");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            sb.append("Sentence number ").append(i).append(" talks about topic ").append(i % 7).append(". ");
        }
        byte[] text = sb.toString().getBytes(StandardCharsets.UTF_8);
        byte[] bytes = new byte[text.length + 3];
        System.arraycopy(text, 0, bytes, 0, text.length);
        bytes[text.length] = (byte) 0xC3;   // a truncated UTF-8 sequence and a stray continuation byte
        bytes[text.length + 1] = (byte) 0x80;
        bytes[text.length + 2] = (byte) 0xFF;
        Files.write(f, bytes);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int rc = run(out, "--compressor", "extractive", "-m", TestFiles.smolLm2().toString(), "-f", f.toString(),
                "--question", "topic 3", "--rate", "2x", "--json");
        assertEquals(0, rc);
        JsonNode j = Json.MAPPER.readTree(out.toString(StandardCharsets.UTF_8));
        assertEquals("topic 3", j.get("question").asText());
        assertEquals(2.0, j.get("achieved_rate").asDouble(), 0.2);
        assertTrue(j.get("context").asText().contains("topic 3"));
    }

    @Test
    void badInputIsAUserError(@TempDir Path dir) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(1, run(out, "--compressor", "extractive", "-f", dir.resolve("missing.txt").toString()));
        assertEquals(1, run(out, "--rate", "0.5", "-f", dir.resolve("missing.txt").toString()));
        assertEquals(1, run(out, "--compressor", "zip", "-f", dir.resolve("missing.txt").toString()));
    }

    @Test
    void anUnknownCallShapeOrReductionIsAUserError(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("ctx.txt");
        Files.writeString(f, "Some context. More of it.");
        for (String[] a : new String[][]{{"--calls", "batched"}, {"--reduction", "gpu"}}) {
            StringWriter err = new StringWriter();
            assertEquals(1, run(new ByteArrayOutputStream(), err, "-f", f.toString(), a[0], a[1]));
            assertTrue(err.toString().startsWith("ctxbench compress: error: " + a[0] + " takes ") && err.toString().contains("'" + a[1] + "'"),
                    err.toString());
        }
    }

    @Test
    void aRateBelowOneSaysWhatTheRateMustBe(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("ctx.txt");
        Files.writeString(f, "Some context.");
        for (String r : new String[]{"0", "0x", "0.5", "-2"}) {
            StringWriter err = new StringWriter();
            assertEquals(1, run(new ByteArrayOutputStream(), err, "--compressor", "extractive", "-f", f.toString(), "--rate", r));
            String msg = err.toString();
            assertTrue(msg.startsWith("ctxbench compress: error: ") && msg.contains(">= 1") && msg.contains("got " + r + "\n")
                    && !msg.contains("neither"), r + ": " + msg);
        }
    }

    @Test
    void aDatasetLineWithInvalidUtf8IsDecodedWithReplacement(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("d.jsonl");
        byte[] head = "{\"_id\": \"a\", \"input\": \"q\", \"context\": \"caf".getBytes(StandardCharsets.UTF_8);
        byte[] tail = " au lait. Second sentence here.\"}\n".getBytes(StandardCharsets.UTF_8);
        byte[] line = new byte[head.length + 1 + tail.length];
        System.arraycopy(head, 0, line, 0, head.length);
        line[head.length] = (byte) 0xE9;   // Latin-1 e-acute: not UTF-8
        System.arraycopy(tail, 0, line, head.length + 1, tail.length);
        Files.write(f, line);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        int rc = run(out, err, "--compressor", "extractive", "-m", TestFiles.smolLm2().toString(), "--data", f.toString(),
                "--line", "1", "--rate", "1", "--json");
        assertEquals(0, rc, err.toString());
        JsonNode j = Json.MAPPER.readTree(out.toString(StandardCharsets.UTF_8));
        assertEquals("caf\uFFFD au lait. Second sentence here.", j.get("context").asText());
    }

    @Test
    void binaryInputIsRefusedAsNotText(@TempDir Path dir) throws Exception {
        byte[] withNul = "Looks like text\0but has a NUL byte.".getBytes(StandardCharsets.UTF_8);
        byte[] noise = new byte[4096];
        new java.util.Random(1).nextBytes(noise);
        for (int i = 0; i < noise.length; i++) {
            noise[i] = noise[i] == 0 ? 1 : noise[i];   // no NUL: only the invalid UTF-8 gives it away
        }
        for (byte[] bytes : new byte[][]{withNul, noise}) {
            Path f = dir.resolve("bin");
            Files.write(f, bytes);
            StringWriter err = new StringWriter();
            assertEquals(1, run(new ByteArrayOutputStream(), err, "--compressor", "extractive", "-m",
                    TestFiles.smolLm2().toString(), "-f", f.toString()));
            assertTrue(err.toString().contains("does not look like text"), err.toString());
        }
        // a text with a few invalid bytes is still text: compressed with U+FFFD, as --help says
        Path latin1 = dir.resolve("latin1.txt");
        Files.write(latin1, "Le caf\u00e9 est tr\u00e8s bon. On y va demain matin.".getBytes(StandardCharsets.ISO_8859_1));
        StringWriter err = new StringWriter();
        assertEquals(0, run(new ByteArrayOutputStream(), err, "--compressor", "extractive", "-m", TestFiles.smolLm2().toString(),
                "-f", latin1.toString(), "--rate", "1"), err.toString());
        assertFalse(err.toString().contains("error"), err.toString());
    }

    @Test
    void aContextAboveTheInputLimitIsRefusedWithTheOptionThatRaisesIt(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("ctx.txt");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            sb.append("Sentence number ").append(i).append(" talks about topic ").append(i % 7).append(". ");
        }
        Files.writeString(f, sb);
        StringWriter err = new StringWriter();
        assertEquals(1, run(new ByteArrayOutputStream(), err, "-m", TestFiles.smolLm2().toString(), "-f", f.toString(),
                "--max-input-tokens", "100", "-ngl", "0"));
        assertTrue(err.toString().contains("above the perplexity compressor's limit of 100")
                && err.toString().contains("--max-input-tokens") && err.toString().contains("--compressor extractive"),
                err.toString());
    }
}
