package io.ctxbench.engine;

import io.ctxbench.CtxbenchException;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Element types llama.cpp accepts for the K and V cache: every type of {@code kv_cache_types} in the pinned
 * llama.cpp's common/arg.cpp (what -ctk/-ctv take), in its order. {@code ggmlType} is the {@code enum ggml_type}
 * value; block size and bytes per block are ggml's (ggml-common.h): Q8_0 34 bytes per 32 values (8.5 bits per value),
 * Q5_1 24 (6), Q5_0 22 (5.5), Q4_1 20 (5), Q4_0 and IQ4_NL 18 (4.5). K and V may differ (a mixed pair, e.g. q8_0 K
 * with a q4_0 V); a quantized V needs flash attention. On CUDA, flash attention has kernels for f16, bf16, q8_0,
 * q5_1, q5_0, q4_1 and q4_0 (f32 is converted to f16, iq4_nl has none: {@link KvPath}).
 */
public enum KvCacheType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    BF16(30, 1, 2),
    Q8_0(8, 32, 34),
    Q4_0(2, 32, 18),
    Q4_1(3, 32, 20),
    IQ4_NL(20, 32, 18),
    Q5_0(6, 32, 22),
    Q5_1(7, 32, 24);

    public final int ggmlType;
    public final int blockSize;
    public final int bytesPerBlock;

    KvCacheType(int ggmlType, int blockSize, int bytesPerBlock) {
        this.ggmlType = ggmlType;
        this.blockSize = blockSize;
        this.bytesPerBlock = bytesPerBlock;
    }

    /** Bits one cached value takes, block overhead included. */
    public double bitsPerValue() {
        return 8.0 * bytesPerBlock / blockSize;
    }

    /** Bytes of one row of {@code n} values (n must be a multiple of the block size). */
    public long rowBytes(long n) {
        if (n % blockSize != 0) {
            throw new CtxbenchException("a " + label() + " row needs a multiple of " + blockSize + " values, got " + n);
        }
        return n / blockSize * bytesPerBlock;
    }

    public boolean quantized() {
        return blockSize > 1;
    }

    /** The name llama.cpp's tools use (ggml_type_name): f32, f16, bf16, q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static KvCacheType parse(String s) {
        for (KvCacheType t : values()) {
            if (t.label().equalsIgnoreCase(s.strip())) {
                return t;
            }
        }
        throw new CtxbenchException("unknown KV cache type '" + s + "': use one of " + labels(false));
    }

    /** The labels of every type (or only the quantized ones), comma-separated, in llama.cpp's order. */
    public static String labels(boolean quantizedOnly) {
        return Arrays.stream(values()).filter(t -> !quantizedOnly || t.quantized()).map(KvCacheType::label)
                .collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return label();
    }
}
