package io.ctxbench.gguf;

import io.ctxbench.CtxbenchException;
import io.ctxbench.cli.ModelsCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GgufWriter atomicity and the {@code models synth} command. */
class GgufWriterTest {

    @TempDir
    Path tmp;

    private static GgufWriter twoTensors() {
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", "test");
        w.addTensor("a", GgmlType.F32, 1000, 100);   // 400,000 bytes
        w.addTensor("b", GgmlType.Q8_0, 32 * 1024, 300); // 10 MB: several chunks
        return w;
    }

    @Test
    void writesAlignedContiguousTensors() throws IOException {
        GgufWriter w = twoTensors();
        GgufFile f = w.write(tmp.resolve("ok.gguf"), (i, t, off, dst) -> dst.fill((byte) (i + 1)), 3);
        assertEquals(w.fileSize(), Files.size(f.path()));
        assertEquals(0, f.dataOffset() % 32);
        assertEquals(0, f.tensor("b").orElseThrow().offset() % 32);
        byte[] all = Files.readAllBytes(f.path());
        GgufTensorInfo b = f.tensor("b").orElseThrow();
        int start = (int) f.absoluteOffset(b);
        byte[] data = Arrays.copyOfRange(all, start, start + (int) b.nBytes());
        byte[] expect = new byte[data.length];
        Arrays.fill(expect, (byte) 2);
        assertArrayEquals(expect, data);
        // non-default alignment is recorded and honoured
        GgufWriter w64 = new GgufWriter().alignment(64);
        w64.addTensor("x", GgmlType.F16, 3);
        w64.addTensor("y", GgmlType.F16, 5);
        GgufFile g = w64.write(tmp.resolve("a64.gguf"), (i, t, off, dst) -> dst.fill((byte) 0), 1);
        assertEquals(64, g.alignment());
        assertEquals(64, g.tensor("y").orElseThrow().offset());
    }

    @Test
    void failureLeavesNoPartialFile() throws IOException {
        Path out = tmp.resolve("fail.gguf");
        AtomicInteger calls = new AtomicInteger();
        CtxbenchException e = assertThrows(CtxbenchException.class, () -> twoTensors().write(out, (i, t, off, dst) -> {
            if (calls.incrementAndGet() == 2) {
                throw new IllegalStateException("disk on fire");
            }
            dst.fill((byte) 0);
        }, 2));
        assertTrue(e.getMessage().contains("disk on fire"), e.getMessage());
        assertFalse(Files.exists(out));
        try (var s = Files.list(tmp)) {
            assertEquals(0, s.count(), "temporary file removed");
        }
        // an existing file is left untouched by a failed rewrite
        Files.writeString(out, "old");
        assertThrows(CtxbenchException.class, () -> twoTensors().write(out, (i, t, off, dst) -> {
            throw new IllegalStateException("again");
        }, 1));
        assertEquals("old", Files.readString(out));
        try (var s = Files.list(tmp)) {
            assertEquals(1, s.count());
        }
    }

    @Test
    void refusesWhenDiskIsTooSmall() throws IOException {
        GgufWriter w = new GgufWriter();
        w.addTensor("huge", GgmlType.F32, 1L << 20, 1L << 20, 1L << 10); // 4 PiB
        Path out = tmp.resolve("huge.gguf");
        CtxbenchException e = assertThrows(CtxbenchException.class, () -> w.write(out, (i, t, off, dst) -> { }, 1));
        assertTrue(e.getMessage().startsWith("not enough disk space in " + tmp.toAbsolutePath()), e.getMessage());
        assertFalse(Files.exists(out));
        try (var s = Files.list(tmp)) {
            assertEquals(0, s.count());
        }
        e = assertThrows(CtxbenchException.class, () -> twoTensors().write(tmp.resolve("no/such/dir/x.gguf"),
                (i, t, off, dst) -> { }, 1));
        assertTrue(e.getMessage().contains("output folder does not exist"), e.getMessage());
    }

