package io.ctxbench.gguf;

import java.util.Optional;

/** Metadata value types (enum gguf_type in {@code ggml/include/gguf.h}). */
public enum GgufValueType {
    UINT8(0, 1),
    INT8(1, 1),
    UINT16(2, 2),
    INT16(3, 2),
    UINT32(4, 4),
    INT32(5, 4),
    FLOAT32(6, 4),
    BOOL(7, 1),
    STRING(8, -1),
    ARRAY(9, -1),
    UINT64(10, 8),
    INT64(11, 8),
    FLOAT64(12, 8);

    private static final GgufValueType[] BY_ID = values();

    private final int id;
    private final int size;

    GgufValueType(int id, int size) {
        this.id = id;
        this.size = size;
    }

    public int id() {
        return id;
    }

    /** Fixed byte size, or -1 for STRING and ARRAY. */
    public int size() {
        return size;
    }

    /** Smallest number of bytes one value of this type occupies in a file (used to reject hostile counts). */
    int minEncodedSize() {
        return switch (this) {
            case STRING -> 8;       // u64 length
            case ARRAY -> 12;       // i32 type + u64 count
            default -> size;
        };
    }

    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    public static Optional<GgufValueType> byId(int id) {
        return id >= 0 && id < BY_ID.length ? Optional.of(BY_ID[id]) : Optional.empty();
    }
}
