package io.ctxbench.engine;

import io.ctxbench.llama.ffi.ggml_tensor;
import io.ctxbench.llama.ffi.llama_h;

import java.lang.foreign.MemorySegment;

/**
 * Read access to a {@code struct ggml_tensor} handed to a {@code cb_eval} callback (the importance matrix, FFN
 * calibration, SnapKV-style eviction's attention scores), through the jextract accessors of the pinned ggml.h
 * ({@link ggml_tensor}).
 */
public final class GgmlTensor {
    /** {@code enum ggml_op} and {@code enum ggml_type} values of the pinned ggml.h. */
    public static final int OP_MUL_MAT = llama_h.GGML_OP_MUL_MAT(), OP_MUL_MAT_ID = llama_h.GGML_OP_MUL_MAT_ID(),
            TYPE_F32 = llama_h.GGML_TYPE_F32();

    private final MemorySegment t;

    public GgmlTensor(MemorySegment tensor) {
        this.t = tensor.reinterpret(ggml_tensor.sizeof());
    }

    public int type() {
        return ggml_tensor.type(t);
    }

    public int op() {
        return ggml_tensor.op(t);
    }

    public long ne(int i) {
        return ggml_tensor.ne(t, i);
    }

    public long nb(int i) {
        return ggml_tensor.nb(t, i);
    }

    public long nrows() {
        return ne(1) * ne(2) * ne(3);
    }

    public String name() {
        return ggml_tensor.name(t).getString(0);
    }

    /** Source {@code i}, or null when absent. */
    public GgmlTensor src(int i) {
        MemorySegment s = ggml_tensor.src(t, i);
        return s.equals(MemorySegment.NULL) ? null : new GgmlTensor(s);
    }

    /** The data as host memory, {@code bytes} long (the tensor must live in a host buffer: CPU-only contexts). */
    public MemorySegment data(long bytes) {
        return ggml_tensor.data(t).reinterpret(bytes);
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
