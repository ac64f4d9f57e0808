package io.ctxbench.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A model path that is not a regular file is named for what it is, exit 1, in every command that opens a model: a
 * named pipe used to block generate forever (the open waits for a writer), and models inspect called a pipe, a
 * directory and /dev/zero "not found".
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)   // an open() blocked on a pipe ignores interrupts
class ModelPathTest {
    @TempDir
    static Path tmp;
    static Path pipe;
    static Path folder;
    static Path text;

    @BeforeAll
    static void files() throws Exception {
        pipe = tmp.resolve("model.gguf");
        Process p = new ProcessBuilder("mkfifo", pipe.toString()).inheritIO().start();
        assertEquals(0, p.waitFor(), "mkfifo");
        folder = Files.createDirectory(tmp.resolve("folder.gguf"));
        text = Files.writeString(tmp.resolve("context.txt"), "A context of a few words. And a second sentence.\n");
    }

    record Result(int code, String err) {
    }

    static Result run(List<String> args) {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        return new Result(cl.execute(args.toArray(String[]::new)), err.toString());
    }

    private static void check(String what, List<String> command) {
        String[][] cases = {{pipe.toString(), "is a named pipe, not a GGUF file"},
                {folder.toString(), "is a directory, not a GGUF file"},
                {"/dev/zero", "is a character device, not a GGUF file"}};
        for (String[] c : cases) {
            List<String> args = new ArrayList<>();
            for (String a : command) {
                args.add(a.equals("MODEL") ? c[0] : a);
            }
            Result r = run(args);
            assertEquals(1, r.code(), String.join(" ", args) + ": " + r.err());
            assertTrue(r.err().contains(what + " " + c[0] + " " + c[1]), String.join(" ", args) + ": " + r.err());
        }
    }

    @Test
    void generate() {
        check("model file", List.of("generate", "-m", "MODEL", "-p", "x"));
    }

    @Test
    void modelsInspect() {
        check("model file", List.of("models", "inspect", "-m", "MODEL"));
    }

    @Test
    void modelsQuantize() {
        check("input file", List.of("models", "quantize", "-m", "MODEL", "--out", tmp.resolve("q.gguf").toString(), "--type", "q4_0"));
    }

    @Test
    void compress() {
        check("model file", List.of("compress", "-m", "MODEL", "-f", text.toString()));
    }
}
