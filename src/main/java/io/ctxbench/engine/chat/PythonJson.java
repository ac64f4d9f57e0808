package io.ctxbench.engine.chat;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps(x, ensure_ascii=False, indent=..., separators=..., sort_keys=...)}, which transformers'
 * {@code tojson} filter calls: ", " and ": " between items without indent, "," and a new line per item with it,
 * unless separators say otherwise; only '"', '\\' and control characters escaped; None, True, False as null, true,
 * false.
 */
final class PythonJson {
    private final int indent;
    private final String itemSep;
    private final String keySep;
    private final boolean sortKeys;

    private PythonJson(int indent, String itemSep, String keySep, boolean sortKeys) {
        this.indent = indent;
        this.itemSep = itemSep;
        this.keySep = keySep;
        this.sortKeys = sortKeys;
    }

    /** {@code indent} &lt; 0: none (one line); {@code itemSep}/{@code keySep} null: Python's defaults for the indent. */
    static String dumps(Object value, int indent, String itemSep, String keySep, boolean sortKeys) {
        StringBuilder b = new StringBuilder();
        new PythonJson(indent, itemSep != null ? itemSep : indent < 0 ? ", " : ",", keySep != null ? keySep : ": ",
                sortKeys).write(b, value, 0);
        return b.toString();
    }

    private void write(StringBuilder b, Object v, int depth) {
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
                    separate(b, i, depth + 1);
                    string(b, String.valueOf(entries.get(i).getKey()));
                    b.append(keySep);
                    write(b, entries.get(i).getValue(), depth + 1);
                }
                close(b, depth);
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
                    separate(b, i, depth + 1);
                    write(b, items.get(i), depth + 1);
                }
                close(b, depth);
                b.append(']');
            }
            default -> string(b, v.toString());
        }
    }

    private void separate(StringBuilder b, int i, int depth) {
        if (i > 0) {
            b.append(itemSep);
        }
        if (indent >= 0) {
            b.append('\n').append(" ".repeat(indent * depth));
        }
    }

    private void close(StringBuilder b, int depth) {
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
