package io.ctxbench.gguf;

import io.ctxbench.CtxbenchException;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Writes llama- or bert-architecture GGUFs ({@link ModelShape}) with random weights in the shape of a real model, so that inference cost (compute,
 * memory traffic, KV cache) equals the real model's without downloading it. The output is meaningless text: never use
 * such a file for quality scores. Files carry {@code ctxbench.synthetic = true}.
 *
 * <p>Weights ({@link Storage}): 2-D tensors are F16, BF16 or Q4_0 (all of them, token_embd and output included, like
 * {@code llama-quantize --pure}; a stock Q4_0 quantization would store output.weight as Q6_K), or the Q4_K_M mixture
 * with exactly the per-tensor types llama-quantize's Q4_K_M gives that shape (Q4_K, Q5_K, Q6_K and, for rows that
 * are not a multiple of 256, its fallbacks Q5_0, Q5_1, Q8_0, F16: see {@link LlamaQuantMix}); values of magnitude
 * below ~0.06 (F16/BF16/Q4_0: below ~0.03); 1-D norm weights are F32 1.0. Random bits are generated with SplitMix64
 * straight into the types' bit patterns (no float conversion; every block scale a small finite half), seeded per
 * 8 MiB chunk from (seed, tensor, offset), so the output depends only on the seed, never on the thread count.
 */
public final class SyntheticModel {

    private SyntheticModel() {
    }

    /**
     * How a synthetic model's tensors are stored: a {@link WeightType} (the types this class plans itself), or a
     * {@link Mixture} of per-tensor types planned elsewhere (llama.cpp's quantizer: {@code models.Quantizer#plan}).
     */
    public sealed interface Storage permits WeightType, Mixture {
        /** The type tensor {@code t} of {@code shape} is stored as. */
        GgmlType tensorType(ModelShape shape, ModelShape.Tensor t);

        /** LLAMA_FTYPE_* value written to general.file_type. */
        int llamaFileType();

        /** Lower-case name for messages (f16, q4_k_m, iq2_xs). */
        String label();
    }

    /**
     * Per-tensor types by name, e.g. the types llama.cpp's quantizer gives each tensor for one file type; a norm not
     * listed stays F32, any other tensor not listed is an error (the plan is for another shape).
     */
    public record Mixture(String label, int llamaFileType, Map<String, GgmlType> types) implements Storage {
        public Mixture {
            types = Map.copyOf(types);
        }

        @Override
        public GgmlType tensorType(ModelShape shape, ModelShape.Tensor t) {
            GgmlType g = types.get(t.name());
            if (g == null && t.norm()) {
                return GgmlType.F32;
            }
            if (g == null) {
                throw new CtxbenchException("the " + label + " plan has no type for tensor " + t.name() + " of shape " + shape.name());
            }
            return g;
        }
    }

    /** Storage type of the 2-D weights, with the llama_ftype written to general.file_type. */
    public enum WeightType implements Storage {
        F16(GgmlType.F16, 1),
        BF16(GgmlType.BF16, 32),
        Q4_0(GgmlType.Q4_0, 2),
        /** llama-quantize's Q4_K_M mixture (LLAMA_FTYPE_MOSTLY_Q4_K_M); {@link #ggmlType()} is its main type, Q4_K. */
        Q4_K_M(GgmlType.Q4_K, 15);

        private final GgmlType ggml;
        private final int fileType;

        WeightType(GgmlType ggml, int fileType) {
            this.ggml = ggml;
            this.fileType = fileType;
        }

        /** The type of the 2-D weights; for a mixture (Q4_K_M) its main type: see {@link #tensorType}. */
        public GgmlType ggmlType() {
            return ggml;
        }

        /** The type tensor {@code t} of {@code shape} is stored as: norms F32, 2-D weights this type (or the mixture's pick). */
        @Override
        public GgmlType tensorType(ModelShape shape, ModelShape.Tensor t) {
            if (t.norm()) {
                return GgmlType.F32;
            }
            return this == Q4_K_M ? LlamaQuantMix.q4KM(shape, t) : ggml;
        }