    @Test
    void writerRejectsBadDeclarations() {
        GgufWriter w = new GgufWriter();
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("q", GgmlType.Q4_0, 33));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("x".repeat(64), GgmlType.F32, 1));
        w.addTensor("t", GgmlType.F32, 1);
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", GgmlType.F32, 1));
        assertThrows(IllegalStateException.class, () -> w.alignment(64));
        assertThrows(IllegalArgumentException.class, () -> w.put("", GgufValue.string("x")));
        assertThrows(IllegalArgumentException.class, () -> new GgufValue(GgufValueType.UINT8, 256L));
    }

    // ------------------------------------------------------------------ CLI

    private record Run(int exit, String out, String err) {}

    private static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new ModelsCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void cliSynthTiny() throws IOException {
        Path out = tmp.resolve("tiny.gguf");
        Run r = cli("synth", "--shape", "tiny", "--type", "q4_0", "--vocab", TestPaths.llamaBpe().toString(),
                "--out", out.toString(), "--seed", "5", "--threads", "2");
        assertEquals(0, r.exit, r.err);
        assertTrue(r.out.contains("parameters 8,282,432"), r.out);
        assertTrue(r.out.contains("size ") && r.out.contains("GB/s"), r.out);
        assertEquals(GgmlType.Q4_0, GgufFile.open(out).tensor("token_embd.weight").orElseThrow().type());
        // refuses to overwrite without --force
        Run again = cli("synth", "--shape", "tiny", "--vocab", TestPaths.llamaBpe().toString(), "--out", out.toString());
        assertEquals(2, again.exit);
        assertTrue(again.err.contains("exists; use --force"), again.err);
        Run forced = cli("synth", "--shape", "tiny", "--vocab", TestPaths.llamaBpe().toString(), "--out", out.toString(),
                "--force");
        assertEquals(0, forced.exit, forced.err);
        assertEquals(GgmlType.F16, GgufFile.open(out).tensor("token_embd.weight").orElseThrow().type());

        // q4_k_m: the mixture; --dry-run prints its types and the exact size, and writes nothing
        Path q = tmp.resolve("tiny-q4km.gguf");
        Run dry = cli("synth", "--shape", "tiny", "--type", "q4_k_m", "--vocab", TestPaths.llamaBpe().toString(), "--dry-run");
        assertEquals(0, dry.exit, dry.err);
        assertFalse(Files.exists(q));
        Run qr = cli("synth", "--shape", "tiny", "--type", "Q4_K_M", "--vocab", TestPaths.llamaBpe().toString(),
                "--out", q.toString(), "--threads", "2");
        assertEquals(0, qr.exit, qr.err);
        GgufFile qf = GgufFile.open(q);
        assertEquals(15, qf.getLong("general.file_type"));
        // tiny: rows of 64 and 128, tied output: token_embd Q8_0 (output's rule for rows not of 256); use_more_bits
        // picks layer 1 of 2, so attn_v and ffn_down are Q6_K -> Q8_0 there and Q4_K -> Q5_0 in layer 0; the rest Q5_0
        assertEquals(GgmlType.Q8_0, qf.tensor("token_embd.weight").orElseThrow().type());
        assertEquals(GgmlType.Q8_0, qf.tensor("blk.1.attn_v.weight").orElseThrow().type());
        assertEquals(GgmlType.Q5_0, qf.tensor("blk.0.attn_v.weight").orElseThrow().type());
        assertEquals(GgmlType.Q8_0, qf.tensor("blk.1.ffn_down.weight").orElseThrow().type());
        assertEquals(GgmlType.Q5_0, qf.tensor("blk.0.ffn_up.weight").orElseThrow().type());
        String d = dry.out.replaceAll(" +", " ");
        assertTrue(d.contains(String.format(java.util.Locale.ROOT, "file size %,d bytes", qf.fileSize())), dry.out);
        assertTrue(d.contains(" Q5_0 12 "), dry.out);
        assertTrue(d.contains(" Q8_0 3 "), dry.out);
        assertTrue(d.contains(" F32 5 "), dry.out);
    }

    @Test
    void cliListAndHelp() {
        Run list = cli("synth", "--list");
        assertEquals(0, list.exit);
        for (String s : new String[] {"tiny", "llama-3.1-8b", "llama-3.1-minitron-4b-width", "mistral-nemo-12b",
                "llama-3.1-70b", "8,030,261,248", "70,553,706,496"}) {
            assertTrue(list.out.contains(s), s + " in " + list.out);
        }
        Run help = cli("synth", "--help");
        assertEquals(0, help.exit);
        String h = help.out.replaceAll("\\s+", " ");
        assertTrue(h.contains("RANDOM WEIGHTS"), h);
        assertTrue(h.contains("compute cost, memory footprint and KV cache equal the real model's"), h);
        assertTrue(h.contains("NEVER use a synthetic model for quality or accuracy scores"), h);
        assertTrue(h.contains("${CTXBENCH_CACHE:-~/.cache/ctxbench}/src/llama."), h);
        assertTrue(h.contains("q4_k_m: llama-quantize's Q4_K_M mixture"), h);
        assertTrue(h.contains("--dry-run"), h);
        assertTrue(list.out.contains("Q4_K_M GiB"), list.out);
        assertEquals(0, cli("--help").exit);
    }

    @Test
    void vocabFolderGivesEachShapeItsTokenizer() {
        // --vocab FOLDER: the shape's own file in it (llama-bpe for the 8B, StarCoder's 49,152 tokens for smollm2-135m)
        String dir = TestPaths.vocab("ggml-vocab-starcoder.gguf").getParent().toString();
        Run r = cli("synth", "--shape", "smollm2-135m", "--type", "f16", "--dry-run", "--out", tmp.resolve("s.gguf").toString(),
                "--vocab", dir);
        assertEquals(0, r.exit, r.err);
        assertTrue(r.out.contains("134,515,008"), r.out);
        assertEquals(0, cli("synth", "--shape", "tiny", "--dry-run", "--out", tmp.resolve("t.gguf").toString(), "--vocab", dir).exit);
        // a folder without the shape's file: one line naming the file looked for
        r = cli("synth", "--shape", "smollm2-135m", "--dry-run", "--out", tmp.resolve("s.gguf").toString(), "--vocab", tmp.toString());
        assertEquals(2, r.exit);
        assertTrue(r.err.contains("ggml-vocab-starcoder.gguf") && r.err.contains("not found"), r.err);
    }

    @Test
    void cliBadInput() {
        String vocab = TestPaths.llamaBpe().toString();
        Run r = cli("synth", "--shape", "gpt-9", "--out", tmp.resolve("x.gguf").toString(), "--vocab", vocab);
        assertEquals(2, r.exit);
        assertTrue(r.err.contains("unknown shape 'gpt-9' (known: tiny, smollm2-135m-like, llama-3.1-8b"), r.err);
        r = cli("synth", "--shape", "tiny", "--type", "q9_9", "--out", tmp.resolve("x.gguf").toString(), "--vocab", vocab);
        assertEquals(2, r.exit);
        assertTrue(r.err.contains("unknown weight type 'q9_9': f16, bf16, q4_0, q4_k_m, or a llama-quantize type"), r.err);
        r = cli("synth", "--shape", "tiny", "--type", "copy", "--out", tmp.resolve("x.gguf").toString(), "--vocab", vocab);
        assertEquals(2, r.exit);
        assertTrue(r.err.contains("COPY is no weight type"), r.err);
        r = cli("synth", "--shape", "tiny", "--out", tmp.resolve("nodir/x.gguf").toString(), "--vocab", vocab);
        assertEquals(2, r.exit);
        assertTrue(r.err.contains("does not exist"), r.err);
        r = cli("synth", "--shape", "tiny", "--out", tmp.toString(), "--vocab", vocab);
        assertEquals(2, r.exit);
        assertTrue(r.err.contains("is a folder"), r.err);
        r = cli("synth", "--shape", "tiny", "--vocab", vocab);
        assertEquals(2, r.exit);
        assertTrue(r.err.contains("missing --out"), r.err);
        r = cli("synth", "--shape", "tiny", "--out", tmp.resolve("x.gguf").toString(), "--vocab", tmp.resolve("none.gguf").toString());
        assertEquals(2, r.exit);
        assertTrue(r.err.contains("vocab file") && r.err.contains("not found"), r.err);
        r = cli("synth", "--bogus");
        assertEquals(2, r.exit);
        if (!System.getProperty("user.name").equals("root")) {
            // read-only folder (root can write anywhere, so only checked for other users)
            Path ro = tmp.resolve("ro");
            try {
                Files.createDirectory(ro);
                assertTrue(ro.toFile().setWritable(false));
                r = cli("synth", "--shape", "tiny", "--out", ro.resolve("x.gguf").toString(), "--vocab", vocab);
                assertEquals(2, r.exit);
                assertTrue(r.err.contains("not writable"), r.err);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
        try (var s = Files.list(tmp)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".gguf")));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
