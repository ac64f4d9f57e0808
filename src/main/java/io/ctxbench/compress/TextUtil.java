package io.ctxbench.compress;

import java.nio.charset.StandardCharsets;

/** Text helpers shared by the compressors: sanitizing, UTF-8 lengths, span arithmetic. */
final class TextUtil {
    private TextUtil() {
    }

    /**
     * Replaces unpaired UTF-16 surrogates with U+FFFD (one char for one char, so offsets are unchanged);
     * returns the same instance when there are none. Everything else, control characters included, stays.
     */
    static String sanitize(String s) {
        int n = s.length();
        char[] out = null;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                boolean paired = Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1));
                if (paired) {
                    i++;
                    continue;
                }
                if (out == null) {
                    out = s.toCharArray();
                }
                out[i] = '\uFFFD';
            }
        }
        return out == null ? s : new String(out);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** UTF-8 bytes of the code point starting at char i (4 for a surrogate pair; 1 for a lone surrogate, which the encoder writes as '?'). */
    static int utf8Length(String s, int i) {
        char c = s.charAt(i);
        if (c < 0x80) {
            return 1;
        }
        if (c < 0x800) {
            return 2;
        }
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1)) ? 4 : 1;
        }
        if (Character.isLowSurrogate(c)) {
            return 1;
        }
        return 3;
    }

    /** Splits {@code total} over the spans in proportion to their char lengths (counts add up to total). */
    static int[] proportional(int total, int[] bounds) {
        int n = bounds.length - 1;
        int[] out = new int[n];
        int len = bounds[n] - bounds[0];
        if (len <= 0) {
            return out;
        }
        long acc = 0;
        int given = 0;
        for (int i = 0; i < n; i++) {
            acc += bounds[i + 1] - bounds[i];
            int upTo = (int) Math.round((double) total * acc / len);
            out[i] = upTo - given;
            given = upTo;
        }
        return out;
    }

    /** Concatenates the [start, end) spans of s. */
    static String join(String s, java.util.List<int[]> spans) {
        StringBuilder b = new StringBuilder();
        for (int[] sp : spans) {
            b.append(s, sp[0], sp[1]);
        }
        return b.toString();
    }

    /** Adds [start, end) to an ascending span list, merging with the last span when they touch. */
    static void addSpan(java.util.List<int[]> spans, int start, int end) {
        if (end <= start) {
            return;
        }
        if (!spans.isEmpty() && spans.getLast()[1] == start) {
            spans.getLast()[1] = end;
        } else {
            spans.add(new int[]{start, end});
        }
    }
}