        /** LLAMA_FTYPE_* value (include/llama.h). */
        @Override
        public int llamaFileType() {
            return fileType;
        }

        @Override
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** Case-insensitive: f16, bf16, q4_0, q4_k_m. */
        public static WeightType parse(String s) {
            for (WeightType t : values()) {
                if (t.name().equalsIgnoreCase(s)) {
                    return t;
                }
            }
            throw new IllegalArgumentException("unknown weight type '" + s + "' (known: f16, bf16, q4_0, q4_k_m)");
        }
    }

    /** What {@link #write} produced. */
    public record Result(Path path, long fileBytes, long parameters, Duration elapsed, GgufFile file) {
        /** Write throughput in GB/s (10^9 bytes per second). */
        public double gigabytesPerSecond() {
            return fileBytes / 1e9 / Math.max(1e-9, elapsed.toNanos() / 1e9);
        }
    }

    /** The key every synthetic model carries, {@code true}. */
    public static final String MARKER = "ctxbench.synthetic";

    /** Whether {@code f} says it is a synthetic model (random or zero weights): {@link #MARKER} is boolean true. */
    public static boolean isSynthetic(GgufFile f) {
        return f.value(MARKER).map(v -> v.type() == GgufValueType.BOOL && v.asBoolean()).orElse(false);
    }

    public static final String TEMPLATE_RESOURCE_DIR = "models/templates/";
    public static final String PAD_TOKEN_FORMAT = "<|ctxbench_pad_%d|>";
    /** llama_token_type LLAMA_TOKEN_TYPE_UNUSED. */
    static final int TOKEN_TYPE_UNUSED = 5;

    /**
     * Writes a synthetic model. {@code out} appears atomically, complete, or not at all.
     *
     * @param vocabGguf a llama.cpp vocab GGUF (e.g. models/ggml-vocab-llama-bpe.gguf) whose tokenizer.* keys are copied
     * @param threads   fill/write threads (&lt;= 0: all processors)
     * @throws CtxbenchException for unusable input, too little disk space or I/O failure
     */
    public static Result write(ModelShape shape, Storage type, Path vocabGguf, Path out, long seed, int threads) {
        long t0 = System.nanoTime();
        GgufWriter w = plan(shape, type, GgufFile.open(vocabGguf), seed);
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        GgufFile f = w.write(out, filler(type, seed), n);
        Duration d = Duration.ofNanos(System.nanoTime() - t0);
        return new Result(f.path(), f.fileSize(), f.parameterCount(), d, f);
    }

    /**
     * Writes a synthetic model as a sparse file: the 2-D weights are not written (holes read back as zeros, taking no
     * disk space), norms are written as 1.0. Files carry {@code ctxbench.sparse = true}. Meant for shapes whose dense
     * file would not fit the disk (e.g. Llama-3.1-70B F16, 141 GB); loading one reads zeros from the page cache, so
     * compute cost is the real model's while the file occupies only its header and norms.
     */
    public static Result writeSparse(ModelShape shape, Storage type, Path vocabGguf, Path out, long seed, int threads) {
        long t0 = System.nanoTime();
        GgufWriter w = plan(shape, type, GgufFile.open(vocabGguf), seed);
        w.putBool("ctxbench.sparse", true);
        w.putString("general.description", "ctxbench synthetic model, SPARSE: zero matrices (file holes) in the shape of "
                + shape.name() + "; compute cost equals the real model's, output is meaningless - never use it for quality scores");
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        GgufFile f = w.write(out, filler(type, seed), n, t -> t.nDims() >= 2);
        Duration d = Duration.ofNanos(System.nanoTime() - t0);
        return new Result(f.path(), f.fileSize(), f.parameterCount(), d, f);
    }

    /** Exact file size {@link #write} would produce. */
    public static long fileSize(ModelShape shape, Storage type, Path vocabGguf) {
        return plan(shape, type, GgufFile.open(vocabGguf), 0).fileSize();
    }

