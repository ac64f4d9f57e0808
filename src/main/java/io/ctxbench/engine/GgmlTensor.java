package io.ctxbench.engine;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Read access to a {@code struct ggml_tensor} handed to a {@code cb_eval} callback (the importance matrix, FFN
 * calibration, SnapKV-style eviction's attention scores). The struct is not in the jextract
 * bindings; its fields are at fixed offsets in the pinned ggml.h (x86-64/aarch64 LP64, checked with offsetof):
 * type @0, buffer @8, ne[4] @16, nb[4] @48, op @80, src[10] @152, data @248, name[64] @256; 336 bytes in all.
 */
public final class GgmlTensor {
    /** {@code enum ggml_op} values of the pinned ggml.h. */
    public static final int OP_MUL_MAT = 29, OP_MUL_MAT_ID = 30;
    /** {@code enum ggml_type} F32. */
    public static final int TYPE_F32 = 0;
    private static final long SIZE = 336, OFF_TYPE = 0, OFF_NE = 16, OFF_NB = 48, OFF_OP = 80, OFF_SRC = 152,
            OFF_DATA = 248, OFF_NAME = 256, NAME_LEN = 64;

    private final MemorySegment t;

    public GgmlTensor(MemorySegment tensor) {
        this.t = tensor.reinterpret(SIZE);
    }

    public int type() {
        return t.get(ValueLayout.JAVA_INT, OFF_TYPE);
    }

    public int op() {
        return t.get(ValueLayout.JAVA_INT, OFF_OP);
    }

    public long ne(int i) {
        return t.get(ValueLayout.JAVA_LONG, OFF_NE + 8L * i);
    }

    public long nb(int i) {
        return t.get(ValueLayout.JAVA_LONG, OFF_NB + 8L * i);
    }

    public long nrows() {
        return ne(1) * ne(2) * ne(3);
    }

    public String name() {
        return t.asSlice(OFF_NAME, NAME_LEN).getString(0);
    }

    /** Source {@code i}, or null when absent. */
    public GgmlTensor src(int i) {
        MemorySegment s = t.get(ValueLayout.ADDRESS, OFF_SRC + 8L * i);
        return s.equals(MemorySegment.NULL) ? null : new GgmlTensor(s);
    }

    /** The data as host memory, {@code bytes} long (the tensor must live in a host buffer: CPU-only contexts). */
    public MemorySegment data(long bytes) {
        return t.get(ValueLayout.ADDRESS, OFF_DATA).reinterpret(bytes);
    }

    /** The data, as far as the strides reach: nb[0] + sum of (ne[i] - 1) * nb[i] bytes. */
    public MemorySegment data() {
        long bytes = nb(0);
        for (int i = 0; i < 4; i++) {
            bytes += (ne(i) - 1) * nb(i);
        }
        return data(bytes);
    }
}
