package io.ctxbench.engine.chat;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps(x, ensure_ascii=False, indent=..., sort_keys=...)}, which transformers' {@code tojson}
 * filter calls: ", " and ": " between items without indent, "," and a new line per item with it; only '"', '\\'
 * and control characters escaped; None, True, False as null, true, false.
 */
final class PythonJson {
    private PythonJson() {
    }

    /** {@code indent} &lt; 0: none (one line). */
    static String dumps(Object value, int indent, boolean sortKeys) {
        StringBuilder b = new StringBuilder();
        write(b, value, indent, sortKeys, 0);
        return b.toString();
    }

    private static void write(StringBuilder b, Object v, int indent, boolean sortKeys, int depth) {
        switch (v) {
            case null -> b.append("null");
            case Boolean bool -> b.append(bool ? "true" : "false");
            case Double d -> b.append(pyFloat(d));
            case Float f -> b.append(pyFloat(f.doubleValue()));
            case BigDecimal d -> b.append(d.scale() <= 0 ? d.toBigInteger().toString() : pyFloat(d.doubleValue()));
            case Number n -> b.append(n);
            case Map<?, ?> m -> {
                List<Map.Entry<?, ?>> entries = new ArrayList<>(m.entrySet());
                if (sortKeys) {
                    entries.sort((x, y) -> String.valueOf(x.getKey()).compareTo(String.valueOf(y.getKey())));
                }
                if (entries.isEmpty()) {
                    b.append("{}");
                    return;
                }
                b.append('{');
                for (int i = 0; i < entries.size(); i++) {
                    separate(b, i, indent, depth + 1);
                    string(b, String.valueOf(entries.get(i).getKey()));
                    b.append(": ");
                    write(b, entries.get(i).getValue(), indent, sortKeys, depth + 1);
                }
                close(b, indent, depth);
                b.append('}');
            }
            case Iterable<?> it -> {
                List<Object> items = new ArrayList<>();
                it.forEach(items::add);
                if (items.isEmpty()) {
                    b.append("[]");
                    return;
                }
                b.append('[');
                for (int i = 0; i < items.size(); i++) {
                    separate(b, i, indent, depth + 1);
                    write(b, items.get(i), indent, sortKeys, depth + 1);
                }
                close(b, indent, depth);
                b.append(']');
            }
            default -> string(b, v.toString());
        }
    }

    private static void separate(StringBuilder b, int i, int indent, int depth) {
        if (i > 0) {
            b.append(indent < 0 ? ", " : ",");
        }
        if (indent >= 0) {
            b.append('\n').append(" ".repeat(indent * depth));
        }
    }

    private static void close(StringBuilder b, int indent, int depth) {
        if (indent >= 0) {
            b.append('\n').append(" ".repeat(indent * depth));
        }
    }

    private static void string(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    /** Python's float repr for the common cases: 1.0, 0.5, 1e-05, 1e+16. */
    private static String pyFloat(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        String s = Double.toString(d);
        int e = s.indexOf('E');
        if (e < 0) {
            return s;
        }
        String mant = s.substring(0, e);
        if (mant.endsWith(".0")) {
            mant = mant.substring(0, mant.length() - 2);
        }
        int exp = Integer.parseInt(s.substring(e + 1));
        if (exp >= -4 && exp < 16) {
            return new BigDecimal(s).toPlainString();
        }
        return mant + "e" + (exp < 0 ? "-" : "+") + String.format("%02d", Math.abs(exp));
    }
}
