package io.ctxbench.gguf;

import io.ctxbench.CtxbenchException;

import java.util.Objects;

/**
 * One typed metadata value. {@code value} is a {@link Long} for every integer type (UINT64 keeps its raw bits),
 * {@link Float} for FLOAT32, {@link Double} for FLOAT64, {@link Boolean}, {@link String}, or {@link GgufArray}.
 */
public record GgufValue(GgufValueType type, Object value) {

    public GgufValue {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(value, "value");
        Class<?> expected = switch (type) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> Long.class;
            case FLOAT32 -> Float.class;
            case FLOAT64 -> Double.class;
            case BOOL -> Boolean.class;
            case STRING -> String.class;
            case ARRAY -> GgufArray.class;
        };
        if (value.getClass() != expected) {
            throw new IllegalArgumentException(type + " value needs " + expected.getSimpleName() + " but got "
                    + value.getClass().getSimpleName());
        }
        if (type.isInteger()) {
            checkRange(type, (Long) value);
        }
    }

    static void checkRange(GgufValueType type, long v) {
        boolean ok = switch (type) {
            case UINT8 -> v >= 0 && v <= 0xFF;
            case INT8 -> v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE;
            case UINT16 -> v >= 0 && v <= 0xFFFF;
            case INT16 -> v >= Short.MIN_VALUE && v <= Short.MAX_VALUE;
            case UINT32 -> v >= 0 && v <= 0xFFFF_FFFFL;
            case INT32 -> v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE;
            default -> true;
        };
        if (!ok) {
            throw new IllegalArgumentException(v + " does not fit " + type);
        }
    }

    public static GgufValue string(String s) {
        return new GgufValue(GgufValueType.STRING, s);
    }

    public static GgufValue uint32(long v) {
        return new GgufValue(GgufValueType.UINT32, v);
    }

    public static GgufValue int32(int v) {
        return new GgufValue(GgufValueType.INT32, (long) v);
    }

    public static GgufValue uint64(long v) {
        return new GgufValue(GgufValueType.UINT64, v);
    }

    public static GgufValue float32(float v) {
        return new GgufValue(GgufValueType.FLOAT32, v);
    }

    public static GgufValue bool(boolean v) {
        return new GgufValue(GgufValueType.BOOL, v);
    }

    public static GgufValue array(GgufArray a) {
        return new GgufValue(GgufValueType.ARRAY, a);
    }

    public String asString() {
        if (type != GgufValueType.STRING) {
            throw new CtxbenchException("value is " + type + ", not STRING");
        }
        return (String) value;
    }

    /** Any integer type as a long (UINT64 above Long.MAX_VALUE comes back negative: raw bits). */
    public long asLong() {
        if (!type.isInteger()) {
            throw new CtxbenchException("value is " + type + ", not an integer");
        }
        return (Long) value;
    }

    /** FLOAT32, FLOAT64 or any integer as a double. */
    public double asDouble() {
        return switch (value) {
            case Float f -> f;
            case Double d -> d;
            case Long l -> l;
            default -> throw new CtxbenchException("value is " + type + ", not a number");
        };
    }

    public boolean asBoolean() {
        if (type != GgufValueType.BOOL) {
            throw new CtxbenchException("value is " + type + ", not BOOL");
        }
        return (Boolean) value;
    }

    public GgufArray asArray() {
        if (type != GgufValueType.ARRAY) {
            throw new CtxbenchException("value is " + type + ", not ARRAY");
        }
        return (GgufArray) value;
    }

    @Override
    public String toString() {
        return switch (type) {
            case STRING -> {
                String s = (String) value;
                yield '"' + (s.length() > 60 ? s.substring(0, 60) + "...(" + s.length() + " chars)" : s) + '"';
            }
            case UINT64 -> Long.toUnsignedString((Long) value);
            default -> value.toString();
        };
    }
}
