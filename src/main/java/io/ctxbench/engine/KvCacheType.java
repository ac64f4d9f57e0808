package io.ctxbench.engine;

import io.ctxbench.CtxbenchException;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Element types llama.cpp accepts for the K and V cache. {@code ggmlType} is the {@code enum ggml_type} value;
 * block size and bytes per block are ggml's (Q8_0: 34 bytes per 32 values, Q4_0: 18 bytes per 32 values, so
 * 8.5 and 4.5 bits per value).
 */
public enum KvCacheType {
    F16(1, 1, 2),
    BF16(30, 1, 2),
    Q8_0(8, 32, 34),
    Q4_0(2, 32, 18);

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

    /** The name llama.cpp's tools use: f16, bf16, q8_0, q4_0. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static KvCacheType parse(String s) {
        for (KvCacheType t : values()) {
            if (t.label().equalsIgnoreCase(s.strip())) {
                return t;
            }
        }
        throw new CtxbenchException("unknown KV cache type '" + s + "': use one of "
                + Arrays.stream(values()).map(KvCacheType::label).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return label();
    }
}
