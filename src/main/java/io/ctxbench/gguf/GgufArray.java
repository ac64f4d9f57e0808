package io.ctxbench.gguf;

import io.ctxbench.CtxbenchException;

import java.util.Arrays;
import java.util.Objects;

/**
 * A metadata array. {@code data} holds the native width: {@code byte[]} for UINT8/INT8, {@code short[]} for
 * UINT16/INT16, {@code int[]} for UINT32/INT32, {@code long[]} for UINT64/INT64 (unsigned values keep their raw bits;
 * {@link #longs()} widens with the right signedness), {@code float[]} for FLOAT32, {@code double[]} for FLOAT64, {@code boolean[]} for BOOL,
 * {@code String[]} for STRING and {@code GgufArray[]} for nested arrays.
 */
public record GgufArray(GgufValueType elementType, Object data) {

    public GgufArray {
        Objects.requireNonNull(elementType, "elementType");
        Objects.requireNonNull(data, "data");
        Class<?> expected = switch (elementType) {
            case UINT8, INT8 -> byte[].class;
            case UINT16, INT16 -> short[].class;
            case UINT32, INT32 -> int[].class;
            case UINT64, INT64 -> long[].class;
            case FLOAT32 -> float[].class;
            case FLOAT64 -> double[].class;
            case BOOL -> boolean[].class;
            case STRING -> String[].class;
            case ARRAY -> GgufArray[].class;
        };
        if (data.getClass() != expected) {
            throw new IllegalArgumentException("array of " + elementType + " needs " + expected.getSimpleName()
                    + " but got " + data.getClass().getSimpleName());
        }
    }

    public static GgufArray ofStrings(String... values) {
        return new GgufArray(GgufValueType.STRING, values.clone());
    }

    public static GgufArray ofFloats(float... values) {
        return new GgufArray(GgufValueType.FLOAT32, values.clone());
    }

    /** Integers of the given element type (values must fit it; checked when writing). */
    public static GgufArray ofIntegers(GgufValueType type, long... values) {
        if (!type.isInteger()) {
            throw new IllegalArgumentException(type + " is not an integer type");
        }
        for (long v : values) {
            GgufValue.checkRange(type, v);
        }
        Object data = switch (type) {
            case UINT8, INT8 -> { byte[] r = new byte[values.length]; for (int i = 0; i < r.length; i++) r[i] = (byte) values[i]; yield r; }
            case UINT16, INT16 -> { short[] r = new short[values.length]; for (int i = 0; i < r.length; i++) r[i] = (short) values[i]; yield r; }
            case UINT32, INT32 -> { int[] r = new int[values.length]; for (int i = 0; i < r.length; i++) r[i] = (int) values[i]; yield r; }
            default -> values.clone();
        };
        return new GgufArray(type, data);
    }

    public int length() {
        return switch (data) {
            case byte[] a -> a.length;
            case short[] a -> a.length;
            case int[] a -> a.length;
            case long[] a -> a.length;
            case float[] a -> a.length;
            case double[] a -> a.length;
            case boolean[] a -> a.length;
            case String[] a -> a.length;
            case GgufArray[] a -> a.length;
            default -> throw new IllegalStateException();
        };
    }

    public String[] strings() {
        return (String[]) require(GgufValueType.STRING);
    }

    public float[] floats() {
        return (float[]) require(GgufValueType.FLOAT32);
    }

    /** Integer elements widened to long (unsigned types zero-extended; UINT64 keeps raw bits). */
    public long[] longs() {
        if (!elementType.isInteger()) {
            throw new CtxbenchException("array holds " + elementType + ", not integers");
        }
        boolean unsigned = elementType == GgufValueType.UINT8 || elementType == GgufValueType.UINT16
                || elementType == GgufValueType.UINT32;
        return switch (data) {
            case byte[] a -> { long[] r = new long[a.length]; for (int i = 0; i < a.length; i++) r[i] = unsigned ? a[i] & 0xFFL : a[i]; yield r; }
            case short[] a -> { long[] r = new long[a.length]; for (int i = 0; i < a.length; i++) r[i] = unsigned ? a[i] & 0xFFFFL : a[i]; yield r; }
            case int[] a -> { long[] r = new long[a.length]; for (int i = 0; i < a.length; i++) r[i] = unsigned ? a[i] & 0xFFFF_FFFFL : a[i]; yield r; }
            case long[] a -> a.clone();
            default -> throw new IllegalStateException();
        };
    }

    private Object require(GgufValueType t) {
        if (elementType != t) {
            throw new CtxbenchException("array holds " + elementType + ", not " + t);
        }
        return data;
    }

    /**
     * A copy padded (or cut) to {@code n} elements. New numeric elements get {@code pad}; new strings get
     * {@code String.format(pad, index)}.
     */
    GgufArray resized(int n, Object pad) {
        Object copy = switch (data) {
            case byte[] a -> { byte[] r = Arrays.copyOf(a, n); for (int i = a.length; i < n; i++) r[i] = ((Number) pad).byteValue(); yield r; }
            case short[] a -> { short[] r = Arrays.copyOf(a, n); for (int i = a.length; i < n; i++) r[i] = ((Number) pad).shortValue(); yield r; }
            case int[] a -> { int[] r = Arrays.copyOf(a, n); for (int i = a.length; i < n; i++) r[i] = ((Number) pad).intValue(); yield r; }
            case long[] a -> { long[] r = Arrays.copyOf(a, n); for (int i = a.length; i < n; i++) r[i] = ((Number) pad).longValue(); yield r; }
            case float[] a -> { float[] r = Arrays.copyOf(a, n); for (int i = a.length; i < n; i++) r[i] = ((Number) pad).floatValue(); yield r; }
            case double[] a -> { double[] r = Arrays.copyOf(a, n); for (int i = a.length; i < n; i++) r[i] = ((Number) pad).doubleValue(); yield r; }
            case boolean[] a -> { boolean[] r = Arrays.copyOf(a, n); for (int i = a.length; i < n; i++) r[i] = (Boolean) pad; yield r; }
            case String[] a -> { String[] r = Arrays.copyOf(a, n); for (int i = a.length; i < n; i++) r[i] = String.format((String) pad, i); yield r; }
            default -> throw new IllegalStateException("cannot resize " + elementType);
        };
        return new GgufArray(elementType, copy);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufArray(GgufValueType t, Object d) && t == elementType && Objects.deepEquals(d, data);
    }

    @Override
    public int hashCode() {
        return 31 * elementType.hashCode() + Arrays.deepHashCode(new Object[] {data});
    }

    @Override
    public String toString() {
        return "array<" + elementType + ">[" + length() + "]";
    }
}
