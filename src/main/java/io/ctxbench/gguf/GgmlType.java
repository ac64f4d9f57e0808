package io.ctxbench.gguf;

import java.util.Optional;

/**
 * ggml tensor types as of the pinned llama.cpp (de3ff815): ids from {@code ggml/include/ggml.h} (enum ggml_type),
 * block sizes and block byte sizes from {@code type_traits} in {@code ggml/src/ggml.c} and the block structs in
 * {@code ggml/src/ggml-common.h}. Removed ids (4, 5, 31..33, 36..38) are not listed, as gguf.cpp rejects them.
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 18),
    Q4_1(3, 32, 20),
    Q5_0(6, 32, 22),
    Q5_1(7, 32, 24),
    Q8_0(8, 32, 34),
    Q8_1(9, 32, 36),
    Q2_K(10, 256, 84),
    Q3_K(11, 256, 110),
    Q4_K(12, 256, 144),
    Q5_K(13, 256, 176),
    Q6_K(14, 256, 210),
    Q8_K(15, 256, 292),
    IQ2_XXS(16, 256, 66),
    IQ2_XS(17, 256, 74),
    IQ3_XXS(18, 256, 98),
    IQ1_S(19, 256, 50),
    IQ4_NL(20, 32, 18),
    IQ3_S(21, 256, 110),
    IQ2_S(22, 256, 82),
    IQ4_XS(23, 256, 136),
    I8(24, 1, 1),
    I16(25, 1, 2),
    I32(26, 1, 4),
    I64(27, 1, 8),
    F64(28, 1, 8),
    IQ1_M(29, 256, 56),
    BF16(30, 1, 2),
    TQ1_0(34, 256, 54),
    TQ2_0(35, 256, 66),
    MXFP4(39, 32, 17),
    NVFP4(40, 64, 36),
    Q1_0(41, 128, 18),
    Q2_0(42, 64, 18);

    /** GGML_TYPE_COUNT in the pinned ggml.h: ids at or above it are unknown. */
    public static final int GGML_TYPE_COUNT = 43;

    private static final GgmlType[] BY_ID = new GgmlType[GGML_TYPE_COUNT];

    static {
        for (GgmlType t : values()) {
            BY_ID[t.id] = t;
        }
    }

    private final int id;
    private final int blockSize;
    private final int typeSize;

    GgmlType(int id, int blockSize, int typeSize) {
        this.id = id;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
    }

    /** The ggml_type enum value stored in GGUF tensor infos. */
    public int id() {
        return id;
    }

    /** Elements per block (1 for plain types). */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block. */
    public int typeSize() {
        return typeSize;
    }

    public boolean isQuantized() {
        return blockSize > 1;
    }

    public static Optional<GgmlType> byId(int id) {
        return id >= 0 && id < BY_ID.length ? Optional.ofNullable(BY_ID[id]) : Optional.empty();
    }

    /** Case-insensitive lookup by name ("q4_0", "F16", ...). */
    public static Optional<GgmlType> byName(String name) {
        for (GgmlType t : values()) {
            if (t.name().equalsIgnoreCase(name)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /**
     * Bytes occupied by {@code nElements} elements; {@code nElements} must be a multiple of {@link #blockSize()}.
     *
     * @throws ArithmeticException on overflow
     */
    public long bytesFor(long nElements) {
        if (nElements % blockSize != 0) {
            throw new IllegalArgumentException(nElements + " elements is not a multiple of the " + this + " block size " + blockSize);
        }
        return Math.multiplyExact(nElements / blockSize, (long) typeSize);
    }
}
