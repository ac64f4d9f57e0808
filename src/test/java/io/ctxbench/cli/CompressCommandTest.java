package io.ctxbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctxbench.engine.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CompressCommandTest {

    private static int run(ByteArrayOutputStream out, String... args) {
        PrintStream old = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            CommandLine cl = new CommandLine(new CompressCommand()).setExecutionExceptionHandler(Main::onError);
            cl.setErr(new java.io.PrintWriter(new ByteArrayOutputStream()));
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
        int rc = run(out, "--method", "extractive", "-m", TestFiles.smolLm2().toString(), "-f", f.toString(),
                "-q", "topic 3", "--rate", "2x", "--json");
        assertEquals(0, rc);
        JsonNode j = Json.MAPPER.readTree(out.toString(StandardCharsets.UTF_8));
        assertEquals("topic 3", j.get("question").asText());
        assertEquals(2.0, j.get("achieved_rate").asDouble(), 0.2);
        assertTrue(j.get("context").asText().contains("topic 3"));
    }

    @Test
    void badInputIsAUserError(@TempDir Path dir) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(1, run(out, "--method", "extractive", "-f", dir.resolve("missing.txt").toString()));
        assertEquals(1, run(out, "--rate", "0.5", "-f", dir.resolve("missing.txt").toString()));
        assertEquals(1, run(out, "--method", "zip", "-f", dir.resolve("missing.txt").toString()));
    }
}
