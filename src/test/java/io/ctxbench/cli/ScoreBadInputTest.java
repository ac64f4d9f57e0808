package io.ctxbench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Hostile input to {@code ctxbench score}: clear one-line errors, nothing lost, ids echoed exactly. */
class ScoreBadInputTest {
    @TempDir
    Path tmp;

    record Result(int code, String out, String err) {
    }

    static Result run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter(), out = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(out, true));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    private static final String LINE = "{\"id\": \"a\", \"prediction\": \"Paris\", \"answers\": [\"Paris\"]}\n";

    @Test
    void outputThatIsTheInputIsRefusedAndTheInputKept() throws IOException {
        Path f = Files.writeString(tmp.resolve("F.jsonl"), LINE);
        Path relative = Path.of("").toAbsolutePath().relativize(f);
        Path link = Files.createSymbolicLink(tmp.resolve("link.jsonl"), f);
        Path hard = Files.createLink(tmp.resolve("hard.jsonl"), f);
        for (Path o : List.of(f, relative, link, hard)) {
            Result r = run("score", "-i", f.toString(), "--out", o.toString());
            assertEquals(1, r.code(), "-o " + o + ": " + r.err());
            assertTrue(r.err().startsWith("ctxbench score: error: ") && r.err().contains("is the input"), r.err());
            assertEquals(1, r.err().lines().count(), r.err());
            assertEquals(LINE, Files.readString(f));
        }
    }

    @Test
    void unwritableOutputFileIsAnError() throws IOException {
        Path f = Files.writeString(tmp.resolve("F.jsonl"), LINE);
        Result r = run("score", "-i", f.toString(), "--out", "/dev/full");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().startsWith("ctxbench score: error: cannot write /dev/full"), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
        r = run("score", "-i", f.toString(), "--out", tmp.resolve("no/such/dir/out.jsonl").toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().startsWith("ctxbench score: error: cannot write "), r.err());
    }

    @Test
    void unreadableInputIsAnError() throws IOException {
        Result r = run("score", "-i", tmp.resolve("nope.jsonl").toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().startsWith("ctxbench score: error: cannot read input file "), r.err());
        Path latin1 = tmp.resolve("latin1.jsonl");
        Files.write(latin1, "{\"id\": \"a\", \"prediction\": \"caf\u00e9\", \"answers\": [\"caf\u00e9\"]}\n"
                .getBytes(StandardCharsets.ISO_8859_1));
        r = run("score", "-i", latin1.toString());
        assertEquals(1, r.code(), r.err());
        assertEquals("ctxbench score: error: " + latin1 + " is not UTF-8 text (line 1)", r.err().strip());
        assertEquals("", r.out());
    }

    @Test
    void idsAreEchoedExactlyAsGiven() throws IOException {
        String[] ids = {"1e2", "1e999", "-0", "1.50", "12345678901234567890", "\"abc\"", "\"1e2\""};
        StringBuilder in = new StringBuilder();
        for (String id : ids) {
            in.append("{\"prediction\": \"Paris\", \"id\": ").append(id).append(", \"answers\": [\"Paris\"]}\n");
        }
        in.append("{\"id\": 007, \"prediction\": \"Paris\", \"answers\": [\"Paris\"]}\n");
        Path f = Files.writeString(tmp.resolve("ids.jsonl"), in);
        Result r = run("score", "-i", f.toString());
        assertEquals(1, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(ids.length, lines.size(), r.out());
        for (int i = 0; i < ids.length; i++) {
            assertTrue(lines.get(i).startsWith("{\"id\":" + ids[i] + ",\"qa_f1\":1.0,"), lines.get(i));
        }
        assertTrue(r.err().contains(f + ":8: skipped: invalid JSON: Invalid numeric value: Leading zeroes not allowed"), r.err());
    }

    @Test
    void aByteOrderMarkIsSkipped() throws IOException {
        Path f = tmp.resolve("bom.jsonl");
        Files.write(f, ("\uFEFF" + LINE + LINE.replace("\"a\"", "\"b\"")).getBytes(StandardCharsets.UTF_8));
        Result r = run("score", "-i", f.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("\"a\"", "\"b\""), r.out().lines().map(l -> l.substring(6, 9)).toList());
    }

    @Test
    void textAfterTheObjectIsRefusedWithFileAndLine() throws IOException {
        Path f = Files.writeString(tmp.resolve("glued.jsonl"), LINE + LINE.strip() + LINE);
        Result r = run("score", "-i", f.toString());
        assertEquals(1, r.code(), r.err());
        assertEquals(1, r.out().lines().count(), r.out());
        assertTrue(r.err().contains(f + ":2: skipped: invalid JSON: Trailing token"), r.err());
    }
}
