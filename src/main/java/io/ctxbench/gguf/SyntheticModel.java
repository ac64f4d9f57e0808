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
 * Writes llama-architecture GGUFs with random weights in the shape of a real model, so that inference cost (compute,
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
        w.putUint32(a + ".attention.key_length", shape.headDim());
        w.putUint32(a + ".attention.value_length", shape.headDim());
        w.putFloat32(a + ".rope.freq_base", (float) shape.ropeFreqBase());
        w.putUint32(a + ".rope.dimension_count", shape.headDim());
        w.putFloat32(a + ".attention.layer_norm_rms_epsilon", (float) shape.rmsNormEps());
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
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The filler for {@code type}: norms 1.0f, matrices random small values. */
    public static GgufWriter.TensorFiller filler(Storage type, long seed) {
        return (index, tensor, byteOffset, dst) -> {
            long state = mix(seed ^ mix(index * GOLDEN + 0x632BE59BD9B4E019L) ^ mix(byteOffset + GOLDEN));
            switch (tensor.type()) {
                case F32 -> fillConstant(dst, 0x3F800000_3F800000L);
                case F16 -> fillHalf(dst, state, F16_MANT, F16_SIGN, F16_EXP_BASE, 10);
                case BF16 -> fillHalf(dst, state, BF16_MANT, F16_SIGN, BF16_EXP_BASE, 7);
                case Q4_0 -> fillQ4_0(dst, state);
                case Q4_K -> fillQ4_K(dst, state);
                case Q5_K -> fillQ5_K(dst, state);
                case Q6_K -> fillQ6_K(dst, state);
                case Q5_0 -> fillQ5_0(dst, state);
                case Q5_1 -> fillQ5_1(dst, state);
                case Q8_0 -> fillQ8_0(dst, state);
                case Q4_1 -> fillScaled(dst, state, 20, 0, 2);
                case Q2_K -> fillScaled(dst, state, 84, 80, 82);
                case Q3_K -> fillScaled(dst, state, 110, 108, -1);
                case IQ4_NL -> fillScaled(dst, state, 18, 0, -1);
                case IQ4_XS -> fillScaled(dst, state, 136, 0, -1);
                case IQ3_XXS -> fillScaled(dst, state, 98, 0, -1);
                case IQ3_S -> fillScaled(dst, state, 110, 0, -1);
                case IQ2_XXS -> fillScaled(dst, state, 66, 0, -1);
                case IQ2_XS -> fillScaled(dst, state, 74, 0, -1);
                case IQ2_S -> fillScaled(dst, state, 82, 0, -1);
                case IQ1_S -> fillScaled(dst, state, 50, 0, -1);
                default -> throw new CtxbenchException("no random filler for " + tensor.type());
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

    /**
     * Q4_0 blocks (ggml-common.h block_q4_0): f16 scale d in [2^-9, 2^-8), then 16 bytes of 4-bit quants q with value
     * (q - 8) * d, so |w| &lt;= 0.031.
     */
    private static void fillQ4_0(MemorySegment dst, long state) {
        long n = dst.byteSize();
        long blocks = n / 18;
        long scales = 0;
        for (long b = 0; b < blocks; b++) {
            long off = b * 18;
            if ((b & 3) == 0) {
                state += GOLDEN;
                scales = mix(state);
            }
            short d = (short) ((6 << 10) | (scales & 0x3FF));
            scales >>>= 16;
            state += GOLDEN;
            long q0 = mix(state);
            state += GOLDEN;
            long q1 = mix(state);
            dst.set(SHORT, off, d);
            dst.set(LONG, off + 2, q0);
            dst.set(LONG, off + 10, q1);
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
     * Q4_K blocks (block_q4_K, 144 bytes per 256 values): f16 d, f16 dmin, 12 bytes of packed 6-bit scales and mins,
     * 128 bytes of 4-bit quants; value = d * scale * q - dmin * min. d in [2^-16, 2^-15) (subnormal, as in real
     * files), dmin in [2^-13, 2^-12): values in (-0.016, 0.029), about centred.
     */
    private static void fillQ4_K(MemorySegment dst, long state) {
        long blocks = dst.byteSize() / 144;
        for (long b = 0; b < blocks; b++) {
            long off = b * 144;
            state += GOLDEN;
            long r = mix(state);
            dst.set(SHORT, off, subnormal(8, r));
            dst.set(SHORT, off + 2, half(2, r >>> 16));
            state = randomBytes(dst, off + 4, 140, state);
        }
    }

    /**
     * Q5_K blocks (block_q5_K, 176 bytes per 256 values): f16 d, f16 dmin, 12 bytes of scales and mins, 32 bytes of
     * high bits, 128 bytes of low nibbles; value = d * scale * q - dmin * min with q in 0..31. d in [2^-17, 2^-16),
     * dmin in [2^-13, 2^-12): values in (-0.016, 0.030).
     */
    private static void fillQ5_K(MemorySegment dst, long state) {
        long blocks = dst.byteSize() / 176;
        for (long b = 0; b < blocks; b++) {
            long off = b * 176;
            state += GOLDEN;
            long r = mix(state);
            dst.set(SHORT, off, subnormal(7, r));
            dst.set(SHORT, off + 2, half(2, r >>> 16));
            state = randomBytes(dst, off + 4, 172, state);
        }
    }

    /**
     * Q6_K blocks (block_q6_K, 210 bytes per 256 values): 128 bytes of low nibbles, 64 bytes of high bit pairs, 16
     * int8 scales, then f16 d at byte 208; value = d * scale * (q - 32). d in [2^-17, 2^-16): |value| &lt; 0.063.
     */
    private static void fillQ6_K(MemorySegment dst, long state) {
        long blocks = dst.byteSize() / 210;
        for (long b = 0; b < blocks; b++) {
            long off = b * 210;
            state = randomBytes(dst, off, 208, state);
            state += GOLDEN;
            dst.set(SHORT, off + 208, subnormal(7, mix(state)));
        }
    }

    /** Q5_0 blocks (22 bytes per 32 values): f16 d in [2^-10, 2^-9), 4 bytes of high bits, 16 of nibbles; value = (q - 16) * d. */
    private static void fillQ5_0(MemorySegment dst, long state) {
        long blocks = dst.byteSize() / 22;
        for (long b = 0; b < blocks; b++) {
            long off = b * 22;
            state += GOLDEN;
            dst.set(SHORT, off, half(5, mix(state)));
            state = randomBytes(dst, off + 2, 20, state);
        }
    }

    /**
     * Q5_1 blocks (24 bytes per 32 values): f16 d in [2^-10, 2^-9), f16 m in (-2^-5, -2^-6], 4 bytes of high bits, 16
     * of nibbles; value = q * d + m, in (-0.032, 0.045).
     */
    private static void fillQ5_1(MemorySegment dst, long state) {
        long blocks = dst.byteSize() / 24;
        for (long b = 0; b < blocks; b++) {
            long off = b * 24;
            state += GOLDEN;
            long r = mix(state);
            dst.set(SHORT, off, half(5, r));
            dst.set(SHORT, off + 2, (short) (0x8000 | half(9, r >>> 16)));
            state = randomBytes(dst, off + 4, 20, state);
        }
    }

    /** Q8_0 blocks (34 bytes per 32 values): f16 d in [2^-13, 2^-12), 32 int8 quants; |value| &lt; 0.032. */
    private static void fillQ8_0(MemorySegment dst, long state) {
        long blocks = dst.byteSize() / 34;
        for (long b = 0; b < blocks; b++) {
            long off = b * 34;
            state += GOLDEN;
            dst.set(SHORT, off, half(2, mix(state)));
            state = randomBytes(dst, off + 2, 32, state);
        }
    }

    /**
     * Blocks of {@code size} bytes whose only floats are an f16 scale d at {@code dOffset} and, for types with one,
     * an f16 min at {@code minOffset} (-1: none); every other byte is a quant, grid index, sign or packed sub-scale,
     * and every bit pattern of those is valid (ggml-common.h: block_q4_1, block_q2_K (d, dmin at 80, 82), block_q3_K
     * (d at 108), block_iq4_nl, block_iq4_xs, block_iq3_xxs, block_iq3_s, block_iq2_xxs, block_iq2_xs, block_iq2_s,
     * block_iq1_s (d first)). d in [2^-17, 2^-16) (subnormal, as the K types' here), min in [2^-13, 2^-12): every
     * weight is finite and below 0.07 in magnitude whatever the grid or codebook (the largest: IQ4_XS, d x 32 x 127).
     */
    private static void fillScaled(MemorySegment dst, long state, int size, int dOffset, int minOffset) {
        long blocks = dst.byteSize() / size;
        for (long b = 0; b < blocks; b++) {
            long off = b * size;
            state = randomBytes(dst, off, size, state);
            state += GOLDEN;
            long r = mix(state);
            dst.set(SHORT, off + dOffset, subnormal(7, r));
            if (minOffset >= 0) {
                dst.set(SHORT, off + minOffset, half(2, r >>> 16));
            }
        }
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