    /** Tensor data bytes (unpadded) of {@code shape} stored as {@code type}, norms F32; needs no vocab file. */
    public static long tensorBytes(ModelShape shape, Storage type) {
        long s = 0;
        for (ModelShape.Tensor t : shape.tensors()) {
            s += type.tensorType(shape, t).bytesFor(t.nElements());
        }
        return s;
    }

    /** Declares all metadata and tensors of the synthetic model (nothing is written). */
    public static GgufWriter plan(ModelShape shape, Storage type, GgufFile vocab, long seed) {
        if (shape.encoder() && type != WeightType.F16 && type != WeightType.BF16) {
            throw new CtxbenchException("shape " + shape.name() + " (an encoder, arch bert) is written as f16 or bf16, not "
                    + type.label());
        }
        if (type == WeightType.Q4_0) {
            for (long d : new long[] {shape.nEmbd(), shape.nFf(), shape.qDim()}) {
                if (d % GgmlType.Q4_0.blockSize() != 0) {
                    throw new CtxbenchException("shape " + shape.name() + " cannot be stored as Q4_0: row length " + d
                            + " is not a multiple of 32");
                }
            }
        }
        GgufWriter w = new GgufWriter();
        String a = shape.arch();
        w.putString("general.architecture", a);
        w.putString("general.type", "model");
        w.putString("general.name", "synthetic " + shape.name() + " (random weights)");
        w.putString("general.description", "ctxbench synthetic model: random weights in the shape of " + shape.name()
                + "; compute cost equals the real model's, output is meaningless - never use it for quality scores");
        w.putUint32("general.file_type", type.llamaFileType());
        if (shape.tensors().stream().anyMatch(t -> type.tensorType(shape, t).isQuantized())) {
            w.putUint32("general.quantization_version", 2);
        }
        w.putBool(MARKER, true);
        w.putString("ctxbench.synthetic.shape", shape.name());
        w.put("ctxbench.synthetic.seed", GgufValue.uint64(seed));
        w.putUint32(a + ".block_count", shape.nLayer());
        w.putUint32(a + ".context_length", shape.contextLength());
        w.putUint32(a + ".embedding_length", shape.nEmbd());
        w.putUint32(a + ".feed_forward_length", shape.nFf());
        w.putUint32(a + ".attention.head_count", shape.nHead());
        w.putUint32(a + ".attention.head_count_kv", shape.nHeadKv());
        if (shape.encoder()) {   // llama_model_bert::load_arch_hparams and the common keys it needs
            w.putFloat32(a + ".attention.layer_norm_epsilon", (float) shape.rmsNormEps());
            w.putBool(a + ".attention.causal", false);
            w.putUint32(a + ".pooling_type", 0);   // none: one hidden state a token
            if (!shape.classifierLabels().isEmpty()) {
                w.putArray(a + ".classifier.output_labels", GgufArray.ofStrings(shape.classifierLabels().toArray(String[]::new)));
            }
        } else {
            w.putUint32(a + ".attention.key_length", shape.headDim());
            w.putUint32(a + ".attention.value_length", shape.headDim());
            w.putFloat32(a + ".rope.freq_base", (float) shape.ropeFreqBase());
            w.putUint32(a + ".rope.dimension_count", shape.headDim());
            w.putFloat32(a + ".attention.layer_norm_rms_epsilon", (float) shape.rmsNormEps());
        }
        w.putUint32(a + ".vocab_size", shape.nVocab());
        copyTokenizer(shape, vocab, w);

        for (ModelShape.Tensor t : shape.tensors()) {
            w.addTensor(t.name(), type.tensorType(shape, t), t.dims());
        }
        return w;
    }

