package io.ctxbench.models;

import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.Generation;
import io.ctxbench.engine.GenerationOptions;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.Session;
import io.ctxbench.engine.TestFiles;
import io.ctxbench.gguf.GgmlType;
import io.ctxbench.gguf.GgufFile;
import io.ctxbench.gguf.GgufTensorInfo;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Quantizing SmolLM2 from Java equals llama-quantize on the same input; the results load and generate. */
class QuantizerTest {
    @TempDir
    static Path dir;
    static Path smol;

    @BeforeAll
    static void setUp() {
        smol = TestFiles.smolLm2();
    }

    @ParameterizedTest
    @ValueSource(strings = {"F16", "Q8_0", "Q4_0", "Q4_K_M"})
    void javaQuantizeEqualsLlamaQuantizeAndGenerates(String type) throws Exception {
        Path mine = dir.resolve("java-" + type + ".gguf");
        Path theirs = dir.resolve("cli-" + type + ".gguf");
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        Quantizer.Result r = Quantizer.quantize(smol, mine, Quantizer.Options.of(QuantType.parse(type))
                .withAllowRequantize(true).withThreads(2).withProgress(new PrintStream(progress, true, StandardCharsets.UTF_8)));
        assertTrue(progress.toString(StandardCharsets.UTF_8).contains("272/272 tensors"), progress.toString(StandardCharsets.UTF_8));

        Process p = new ProcessBuilder(TestFiles.tool("llama-quantize").toString(), "--allow-requantize",
                smol.toString(), theirs.toString(), type, "2").redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), log);

        GgufFile a = GgufFile.open(mine);
        GgufFile b = GgufFile.open(theirs);
        assertEquals(b.fileSize(), a.fileSize());
        assertEquals(b.tensors().size(), a.tensors().size());
        for (GgufTensorInfo t : b.tensors()) {
            GgufTensorInfo m = a.tensor(t.name()).orElseThrow();
            assertEquals(t.type(), m.type(), t.name());
            assertArrayEquals(t.dims(), m.dims(), t.name());
            assertEquals(t.nBytes(), m.nBytes(), t.name());
        }
        assertEquals(a.fileSize(), r.fileBytes());
        assertEquals(a.totalTensorBytes() * 8.0 / a.parameterCount(), r.bitsPerWeight(), 1e-12);
        GgmlType main = GgmlType.byName(type.equals("Q4_K_M") ? "Q4_K" : type).orElseThrow();
        assertTrue(r.bytesByType().containsKey(main), r.bytesByType().toString());
        if (type.equals("F16")) {
            assertEquals(16.0, r.bitsPerWeight(), 0.01);
        }

        try (Model model = Model.load(Model.Params.of(mine));
             Session s = Session.open(model, Session.Params.of(256))) {
            Generation g = s.generate(model.tokenize("The capital of France is", true, false),
                    GenerationOptions.of(6).withIgnoreEos(true));
            assertEquals(6, g.tokens().length);
            assertFalse(g.text().isBlank());
        }
    }

    @Test
    void aQuantizeLlamaCppRejectsLeavesNoPartial() throws IOException {
        // a valid GGUF whose architecture llama.cpp does not know: llama_model_quantize returns an error
        byte[] b = Files.readAllBytes(smol);
        byte[] key = "general.architecture".getBytes(StandardCharsets.US_ASCII);
        int at = indexOf(b, key) + key.length + 4 + 8;   // type (u32), length (u64), then "llama"
        System.arraycopy("xxxxx".getBytes(StandardCharsets.US_ASCII), 0, b, at, 5);
        Path odd = dir.resolve("unknown-arch.gguf");
        Files.write(odd, b);
        Path out = dir.resolve("out-of-unknown-arch.gguf");
        CtxbenchException e = assertThrows(CtxbenchException.class, () -> Quantizer.quantize(odd, out,
                Quantizer.Options.of(QuantType.F16).withAllowRequantize(true)));
        assertTrue(e.getMessage().contains("unknown model architecture"), e.getMessage());
        assertNoOutput(out);
    }

    /**
     * kill -9 (or llama.cpp's abort, which halts the JVM) leaves the partial file: the next quantize of that output
     * removes it, since its pid is gone; a partial of a live writer stays. SIGTERM removes it at once (shutdown hook).
     * The output is rw-r--r-- like every file ctxbench writes.
     */
    @Test
    void partialsOfDeadWritersAreRemovedAndTermLeavesNone() throws Exception {
        Path sub = Files.createDirectories(dir.resolve("kill"));
        Path out = sub.resolve("smol-q4_k_m.gguf");
        Process killed = quantizeChild(out);
        Path partial = awaitPartial(sub, killed);
        killed.destroyForcibly();
        assertTrue(killed.waitFor(60, TimeUnit.SECONDS));
        assertTrue(Files.exists(partial), "kill -9 leaves " + partial);
        // a partial of a live process (this one) that it may still be writing stays
        long me = ProcessHandle.current().pid();
        Path live = Files.createFile(sub.resolve("." + out.getFileName() + ".quantize-" + me + "-1.partial"));
        // the same live pid on a file last written before that process started: the pid was reused, the writer is gone
        Path reused = Files.createFile(sub.resolve("." + out.getFileName() + ".quantize-" + me + "-2.partial"));
        Files.setLastModifiedTime(reused, java.nio.file.attribute.FileTime.fromMillis(
                ProcessHandle.current().info().startInstant().orElseThrow().toEpochMilli() - 60_000));

        Quantizer.quantize(smol, out, Quantizer.Options.of(QuantType.F16).withAllowRequantize(true).withThreads(2));
        assertFalse(Files.exists(partial), partial + " of dead pid " + killed.pid() + " is still there");
        assertFalse(Files.exists(reused));
        assertTrue(Files.exists(live));
        Files.delete(live);
        assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
        assertNoOutput(sub.resolve("none.gguf"));

        Process termed = quantizeChild(sub.resolve("smol-termed.gguf"));
        Path p2 = awaitPartial(sub, termed);
        termed.destroy();   // SIGTERM
        assertTrue(termed.waitFor(60, TimeUnit.SECONDS));
        assertFalse(Files.exists(p2), "SIGTERM left " + p2);
        assertNoOutput(sub.resolve("smol-termed.gguf"));
    }

    /** {@code ctxbench models quantize} in a child JVM, slow enough (Q4_K_M on one thread) to be caught while writing. */
    private static Process quantizeChild(Path out) throws IOException {
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "-Dctxbench.native.dir=" + TestFiles.nativeBuild(), "io.ctxbench.cli.Main", "models", "quantize",
                "-m", smol.toString(), "--out", out.toString(), "--type", "q4_k_m", "--allow-requantize", "--threads", "1", "--no-progress")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    private static Path awaitPartial(Path folder, Process p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            try (Stream<Path> s = Files.list(folder)) {
                var found = s.filter(x -> x.getFileName().toString().contains(".quantize-" + p.pid() + "-")).findFirst();
                if (found.isPresent()) {
                    return found.get();
                }
            }
            assertTrue(p.isAlive(), "the child quantize ended (exit " + (p.isAlive() ? "" : p.exitValue()) + ") before its partial was seen");
            Thread.sleep(10);
        }
        throw new AssertionError("no partial file of pid " + p.pid() + " appeared in " + folder);
    }

    @Test
    void requantizingNeedsConsentAndLeavesNothing() throws IOException {
        Path out = dir.resolve("refused.gguf");
        CtxbenchException e = assertThrows(CtxbenchException.class,
                () -> Quantizer.quantize(smol, out, Quantizer.Options.of(QuantType.Q8_0)));
        assertTrue(e.getMessage().contains("--allow-requantize"), e.getMessage());
        assertNoOutput(out);
    }

    @Test
    void unknownTypeNamesTheKnownOnes() {
        CtxbenchException e = assertThrows(CtxbenchException.class, () -> QuantType.parse("q4_k_x"));
        assertTrue(e.getMessage().contains("Q4_K_M"), e.getMessage());
        assertEquals(15, QuantType.parse("q4_k_m").ftype);
        assertEquals(32, QuantType.parse("bf16").ftype);
    }

    @Test
    void badMagicIsRejected() throws IOException {
        Path bad = dir.resolve("bad-magic.gguf");
        Files.write(bad, "NOTAGGUF and some more bytes to look like a file".getBytes(StandardCharsets.US_ASCII));
        assertRejected(bad, "not a GGUF file");
    }

    @Test
    void truncatedTensorDataIsRejected() throws IOException {
        Path cut = dir.resolve("truncated.gguf");
        copyPrefix(smol, cut, 20 << 20);
        assertRejected(cut, "truncated");
    }

    @Test
    void unknownTensorTypeIsRejected() throws IOException {
        Path odd = dir.resolve("unknown-type.gguf");
        byte[] head = copyPrefix(smol, odd, 8 << 20);
        // the first tensor info: name "token_embd.weight", n_dims (u32), dims (u64 each), type (u32)
        byte[] name = "token_embd.weight".getBytes(StandardCharsets.US_ASCII);
        int at = indexOf(head, name);
        assertTrue(at > 0);
        int nDims = head[at + name.length];
        int typeAt = at + name.length + 4 + 8 * nDims;
        head[typeAt] = 99;
        Files.write(odd, head);
        assertRejected(odd, "unknown tensor type 99");
    }

    private static void assertRejected(Path input, String why) throws IOException {
        Path out = dir.resolve("out-of-" + input.getFileName());
        CtxbenchException e = assertThrows(CtxbenchException.class, () -> Quantizer.quantize(input, out,
                Quantizer.Options.of(QuantType.F16).withAllowRequantize(true)));
        assertTrue(e.getMessage().contains(why), e.getMessage());
        assertNoOutput(out);
        CtxbenchException p = assertThrows(CtxbenchException.class, () -> Pruner.prune(input, out, Pruner.Spec.depth(0.5)));
        assertTrue(p.getMessage().contains(why), p.getMessage());
        assertNoOutput(out);
        CtxbenchException i = assertThrows(CtxbenchException.class, () -> ModelInspector.inspect(input));
        assertTrue(i.getMessage().contains(why), i.getMessage());
    }

    static void assertNoOutput(Path out) throws IOException {
        assertFalse(Files.exists(out), out + " exists");
        try (Stream<Path> s = Files.list(out.getParent())) {
            List<String> partial = s.map(x -> x.getFileName().toString())
                    .filter(n -> n.endsWith(".partial") || n.endsWith(".part")).toList();
            assertEquals(List.of(), partial);
        }
    }

    private static byte[] copyPrefix(Path from, Path to, int n) throws IOException {
        byte[] b;
        try (InputStream in = Files.newInputStream(from)) {
            b = in.readNBytes(n);
        }
        Files.write(to, b);
        return b;
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) continue outer;
            }
            return i;
        }
        return -1;
    }

    static boolean same(long[] a, long[] b) {
        return Arrays.equals(a, b);
    }
}
