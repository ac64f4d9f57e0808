package io.ctxbench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ctxbench.engine.TestFiles;
import java.io.File;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ctxbench} as a process (Main.main in a child JVM): what a shell sees, exit status and stderr. */
class MainProcessTest {
    @TempDir
    Path tmp;

    record Result(int code, String err) {
    }

    /** Runs Main in a fresh JVM with the given heap and standard output going to {@code stdout}. */
    static Result ctxbench(String heap, File stdout, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-Xmx" + heap));
        for (String p : List.of("ctxbench.native.dir", "ctxbench.models.dir")) {
            String v = System.getProperty(p);
            if (v != null && !v.isBlank()) {
                cmd.add("-D" + p + "=" + v);
            }
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectOutput(stdout).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES));
        return new Result(p.exitValue(), err);
    }

    static void assertStdoutFullIsAnError(String prefix, Result r) {
        assertEquals(1, r.code(), r.err());
        List<String> lines = r.err().lines().filter(l -> l.startsWith("ctxbench")).toList();
        assertEquals(List.of(prefix + ": error: cannot write to standard output: No space left on device"), lines,
                r.err());
        assertTrue(!r.err().contains("Exception"), r.err());
    }

    @Test
    void scoreToAFullDevice() throws Exception {
        Path in = Files.writeString(tmp.resolve("in.jsonl"), "{\"id\": 1, \"prediction\": \"Paris\", \"answers\": [\"Paris\"]}\n");
        assertStdoutFullIsAnError("ctxbench score", ctxbench("256m", new File("/dev/full"), "score", "-i", in.toString()));
        assertEquals(0, ctxbench("256m", tmp.resolve("ok.jsonl").toFile(), "score", "-i", in.toString()).code());
        assertTrue(Files.readString(tmp.resolve("ok.jsonl")).startsWith("{\"id\":1,"));
    }

    @Test
    void compressAndGenerateToAFullDevice() throws Exception {
        Path model = TestFiles.smolLm2();
        Path ctx = Files.writeString(tmp.resolve("ctx.txt"), "The sky is blue. Grass is green. Snow is white. ".repeat(20));
        assertStdoutFullIsAnError("ctxbench compress", ctxbench("256m", new File("/dev/full"),
                "compress", "--compressor", "extractive", "-m", model.toString(), "-f", ctx.toString(), "--rate", "2"));
        assertStdoutFullIsAnError("ctxbench generate", ctxbench("256m", new File("/dev/full"),
                "generate", "-m", model.toString(), "-p", "Hi", "-n", "2", "--json"));
    }

    @Test
    void helpToAFullDevice() throws Exception {
        assertStdoutFullIsAnError("ctxbench", ctxbench("256m", new File("/dev/full"), "--help"));
    }

    @Test
    void outOfMemoryIsOneLine() throws Exception {
        Path in = tmp.resolve("huge.jsonl");
        try (Writer w = Files.newBufferedWriter(in)) {
            w.write("{\"id\": 1, \"prediction\": \"");
            for (int i = 0; i < 4_000_000; i++) {
                w.write("word ");
            }
            w.write("\", \"answers\": [\"word\"]}\n");
        }
        Result r = ctxbench("24m", tmp.resolve("out.jsonl").toFile(), "score", "-i", in.toString());
        assertEquals(1, r.code(), r.err());
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), r.err());
        assertTrue(lines.getFirst().startsWith("ctxbench score: error: out of memory"), r.err());
        assertTrue(lines.getFirst().contains("CTXBENCH_JAVA_OPTS=-Xmx"), r.err());
    }
}