    private static void copyTokenizer(ModelShape shape, GgufFile vocab, GgufWriter w) {
        String[] tokens;
        try {
            tokens = vocab.getStringArray("tokenizer.ggml.tokens");
        } catch (CtxbenchException e) {
            throw new CtxbenchException("vocab file has no tokenizer: " + e.getMessage(), e);
        }
        int nTok = tokens.length;
        if (nTok > shape.nVocab()) {
            throw new CtxbenchException("tokenizer of " + vocab.path() + " has " + nTok + " tokens, more than n_vocab "
                    + shape.nVocab() + " of shape " + shape.name());
        }
        for (Map.Entry<String, GgufValue> e : vocab.metadata().entrySet()) {
            if (!e.getKey().startsWith("tokenizer.")) {
                continue;
            }
            GgufValue v = e.getValue();
            if (nTok < shape.nVocab() && v.type() == GgufValueType.ARRAY && v.asArray().length() == nTok) {
                GgufArray arr = v.asArray();
                Object pad = switch (e.getKey()) {
                    case "tokenizer.ggml.tokens" -> PAD_TOKEN_FORMAT;
                    case "tokenizer.ggml.token_type" -> TOKEN_TYPE_UNUSED;
                    default -> 0;
                };
                if (arr.elementType() == GgufValueType.STRING && !e.getKey().equals("tokenizer.ggml.tokens")) {
                    throw new CtxbenchException("cannot pad tokenizer array " + e.getKey() + " to " + shape.nVocab());
                }
                v = GgufValue.array(arr.resized(shape.nVocab(), pad));
            }
            w.put(e.getKey(), v);
        }
        if (shape.encoder() && !vocab.has("tokenizer.ggml.token_type_count")) {
            w.putUint32("tokenizer.ggml.token_type_count", 1);   // llama.cpp's bert needs it; token_types has one row
        }
        if (!vocab.has("tokenizer.chat_template") && shape.chatTemplate() != null) {
            w.putString("tokenizer.chat_template", template(shape.chatTemplate()));
        }
    }

