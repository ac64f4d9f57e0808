package io.ctxbench.gguf;

import io.ctxbench.CtxbenchException;
import io.ctxbench.gguf.SyntheticModel.WeightType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SyntheticModelTest {

    @TempDir
    Path tmp;

    private static final ModelCatalog CATALOG = ModelCatalog.load();

    /** Parameter count of a llama decoder, written out independently of ModelShape.tensors(). */
    private static long llamaParams(long layers, long embd, long ff, long heads, long kvHeads, long headDim, long vocab,
                                    boolean tied) {
        long q = heads * headDim;
        long kv = kvHeads * headDim;
        long perLayer = 2 * embd          // attn_norm, ffn_norm
                + embd * q + 2 * embd * kv // q, k, v
                + q * embd                 // attn_output
                + 3 * embd * ff;           // gate, up, down
        return layers * perLayer + embd /* output_norm */ + vocab * embd * (tied ? 1 : 2);
    }

    @Test
    void catalogShapesHaveTheRealParameterCounts() {
        assertEquals(List.of("tiny", "smollm2-135m-like", "llama-3.1-8b", "llama-3.1-minitron-4b-width", "mistral-nemo-12b",
                        "mistral-nemo-minitron-8b", "mistral-nemo-minitron-8b-ff8192", "llama-3.1-minitron-4b-width-ff8192",
                        "llama-3.1-minitron-4b-width-h2048-ff8192", "llama-3.1-minitron-4b-width-h4096-ff8192", "llama-3.1-70b",
                        "smollm2-135m", "xlm-roberta-large-llmlingua2", "tiny-bert-classifier"),
                CATALOG.all().stream().map(ModelShape::name).toList());
        ModelShape l8 = CATALOG.require("llama-3.1-8b");
        assertEquals(8_030_261_248L, l8.parameterCount());
        assertEquals(128, l8.headDim());
        // F16 data: FACTS measured the real 8B F16 file as 14.96 GiB
        assertEquals(14.96, l8.tensorBytes(GgmlType.F16) / (double) (1L << 30), 0.005);
        assertEquals(70_553_706_496L, CATALOG.require("llama-3.1-70b").parameterCount());
        assertEquals(4_512_746_496L, CATALOG.require("llama-3.1-minitron-4b-width").parameterCount());
        assertEquals(12_247_782_400L, CATALOG.require("mistral-nemo-12b").parameterCount());
        // Mistral-NeMo-Minitron-8B: 8.41B parameters as published
        assertEquals(8_414_105_600L, CATALOG.require("mistral-nemo-minitron-8b").parameterCount());
        // SmolLM2-135M's 134,515,008 parameters with a 128256-row (Llama 3) embedding instead of 49152 rows
        assertEquals(134_515_008L + (128_256L - 49_152L) * 576, CATALOG.require("smollm2-135m-like").parameterCount());
        assertEquals(134_515_008L, CATALOG.require("smollm2-135m").parameterCount());
        // LLMLingua-2's xlm-roberta-large: 558,840,832 encoder parameters + a 2 x 1024 head with bias, less the 2
        // position rows llama.cpp's converter cuts, plus the 46 rows of the nomic-bert-moe vocab beyond XLM-R's 250,002
        assertEquals(558_840_832L + 2 * 1024 + 2 - 2 * 1024 + 46 * 1024, CATALOG.require("xlm-roberta-large-llmlingua2").parameterCount());
        for (ModelShape s : CATALOG.all()) {
            if (s.encoder()) {
                assertEquals("ggml-vocab-nomic-bert-moe.gguf", s.vocab());
                continue;
            }
            assertEquals(llamaParams(s.nLayer(), s.nEmbd(), s.nFf(), s.nHead(), s.nHeadKv(), s.headDim(), s.nVocab(),
                    s.tiedEmbeddings()), s.parameterCount(), s.name());
            assertFalse(s.source().isBlank());
            assertEquals(s.name().equals("smollm2-135m") ? "ggml-vocab-starcoder.gguf" : "ggml-vocab-llama-bpe.gguf", s.vocab());
        }
        assertThrows(CtxbenchException.class, () -> CATALOG.require("gpt-5"));
    }

    @Test
    void bertShapeLoadsInLlamaCpp() throws IOException {
        ModelShape s = CATALOG.require("tiny-bert-classifier");
        Path out = tmp.resolve("tiny-bert.gguf");
        SyntheticModel.write(s, WeightType.F16, TestPaths.vocab(s.vocab()), out, 7, 2);
        GgufFile f = GgufFile.open(out);
        assertEquals("bert", f.architecture());
        assertEquals(s.parameterCount(), f.parameterCount());
        assertEquals(List.of("drop", "keep"), List.of(f.getStringArray("bert.classifier.output_labels")));
        assertEquals(GgmlType.F32, f.tensor("cls.output.weight").orElseThrow().type());
        assertEquals(GgmlType.F16, f.tensor("blk.1.ffn_up.weight").orElseThrow().type());
        assertEquals(1, f.getLong("tokenizer.ggml.token_type_count"));
        // llama.cpp loads it (it refuses missing or unexpected tensors and wrong shapes)
        try (io.ctxbench.engine.Model m = io.ctxbench.engine.Model.load(io.ctxbench.engine.Model.Params.of(out).withGpuLayers(0))) {
            assertEquals("bert", m.info().architecture());
            assertEquals(64, m.info().embedding());
        }
        CtxbenchException e = assertThrows(CtxbenchException.class,
                () -> SyntheticModel.write(s, WeightType.Q4_K_M, TestPaths.vocab(s.vocab()), tmp.resolve("x.gguf"), 7, 2));
        assertTrue(e.getMessage().contains("f16 or bf16"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ModelShape("b", "bert", 2, 64, 128, 4, 2, 0, 1000, 512, 0,
                1e-5, false, "v.gguf", null, "test", null));   // bert has n_head_kv = n_head
        assertThrows(IllegalArgumentException.class, () -> new ModelShape("b", "llama", 2, 64, 128, 4, 2, 0, 1000, 512,
                1e4, 1e-5, false, "v.gguf", null, "test", List.of("a", "b")));   // a head is for bert only
    }

    @Test
    void shapeValidation() {
        assertThrows(IllegalArgumentException.class, () -> shape("bad", 64, 5, 2, 0, 1000, false)); // 64 % 5
        assertThrows(IllegalArgumentException.class, () -> shape("bad", 64, 4, 3, 0, 1000, false)); // 4 % 3
        assertThrows(IllegalArgumentException.class, () -> shape("bad", 0, 4, 2, 0, 1000, false));
        assertEquals(16, shape("ok", 64, 4, 2, 0, 1000, false).headDim());
        assertEquals(32, shape("ok", 64, 4, 2, 32, 1000, false).headDim());
    }

    private static ModelShape shape(String name, int embd, int heads, int kv, int headDim, int vocab, boolean tied) {
        return new ModelShape(name, "llama", 2, embd, 128, heads, kv, headDim, vocab, 2048, 10000, 1e-5, tied,
                "ggml-vocab-llama-bpe.gguf", "llama-3.1-instruct.jinja", "test", null);
    }

    @Test
    void tinyF16RoundTrip() throws IOException {
        ModelShape s = CATALOG.require("tiny");
        Path out = tmp.resolve("tiny-f16.gguf");
        SyntheticModel.Result r = SyntheticModel.write(s, WeightType.F16, TestPaths.llamaBpe(), out, 42, 2);
        assertEquals(out.toAbsolutePath(), r.path());
        assertEquals(Files.size(out), r.fileBytes());
        GgufFile f = GgufFile.open(out);
        assertEquals(f.fileSize(), SyntheticModel.fileSize(s, WeightType.F16, TestPaths.llamaBpe()));

        long expected = llamaParams(2, 64, 128, 4, 2, 16, 128256, true);
        assertEquals(expected, s.parameterCount());
        assertEquals(expected, f.parameterCount());
        assertEquals(expected, r.parameters());

        assertEquals("llama", f.architecture());
        assertTrue(f.getString("general.name").contains("synthetic"));
        assertTrue(f.getBoolean("ctxbench.synthetic"));
        assertTrue(SyntheticModel.isSynthetic(f));
        assertEquals(42, f.getLong("ctxbench.synthetic.seed"));
        assertEquals(1, f.getLong("general.file_type"));
        assertEquals(2, f.archLong("block_count"));
        assertEquals(4096, f.archLong("context_length"));
        assertEquals(64, f.archLong("embedding_length"));
        assertEquals(128, f.archLong("feed_forward_length"));
        assertEquals(4, f.archLong("attention.head_count"));
        assertEquals(2, f.archLong("attention.head_count_kv"));
        assertEquals(16, f.archLong("rope.dimension_count"));
        assertEquals(128256, f.archLong("vocab_size"));
        assertEquals(500000.0, f.getDouble("llama.rope.freq_base"));
        assertEquals(1e-5, f.getDouble("llama.attention.layer_norm_rms_epsilon"), 1e-10);

        // tokenizer copied verbatim, chat template added (the vocab file has none)
        GgufFile vocab = GgufFile.open(TestPaths.llamaBpe());
        assertFalse(SyntheticModel.isSynthetic(vocab));
        for (Map.Entry<String, GgufValue> e : vocab.metadata().entrySet()) {
            if (e.getKey().startsWith("tokenizer.")) {
                assertEquals(e.getValue(), f.value(e.getKey()).orElseThrow(), e.getKey());
            }
        }
        assertFalse(vocab.has("tokenizer.chat_template"));
        assertTrue(f.getString("tokenizer.chat_template").contains("<|start_header_id|>"));

        // tensors: names, shapes and types as llama.cpp's llama arch wants them
        assertEquals(SyntheticModel.tensorNames(s), f.tensors().stream().map(GgufTensorInfo::name).toList());
        assertEquals(3 + 9 * 2 - 1, f.tensors().size()); // tied: no output.weight
        assertTrue(f.tensor("output.weight").isEmpty());
        assertArrayEquals(new long[] {64, 128256}, f.tensor("token_embd.weight").orElseThrow().dims());
        assertArrayEquals(new long[] {64, 64}, f.tensor("blk.1.attn_q.weight").orElseThrow().dims());
        assertArrayEquals(new long[] {64, 32}, f.tensor("blk.1.attn_k.weight").orElseThrow().dims());
        assertArrayEquals(new long[] {64, 32}, f.tensor("blk.0.attn_v.weight").orElseThrow().dims());
        assertArrayEquals(new long[] {64, 64}, f.tensor("blk.0.attn_output.weight").orElseThrow().dims());
        assertArrayEquals(new long[] {64, 128}, f.tensor("blk.0.ffn_up.weight").orElseThrow().dims());
        assertArrayEquals(new long[] {128, 64}, f.tensor("blk.0.ffn_down.weight").orElseThrow().dims());
        assertEquals(Map.of(GgmlType.F32, 5L * 64 * 4, GgmlType.F16, (expected - 5 * 64) * 2), f.tensorBytesByType());

        try (Arena arena = Arena.ofConfined()) {
            MemorySegment norm = f.mapTensor(f.tensor("blk.1.ffn_norm.weight").orElseThrow(), arena);
            for (int i = 0; i < 64; i++) {
                assertEquals(1.0f, norm.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i));
            }
            MemorySegment emb = f.mapTensor(f.tensor("token_embd.weight").orElseThrow(), arena);
            double sum = 0, sumAbs = 0, max = 0;
            long n = emb.byteSize() / 2;
            for (long i = 0; i < n; i++) {
                float v = Float.float16ToFloat(emb.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i));
                assertTrue(Float.isFinite(v));
                sum += v;
                sumAbs += Math.abs(v);
                max = Math.max(max, Math.abs(v));
            }
            assertTrue(max < 0.032, "max |w| " + max);
            assertTrue(sumAbs / n > 0.005 && sumAbs / n < 0.03, "mean |w| " + sumAbs / n);
            assertTrue(Math.abs(sum / n) < 1e-4, "mean w " + sum / n);
        }
    }

    @Test
    void q4_0AndBf16() {
        ModelShape s = CATALOG.require("tiny");
        GgufFile q = SyntheticModel.write(s, WeightType.Q4_0, TestPaths.llamaBpe(), tmp.resolve("q.gguf"), 1, 2).file();
        assertEquals(2, q.getLong("general.file_type"));
        assertEquals(s.parameterCount(), q.parameterCount());
        GgufTensorInfo up = q.tensor("blk.0.ffn_up.weight").orElseThrow();
        assertEquals(GgmlType.Q4_0, up.type());
        assertEquals(64 * 128 / 32 * 18, up.nBytes());
        assertEquals(GgmlType.F32, q.tensor("output_norm.weight").orElseThrow().type());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = q.mapTensor(up, arena);
            for (long b = 0; b < m.byteSize() / 18; b++) {
                float d = Float.float16ToFloat(m.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), b * 18));
                assertTrue(d >= 1.0f / 512 && d < 1.0f / 256, "scale " + d);
            }
        }
        GgufFile bf = SyntheticModel.write(s, WeightType.BF16, TestPaths.llamaBpe(), tmp.resolve("bf.gguf"), 1, 1).file();
        assertEquals(32, bf.getLong("general.file_type"));
        GgufTensorInfo t = bf.tensor("blk.0.attn_q.weight").orElseThrow();
        assertEquals(GgmlType.BF16, t.type());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = bf.mapTensor(t, arena);
            for (long i = 0; i < m.byteSize() / 2; i++) {
                short h = m.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i);
                float v = Float.intBitsToFloat(h << 16);
                assertTrue(Math.abs(v) >= 1.0 / 256 && Math.abs(v) < 1.0 / 32, "bf16 " + v);
            }
        }
    }

    @Test
    void q4KMPlanOfThe70BShape() {
        // llama-quantize's Q4_K_M for Llama-3.1-70B (80 layers, GQA: LLM_TYPE_70B): attn_v Q6_K in the 40 layers
        // use_more_bits picks (0-9, 70-79, 12, 15, ..., 69), Q5_K in the other 40; ffn_down Q6_K / Q4_K in the same
        // layers; output Q6_K; token_embd and attn_q/k/output, ffn_gate/up Q4_K. (SyntheticQ4KMTest checks the rules
        // against llama-quantize itself on small shapes.)
        ModelShape s = CATALOG.require("llama-3.1-70b");
        GgufWriter w = SyntheticModel.plan(s, WeightType.Q4_K_M, GgufFile.open(TestPaths.llamaBpe()), 0);
        Map<GgmlType, Long> counts = new java.util.TreeMap<>();
        for (GgufTensorInfo t : w.tensors()) {
            counts.merge(t.type(), 1L, Long::sum);
        }
        assertEquals(Map.of(GgmlType.F32, 161L, GgmlType.Q4_K, 441L, GgmlType.Q5_K, 40L, GgmlType.Q6_K, 81L), counts);
        for (int i = 0; i < 80; i++) {
            boolean more = i < 10 || i >= 70 || (i - 10) % 3 == 2;
            assertEquals(more ? GgmlType.Q6_K : GgmlType.Q5_K, type(w, "blk." + i + ".attn_v.weight"), "layer " + i);
            assertEquals(more ? GgmlType.Q6_K : GgmlType.Q4_K, type(w, "blk." + i + ".ffn_down.weight"), "layer " + i);
        }
        assertEquals(GgmlType.Q6_K, type(w, "output.weight"));
        assertEquals(GgmlType.Q4_K, type(w, "token_embd.weight"));
        assertEquals(42_512_531_456L, SyntheticModel.tensorBytes(s, WeightType.Q4_K_M));
        assertEquals(42_520_397_920L, w.fileSize());
        // the 8B shape (32 layers) has no Q5_K: not LLM_TYPE_70B
        ModelShape l8 = CATALOG.require("llama-3.1-8b");
        GgufWriter w8 = SyntheticModel.plan(l8, WeightType.Q4_K_M, GgufFile.open(TestPaths.llamaBpe()), 0);
        assertFalse(w8.tensors().stream().anyMatch(t -> t.type() == GgmlType.Q5_K));
        assertEquals(WeightType.Q4_K_M, WeightType.parse("q4_k_m"));
        assertEquals(15, WeightType.Q4_K_M.llamaFileType());
    }

    private static GgmlType type(GgufWriter w, String name) {
        return w.tensors().stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow().type();
    }

    @Test
    void outputDependsOnSeedOnlyNotOnThreads() throws Exception {
        ModelShape s = CATALOG.require("tiny");
        Path a = SyntheticModel.write(s, WeightType.F16, TestPaths.llamaBpe(), tmp.resolve("a.gguf"), 7, 1).path();
        Path b = SyntheticModel.write(s, WeightType.F16, TestPaths.llamaBpe(), tmp.resolve("b.gguf"), 7, 3).path();
        Path c = SyntheticModel.write(s, WeightType.F16, TestPaths.llamaBpe(), tmp.resolve("c.gguf"), 8, 3).path();
        String ha = sha256(a);
        assertEquals(ha, sha256(b));
        assertNotEquals(ha, sha256(c));
    }

    private static String sha256(Path p) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(p)) {
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    @Test
    void untiedShapeWithPaddedVocabAndWideHeads() {
        // head_dim * n_head (128) > n_embd (64), as in Minitron-4B-Width; vocab larger than the tokenizer, as for Nemo
        ModelShape s = shape("odd", 64, 4, 2, 32, 128300, false);
        GgufFile f = SyntheticModel.write(s, WeightType.Q4_0, TestPaths.llamaBpe(), tmp.resolve("odd.gguf"), 3, 2).file();
        assertEquals(llamaParams(2, 64, 128, 4, 2, 32, 128300, false), f.parameterCount());
        assertArrayEquals(new long[] {64, 128}, f.tensor("blk.0.attn_q.weight").orElseThrow().dims());
        assertArrayEquals(new long[] {128, 64}, f.tensor("blk.0.attn_output.weight").orElseThrow().dims());
        assertArrayEquals(new long[] {64, 64}, f.tensor("blk.0.attn_k.weight").orElseThrow().dims());
        assertArrayEquals(new long[] {64, 128300}, f.tensor("output.weight").orElseThrow().dims());
        assertEquals(32, f.archLong("attention.key_length"));
        assertEquals(32, f.archLong("rope.dimension_count"));
        String[] tokens = f.getStringArray("tokenizer.ggml.tokens");
        assertEquals(128300, tokens.length);
        assertEquals("<|ctxbench_pad_128299|>", tokens[128299]);
        assertEquals("<|begin_of_text|>", tokens[128000]);
        long[] types = f.getArray("tokenizer.ggml.token_type").longs();
        assertEquals(128300, types.length);
        assertEquals(5, types[128299]);
        assertEquals(280147, f.getStringArray("tokenizer.ggml.merges").length); // merges are not padded
    }

    @Test
    void refusesBadInputs() {
        // tokenizer larger than n_vocab
        CtxbenchException e = assertThrows(CtxbenchException.class, () -> SyntheticModel.write(shape("small", 64, 4, 2, 0, 1000, true),
                WeightType.F16, TestPaths.llamaBpe(), tmp.resolve("x.gguf"), 1, 1));
        assertTrue(e.getMessage().contains("128256 tokens, more than n_vocab 1000"), e.getMessage());
        // Q4_0 needs rows of whole blocks
        ModelShape odd = new ModelShape("odd", "llama", 1, 48, 128, 4, 2, 0, 128256, 2048, 10000, 1e-5, true,
                "ggml-vocab-llama-bpe.gguf", null, "test", null);
        e = assertThrows(CtxbenchException.class, () -> SyntheticModel.write(odd, WeightType.Q4_0, TestPaths.llamaBpe(),
                tmp.resolve("y.gguf"), 1, 1));
        assertTrue(e.getMessage().contains("not a multiple of 32"), e.getMessage());
        // not a vocab file
        e = assertThrows(CtxbenchException.class, () -> SyntheticModel.write(CATALOG.require("tiny"), WeightType.F16,
                tmp.resolve("missing.gguf"), tmp.resolve("z.gguf"), 1, 1));
        assertTrue(e.getMessage().contains("file not found"), e.getMessage());
        assertEquals(0, tmp.toFile().list().length, "nothing written");
        assertThrows(IllegalArgumentException.class, () -> WeightType.parse("q8_0"));
        assertEquals(WeightType.Q4_0, WeightType.parse("Q4_0"));
    }
}
