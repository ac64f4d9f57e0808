package io.ctxbench.gguf;

import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor description. {@code dims} are ggml order (dims[0] is the contiguous, fastest-varying dimension).
 * {@code offset} is relative to the start of the data section; {@link GgufFile#dataOffset()} gives that start.
 */
public record GgufTensorInfo(String name, long[] dims, GgmlType type, long offset) {

    public GgufTensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        dims = dims.clone();
    }

    @Override
    public long[] dims() {
        return dims.clone();
    }

    public int nDims() {
        return dims.length;
    }

    public long dim(int i) {
        return i < dims.length ? dims[i] : 1;
    }

    /** Number of elements (product of dims; 1 for zero dims). */
    public long nElements() {
        long n = 1;
        for (long d : dims) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Bytes of tensor data, unpadded. */
    public long nBytes() {
        return GgufFile.tensorBytes(type, dims);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensorInfo t && t.name.equals(name) && Arrays.equals(t.dims, dims) && t.type == type
                && t.offset == offset;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, Arrays.hashCode(dims), type, offset);
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(dims) + " @" + offset;
    }
}