    static String template(String name) {
        String res = TEMPLATE_RESOURCE_DIR + name;
        try (InputStream in = SyntheticModel.class.getClassLoader().getResourceAsStream(res)) {
            if (in == null) {
                throw new CtxbenchException("chat template resource " + res + " is missing");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CtxbenchException("cannot read " + res + ": " + e, e);
        }
    }

    // ------------------------------------------------------------------ random fill

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * The filler for {@code type}: norm weights 1.0f, biases 0, matrices random small values (an F32 matrix, such as a
     * classifier head or a token-type row, uniform in (-0.0625, 0.0625)).
     */
    public static GgufWriter.TensorFiller filler(Storage type, long seed) {
        return (index, tensor, byteOffset, dst) -> {
            long state = mix(seed ^ mix(index * GOLDEN + 0x632BE59BD9B4E019L) ^ mix(byteOffset + GOLDEN));
            switch (tensor.type()) {
                case F32 -> {
                    if (tensor.name().endsWith(".bias")) {
                        fillConstant(dst, 0L);
                    } else if (tensor.dims().length >= 2) {
                        fillFloats(dst, state);
                    } else {
                        fillConstant(dst, 0x3F800000_3F800000L);
                    }
                }
                case F16 -> fillHalf(dst, state, F16_MANT, F16_SIGN, F16_EXP_BASE, 10);
                case BF16 -> fillHalf(dst, state, BF16_MANT, F16_SIGN, BF16_EXP_BASE, 7);
                default -> {
                    Blocks b = BLOCKS.get(tensor.type());
                    if (b == null) {
                        throw new CtxbenchException("no random filler for " + tensor.type());
                    }
                    fillBlocks(dst, state, b);
                }
            }
        };
    }

    private static void fillConstant(MemorySegment dst, long pattern) {
        long n = dst.byteSize();
        long i = 0;
        for (; i + 8 <= n; i += 8) {
            dst.set(LONG, i, pattern);
        }
        for (; i < n; i++) {
            dst.set(ValueLayout.JAVA_BYTE, i, (byte) (pattern >>> (8 * (i & 7))));
        }
    }

    /** Floats uniform in (-0.0625, 0.0625), 53 random bits each. */
    private static void fillFloats(MemorySegment dst, long state) {
        for (long i = 0; i + 4 <= dst.byteSize(); i += 4) {
            state += GOLDEN;
            long r = mix(state);
            float f = (float) ((r >>> 11) * 0x1.0p-53 * 0.125 - 0.0625);
            dst.set(FLOAT, i, f);
        }
    }

    // Four 16-bit lanes per long (SWAR). A lane is sign | exponent | mantissa with a random sign, a random mantissa
    // and an exponent of base + {0,1,1,2} from two random bits: magnitudes in [2^-8, 2^-5) = [0.0039, 0.031).
    private static final long F16_MANT = 0x03FF_03FF_03FF_03FFL;
    private static final long BF16_MANT = 0x007F_007F_007F_007FL;
    private static final long F16_SIGN = 0x8000_8000_8000_8000L;
    private static final long LANE_ONE = 0x0001_0001_0001_0001L;
    private static final long F16_EXP_BASE = 7 * LANE_ONE;    // 2^(7-15) = 2^-8
    private static final long BF16_EXP_BASE = 119 * LANE_ONE; // 2^(119-127) = 2^-8

    private static void fillHalf(MemorySegment dst, long state, long mantMask, long signMask, long expBase, int mantBits) {
        long n = dst.byteSize();
        long i = 0;
        for (; i + 8 <= n; i += 8) {
            state += GOLDEN;
            long r = mix(state);
            long e = expBase + ((r >>> mantBits) & LANE_ONE) + ((r >>> (mantBits + 1)) & LANE_ONE);
            dst.set(LONG, i, (r & signMask) | (e << mantBits) | (r & mantMask));
        }
        if (i < n) { // tail of 2, 4 or 6 bytes
            state += GOLDEN;
            long r = mix(state);
            long e = expBase + ((r >>> mantBits) & LANE_ONE) + ((r >>> (mantBits + 1)) & LANE_ONE);
            long v = (r & signMask) | (e << mantBits) | (r & mantMask);
            for (; i < n; i += 2, v >>>= 16) {
                dst.set(SHORT, i, (short) v);
            }
        }
    }

    // Block scales as IEEE half bit patterns: normal halves of [2^(e-15), 2^(e-14)) are (e << 10) | 10 random mantissa
    // bits; subnormal ones of [2^-24 * 2^k, 2^-24 * 2^(k+1)) are (1 << k) | k random bits. All are finite and positive.

    /** A half in [2^(exp-15), 2^(exp-14)), exp in 1..30, from 10 bits of {@code r}. */
    private static short half(int exp, long r) {
        return (short) ((exp << 10) | (r & 0x3FF));
    }

    /** A subnormal half in [2^(k-24), 2^(k-23)), k in 0..9, from k bits of {@code r}. */
    private static short subnormal(int k, long r) {
        return (short) ((1 << k) | (r & ((1 << k) - 1)));
    }

    /** Fills {@code len} bytes at {@code off} with random bits; returns the advanced state. */
    private static long randomBytes(MemorySegment dst, long off, int len, long state) {
        int i = 0;
        for (; i + 8 <= len; i += 8) {
            state += GOLDEN;
            dst.set(LONG, off + i, mix(state));
        }
        if (i < len) {
            state += GOLDEN;
            long r = mix(state);
            for (; i < len; i++, r >>>= 8) {
                dst.set(ValueLayout.JAVA_BYTE, off + i, (byte) r);
            }
        }
        return state;
    }

    /**
     * Where a block type keeps its f16 scale d (and, for types with one, its f16 min) and which magnitudes they get;
     * every other byte is a quant, grid index, sign or packed sub-scale, and every bit pattern of those is valid
     * (ggml-common.h). A scale code e > 0 is a normal half in [2^(e-15), 2^(e-14)), -k a subnormal in [2^(k-24),
     * 2^(k-23)); real files hold K-type super-block scales of that subnormal size. Weights come out below 0.07 in
     * magnitude whatever the grid or codebook (the largest: IQ4_XS, d x 32 x 127): Q4_0 (q - 8) x d below 0.031,
     * Q8_0 below 0.032, Q5_0 below 0.031, Q5_1 q x d + m in (-0.032, 0.045), Q4_K and Q5_K in (-0.016, 0.03), Q6_K
     * below 0.063.
     */
    private record Blocks(int size, int dOffset, int dScale, int minOffset, int minScale, boolean negativeMin) {
        static Blocks of(int size, int dOffset, int dScale) {
            return new Blocks(size, dOffset, dScale, -1, 0, false);
        }
    }

    private static final java.util.Map<GgmlType, Blocks> BLOCKS = java.util.Map.ofEntries(
            java.util.Map.entry(GgmlType.Q4_0, Blocks.of(18, 0, 6)),
            java.util.Map.entry(GgmlType.Q8_0, Blocks.of(34, 0, 2)),
            java.util.Map.entry(GgmlType.Q5_0, Blocks.of(22, 0, 5)),
            java.util.Map.entry(GgmlType.Q5_1, new Blocks(24, 0, 5, 2, 9, true)),
            java.util.Map.entry(GgmlType.Q4_1, new Blocks(20, 0, 5, 2, 9, true)),
            java.util.Map.entry(GgmlType.IQ4_NL, Blocks.of(18, 0, -7)),
            java.util.Map.entry(GgmlType.Q2_K, new Blocks(84, 80, -7, 82, 2, false)),
            java.util.Map.entry(GgmlType.Q3_K, Blocks.of(110, 108, -7)),
            java.util.Map.entry(GgmlType.Q4_K, new Blocks(144, 0, -8, 2, 2, false)),
            java.util.Map.entry(GgmlType.Q5_K, new Blocks(176, 0, -7, 2, 2, false)),
            java.util.Map.entry(GgmlType.Q6_K, Blocks.of(210, 208, -7)),
            java.util.Map.entry(GgmlType.IQ4_XS, Blocks.of(136, 0, -7)),
            java.util.Map.entry(GgmlType.IQ3_XXS, Blocks.of(98, 0, -7)),
            java.util.Map.entry(GgmlType.IQ3_S, Blocks.of(110, 0, -7)),
            java.util.Map.entry(GgmlType.IQ2_XXS, Blocks.of(66, 0, -7)),
            java.util.Map.entry(GgmlType.IQ2_XS, Blocks.of(74, 0, -7)),
            java.util.Map.entry(GgmlType.IQ2_S, Blocks.of(82, 0, -7)),
            java.util.Map.entry(GgmlType.IQ1_S, Blocks.of(50, 0, -7)));

    /** Whether {@link #filler} can write tensors of type {@code t}. */
    public static boolean canFill(GgmlType t) {
        return t == GgmlType.F32 || t == GgmlType.F16 || t == GgmlType.BF16 || BLOCKS.containsKey(t);
    }

    private static void fillBlocks(MemorySegment dst, long state, Blocks b) {
        long blocks = dst.byteSize() / b.size();
        for (long k = 0; k < blocks; k++) {
            long off = k * b.size();
            state = randomBytes(dst, off, b.size(), state);
            state += GOLDEN;
            long r = mix(state);
            dst.set(SHORT, off + b.dOffset(), scale(b.dScale(), r));
            if (b.minOffset() >= 0) {
                dst.set(SHORT, off + b.minOffset(), (short) ((b.negativeMin() ? 0x8000 : 0) | scale(b.minScale(), r >>> 16)));
            }
        }
    }

    private static short scale(int code, long r) {
        return code > 0 ? half(code, r) : subnormal(-code, r);
    }

    /** Decodes an IEEE half (used by tests to check magnitudes). */
    static float halfToFloat(short h) {
        return Float.float16ToFloat(h);
    }

    /** For tests: names of all tensors a shape produces. */
    static List<String> tensorNames(ModelShape s) {
        return s.tensors().stream().map(ModelShape.Tensor::name).toList();
    }
}
