package io.ctxbench.gguf;

import io.ctxbench.CtxbenchException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GgufFileTest {

    @TempDir
    Path tmp;

    @Test
    void readsSmolLm2() {
        GgufFile f = GgufFile.open(TestPaths.smolLm2());
        assertEquals(3, f.version());
        assertEquals("llama", f.architecture());
        assertEquals(30, f.archLong("block_count"));
        assertEquals(576, f.archLong("embedding_length"));
        assertEquals(1536, f.archLong("feed_forward_length"));
        assertEquals(9, f.archLong("attention.head_count"));
        assertEquals(3, f.archLong("attention.head_count_kv"));
        assertEquals(8192, f.archLong("context_length"));
        assertEquals(64, f.archLong("rope.dimension_count"));
        assertEquals(100000.0, f.getDouble("llama.rope.freq_base"));
        assertEquals(1e-5, f.getDouble("llama.attention.layer_norm_rms_epsilon"), 1e-9);
        assertEquals(49152, f.getLong("llama.vocab_size"));
        assertEquals(3, f.getInt("general.file_type")); // MOSTLY_Q4_1
        assertEquals("gpt2", f.getString("tokenizer.ggml.model"));
        assertEquals(49152, f.getStringArray("tokenizer.ggml.tokens").length);
        assertEquals(49152, f.getArray("tokenizer.ggml.token_type").longs().length);
        assertEquals(48900, f.getStringArray("tokenizer.ggml.merges").length);
        assertTrue(f.getString("tokenizer.chat_template").contains("im_start"));
        assertFalse(f.getBoolean("tokenizer.ggml.add_bos_token"));
        assertEquals(32, f.alignment());
        assertEquals(33, f.metadata().size());

        assertEquals(272, f.tensors().size()); // 2 + 30 * 9 (output tied to token_embd)
        assertEquals(134_515_008L, f.parameterCount());
        assertEquals(Map.of(GgmlType.F32, 140_544L, GgmlType.Q4_1, 66_355_200L, GgmlType.Q8_0, 30_081_024L),
                f.tensorBytesByType());
        GgufTensorInfo emb = f.tensor("token_embd.weight").orElseThrow();
        assertEquals(GgmlType.Q8_0, emb.type());
        assertArrayEquals(new long[] {576, 49152}, emb.dims());
        assertTrue(f.tensor("output.weight").isEmpty());
        GgufTensorInfo q = f.tensor("blk.29.attn_q.weight").orElseThrow();
        assertArrayEquals(new long[] {576, 576}, q.dims());
        assertArrayEquals(new long[] {576, 192}, f.tensor("blk.0.attn_k.weight").orElseThrow().dims());
        assertEquals(f.dataOffset() + f.totalTensorBytes(), f.fileSize(), 32.0 * f.tensors().size());

        GgufTensorInfo norm = f.tensor("output_norm.weight").orElseThrow();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = f.mapTensor(norm, arena);
            assertEquals(576 * 4, s.byteSize());
            float sum = 0;
            for (int i = 0; i < 576; i++) sum += Math.abs(s.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i));
            assertTrue(sum > 0 && Float.isFinite(sum), "real norm weights are finite and non-zero");
        }
    }

    @Test
    void readsEveryLlamaCppVocabFile() throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(TestPaths.llamaCppSrc().resolve("models"), "ggml-vocab-*.gguf")) {
            ds.forEach(files::add);
        }
        assertTrue(files.size() >= 15, "expected the vocab files of llama.cpp/models, found " + files);
        for (Path p : files) {
            GgufFile f = GgufFile.open(p);
            assertTrue(f.version() == 2 || f.version() == 3, p.toString());
            assertTrue(f.tensors().isEmpty(), p + " is vocab-only");
            String[] tokens = f.getStringArray("tokenizer.ggml.tokens");
            assertTrue(tokens.length > 1000, p.toString());
            assertFalse(f.getString("tokenizer.ggml.model").isEmpty(), p.toString());
            if (f.has("tokenizer.ggml.token_type")) {
                assertEquals(tokens.length, f.getArray("tokenizer.ggml.token_type").length(), p.toString());
            }
            assertFalse(f.architecture().isEmpty());
            LoadChecks.requireVocab(f);   // what llama.cpp loads cleanly is not refused
        }
        GgufFile smol = GgufFile.open(TestPaths.smolLm2());
        LoadChecks.requireModel(smol);
        LoadChecks.requireVocab(smol);
        GgufFile bpe = GgufFile.open(TestPaths.llamaBpe());
        assertEquals(128256, bpe.getStringArray("tokenizer.ggml.tokens").length);
        assertEquals("llama-bpe", bpe.getString("tokenizer.ggml.pre"));
        assertEquals(128000, bpe.getLong("tokenizer.ggml.bos_token_id"));
        assertEquals("<|begin_of_text|>", bpe.getStringArray("tokenizer.ggml.tokens")[128000]);
    }

    /** Every ggml_type of the pinned ggml.h is known under the same name and id, and nothing else is. */
    @Test
    void typeTableMatchesPinnedGgmlH() throws IOException {
        String h = Files.readString(TestPaths.llamaCppSrc().resolve("ggml/include/ggml.h"));
        Matcher m = Pattern.compile("(?m)^\\s*GGML_TYPE_(\\w+)\\s*=\\s*(\\d+),").matcher(h);
        int n = 0;
        while (m.find()) {
            String name = m.group(1);
            int id = Integer.parseInt(m.group(2));
            if (name.equals("COUNT")) {
                assertEquals(GgmlType.GGML_TYPE_COUNT, id);
                continue;
            }
            GgmlType t = GgmlType.byId(id).orElseThrow(() -> new AssertionError("missing GGML_TYPE_" + name + " = " + id));
            assertEquals(name, t.name());
            n++;
        }
        assertEquals(GgmlType.values().length, n);
        // spot checks against the block structs of ggml-common.h
        assertEquals(18, GgmlType.Q4_0.typeSize());
        assertEquals(210, GgmlType.Q6_K.typeSize());
        assertEquals(256, GgmlType.Q6_K.blockSize());
        assertEquals(17, GgmlType.MXFP4.typeSize());
        assertEquals(2, GgmlType.BF16.typeSize());
    }

    @Test
    void allValueTypesRoundTrip() {
        GgufWriter w = new GgufWriter();
        w.put("u8", new GgufValue(GgufValueType.UINT8, 255L));
        w.put("i8", new GgufValue(GgufValueType.INT8, -128L));
        w.put("u16", new GgufValue(GgufValueType.UINT16, 65535L));
        w.put("i16", new GgufValue(GgufValueType.INT16, -32768L));
        w.putUint32("u32", 0xFFFF_FFFFL);
        w.putInt32("i32", Integer.MIN_VALUE);
        w.put("u64", GgufValue.uint64(-1L));
        w.put("i64", new GgufValue(GgufValueType.INT64, Long.MIN_VALUE));
        w.putFloat32("f32", 1.5f);
        w.put("f64", new GgufValue(GgufValueType.FLOAT64, Math.PI));
        w.putBool("b", true);
        w.putString("s", "héllo ✓");
        w.putString("empty", "");
        w.putArray("a.str", GgufArray.ofStrings("a", "", "ü"));
        w.putArray("a.f32", GgufArray.ofFloats(1f, -2f));
        w.putArray("a.u8", GgufArray.ofIntegers(GgufValueType.UINT8, 0, 200, 255));
        w.putArray("a.i16", GgufArray.ofIntegers(GgufValueType.INT16, -5, 7));
        w.putArray("a.u32", GgufArray.ofIntegers(GgufValueType.UINT32, 0xFFFF_FFFFL));
        w.putArray("a.i64", GgufArray.ofIntegers(GgufValueType.INT64, Long.MAX_VALUE));
        w.putArray("a.f64", new GgufArray(GgufValueType.FLOAT64, new double[] {0.25}));
        w.putArray("a.bool", new GgufArray(GgufValueType.BOOL, new boolean[] {true, false}));
        w.putArray("a.empty", GgufArray.ofStrings());
        w.putArray("a.nested", new GgufArray(GgufValueType.ARRAY,
                new GgufArray[] {GgufArray.ofStrings("x"), GgufArray.ofFloats(3f)}));
        w.addTensor("t", GgmlType.F32, 3);
        Path out = tmp.resolve("kv.gguf");
        GgufFile f = w.write(out, (i, t, off, dst) -> dst.fill((byte) 0), 1);
        assertEquals(w.metadata(), f.metadata());
        assertEquals(255, f.getLong("u8"));
        assertEquals(-128, f.getLong("i8"));
        assertEquals(0xFFFF_FFFFL, f.getLong("u32"));
        assertEquals(-1L, f.getLong("u64"));
        assertEquals("héllo ✓", f.getString("s"));
        assertArrayEquals(new long[] {0, 200, 255}, f.getArray("a.u8").longs());
        assertArrayEquals(new long[] {0xFFFF_FFFFL}, f.getArray("a.u32").longs());
        assertEquals(2, f.getArray("a.nested").length());
        assertEquals(GgufValueType.ARRAY, f.getArray("a.nested").elementType());
        CtxbenchException e = assertThrows(CtxbenchException.class, () -> f.getString("u8"));
        assertTrue(e.getMessage().contains("'u8'") && e.getMessage().contains("not STRING"), e.getMessage());
        e = assertThrows(CtxbenchException.class, () -> f.getLong("nope"));
        assertTrue(e.getMessage().contains("missing key 'nope'"), e.getMessage());
    }

    // ------------------------------------------------------------------ corrupt inputs

    private Path file(String name, byte[] bytes) throws IOException {
        Path p = tmp.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private String error(Path p) {
        return assertThrows(CtxbenchException.class, () -> GgufFile.open(p)).getMessage();
    }

    @Test
    void badMagic() throws IOException {
        Path p = file("zip.gguf", new byte[] {'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0});
        String m = error(p);
        assertEquals("not a GGUF file (magic 'PK\\3\\4') : " + p, m);
        assertTrue(error(file("empty.gguf", new byte[0])).startsWith("not a GGUF file (only 0 bytes)"));
        assertEquals("file not found: " + tmp.resolve("absent.gguf"), error(tmp.resolve("absent.gguf")));
    }

    /** mkfifo PATH: a named pipe, which blocks whoever opens it for reading until a writer comes. */
    static Path fifo(Path p) throws IOException, InterruptedException {
        Process mk = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
        assertEquals(0, mk.waitFor(), "mkfifo " + p);
        return p;
    }

    @Test
    @Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)   // an open() blocked on a pipe ignores interrupts
    void refusesWhatIsNotARegularFileBeforeOpeningIt() throws Exception {
        Path pipe = fifo(tmp.resolve("pipe.gguf"));
        assertEquals("file " + pipe + " is a named pipe, not a GGUF file", error(pipe));
        assertEquals("file " + tmp + " is a directory, not a GGUF file", error(tmp));
        assertEquals("file /dev/zero is a character device, not a GGUF file", error(Path.of("/dev/zero")));
        assertThrows(CtxbenchException.class, () -> GgufFile.requireRegularFile(pipe, "model file"));
        GgufFile.requireRegularFile(TestPaths.llamaBpe(), "vocab file");
    }

    /** GGUF strings are UTF-8: bytes that are not are remembered (they read as U+FFFD); a real U+FFFD is not flagged. */
    @Test
    void remembersStringsThatAreNotUtf8() throws IOException {
        byte[] bad = {'a', (byte) 0xFF, 'b'};
        byte[] replacement = "a\uFFFDb".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        RawGguf g = new RawGguf().header(0, 3)
                .str("plain").i32(8).i64(bad.length).raw(bad)
                .str("list").i32(9).i32(8).i64(3).str("x").str("a\uFFFDb").i64(bad.length).raw(bad)
                .str("fine").i32(9).i32(8).i64(1).i64(replacement.length).raw(replacement);
        GgufFile f = GgufFile.open(file("utf8.gguf", g.bytes()));
        assertEquals(java.util.OptionalInt.of(0), f.invalidUtf8("plain"));
        assertEquals(java.util.OptionalInt.of(2), f.invalidUtf8("list"));
        assertEquals(java.util.OptionalInt.empty(), f.invalidUtf8("fine"));
        assertEquals("a\uFFFDb", f.getStringArray("fine")[0]);
    }

    @Test
    void badVersion() throws IOException {
        assertTrue(error(file("v1", new RawGguf().raw("GGUF".getBytes()).i32(1).i64(0).i64(0).bytes()))
                .contains("version 1 is no longer supported"));
        assertTrue(error(file("v9", new RawGguf().raw("GGUF".getBytes()).i32(9).i64(0).i64(0).bytes()))
                .contains("unsupported GGUF version 9"));
        assertTrue(error(file("be", new RawGguf().raw("GGUF".getBytes()).i32(3 << 24).i64(0).i64(0).bytes()))
                .contains("big-endian"));
    }

    @Test
    void truncatedTensorData() throws IOException {
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", "llama");
        w.addTensor("blk.0.ffn_up.weight", GgmlType.F16, 64, 32);
        w.addTensor("blk.3.ffn_up.weight", GgmlType.F16, 64, 32);
        Path full = tmp.resolve("full.gguf");
        GgufFile ok = w.write(full, (i, t, off, dst) -> dst.fill((byte) 1), 2);
        long start = ok.dataOffset() + ok.tensor("blk.3.ffn_up.weight").orElseThrow().offset();
        byte[] all = Files.readAllBytes(full);
        Path cut = file("cut.gguf", java.util.Arrays.copyOf(all, all.length - 100));
        assertEquals("truncated: tensor blk.3.ffn_up.weight needs bytes [" + start + "," + (start + 4096)
                + ") but file has " + (all.length - 100) + " : " + cut, error(cut));
        // cut inside the metadata
        Path cut2 = file("cut2.gguf", java.util.Arrays.copyOf(all, 100));
        assertTrue(error(cut2).startsWith("truncated:"), error(cut2));
    }

    @Test
    void unknownTensorType() throws IOException {
        byte[] b = new RawGguf().header(1, 0).str("x").i32(2).i64(32).i64(1).i32(99).i64(0).pad(32).zeros(256).bytes();
        assertEquals("unknown tensor type 99 for tensor x : " + tmp.resolve("t99.gguf"), error(file("t99.gguf", b)));
        byte[] removed = new RawGguf().header(1, 0).str("y").i32(1).i64(32).i32(31).i64(0).pad(32).zeros(256).bytes();
        assertTrue(error(file("t31.gguf", removed)).contains("unknown tensor type 31 for tensor y"));
    }

    @Test
    void badTensorInfos() throws IOException {
        byte[] dims = new RawGguf().header(1, 0).str("x").i32(5).zeros(64).bytes();
        assertTrue(error(file("dims.gguf", dims)).contains("tensor 'x' has 5 dimensions"));
        byte[] neg = new RawGguf().header(1, 0).str("x").i32(1).i64(-4).i32(0).i64(0).bytes();
        assertTrue(error(file("neg.gguf", neg)).contains("dimension 0 is negative"));
        byte[] block = new RawGguf().header(1, 0).str("q").i32(1).i64(33).i32(GgmlType.Q4_0.id()).i64(0).pad(32).zeros(64).bytes();
        assertTrue(error(file("block.gguf", block)).contains("not a multiple of the Q4_0 block size 32"));
        byte[] big = new RawGguf().header(1, 0).str("big").i32(4).i64(1L << 20).i64(1L << 20).i64(1L << 20).i64(1L << 20)
                .i32(0).i64(0).bytes();
        assertTrue(error(file("big.gguf", big)).contains("more elements or bytes than fit in 64 bits"));
        byte[] gap = new RawGguf().header(1, 0).str("g").i32(1).i64(8).i32(0).i64(64).pad(32).zeros(128).bytes();
        assertTrue(error(file("gap.gguf", gap)).contains("tensor 'g' has data offset 64, expected 0"));
        byte[] dup = new RawGguf().header(2, 0).str("d").i32(1).i64(8).i32(0).i64(0).str("d").i32(1).i64(8).i32(0).i64(32)
                .pad(32).zeros(64).bytes();
        assertTrue(error(file("dup.gguf", dup)).contains("duplicate tensor name 'd'"));
        byte[] dupKey = new RawGguf().header(0, 2).str("k").i32(4).i32(1).str("k").i32(4).i32(2).bytes();
        assertTrue(error(file("dupkey.gguf", dupKey)).contains("duplicate metadata key 'k'"));
        byte[] badType = new RawGguf().header(0, 1).str("k").i32(13).i32(1).bytes();
        assertTrue(error(file("badtype.gguf", badType)).contains("key 'k' at offset 24 has invalid value type 13"));
        byte[] align = new RawGguf().header(0, 1).str("general.alignment").i32(4).i32(48).bytes();
        assertTrue(error(file("align.gguf", align)).contains("alignment 48 is not a power of 2"));
    }

    /** Hostile counts and lengths are rejected before anything is allocated (a 2^60 count would need exabytes). */
    @Test
    void hostileCountsDoNotAllocate() throws IOException {
        String m = error(file("nkv.gguf", new RawGguf().header(0, 1L << 60).zeros(64).bytes()));
        assertTrue(m.contains("metadata key count 1152921504606846976 cannot fit"), m);
        m = error(file("nt.gguf", new RawGguf().header(1L << 60, 0).zeros(64).bytes()));
        assertTrue(m.contains("tensor count 1152921504606846976 cannot fit"), m);
        m = error(file("negkv.gguf", new RawGguf().header(0, -1).zeros(64).bytes()));
        assertTrue(m.contains("metadata key count 18446744073709551615"), m);
        // key string longer than the file
        m = error(file("keylen.gguf", new RawGguf().header(0, 1).i64(1L << 62).zeros(32).bytes()));
        assertTrue(m.contains("has length 4611686018427387904 but only"), m);
        // string value of 2 GiB in a tiny file
        m = error(file("strlen.gguf", new RawGguf().header(0, 1).str("k").i32(8).i64(Integer.MAX_VALUE + 1L).zeros(32).bytes()));
        assertTrue(m.contains("value of key 'k'") && m.contains("2147483648"), m);
        // array claiming 2^61 uint64 elements
        m = error(file("arr.gguf", new RawGguf().header(0, 1).str("a").i32(9).i32(10).i64(1L << 61).zeros(32).bytes()));
        assertTrue(m.contains("array 'a' at offset 37 claims 2305843009213693952 elements of UINT64"), m);
        // array of 10^9 strings (each needs >= 8 bytes)
        m = error(file("arrs.gguf", new RawGguf().header(0, 1).str("a").i32(9).i32(8).i64(1_000_000_000L).zeros(1024).bytes()));
        assertTrue(m.contains("claims 1000000000 elements of STRING"), m);
        // deeply nested arrays
        RawGguf deep = new RawGguf().header(0, 1).str("n");
        deep.i32(9);
        for (int i = 0; i < 10; i++) deep.i32(9).i64(1);
        m = error(file("deep.gguf", deep.zeros(16).bytes()));
        assertTrue(m.contains("nests arrays deeper than"), m);
        // invalid bool
        m = error(file("bool.gguf", new RawGguf().header(0, 1).str("b").i32(7).u8(7).bytes()));
        assertTrue(m.contains("bool value 7"), m);
    }
}
