package io.ctxbench.tasks.ruler;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/** The few Python string operations RULER's generators rely on, with Python's definitions (not Java's). */
final class PyText {
    /** Python's sort order for str: by code point (Java's compareTo orders UTF-16 units). */
    static final Comparator<String> CODE_POINT_ORDER = (a, b) -> {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    };

    private PyText() {
    }

    /** Python's {@code str.isspace()} for one character (includes U+001C..U+001F and U+0085, unlike Java's \s). */
    static boolean isSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
    }

    /** {@code s.split()}: runs of whitespace separate, no empty items. */
    static List<String> split(String s) {
        List<String> out = new ArrayList<>();
        int i = 0;
        int n = s.length();
        while (i < n) {
            while (i < n && isSpace(s.charAt(i))) {
                i++;
            }
            int start = i;
            while (i < n && !isSpace(s.charAt(i))) {
                i++;
            }
            if (i > start) {
                out.add(s.substring(start, i));
            }
        }
        return out;
    }

    /** {@code s.strip()}. */
    static String strip(String s) {
        int a = 0;
        int b = s.length();
        while (a < b && isSpace(s.charAt(a))) {
            a++;
        }
        while (b > a && isSpace(s.charAt(b - 1))) {
            b--;
        }
        return s.substring(a, b);
    }

    /** {@code re.sub(r'\s+', ' ', s)}. */
    static String collapseSpaces(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean inSpace = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (isSpace(c)) {
                if (!inSpace) {
                    sb.append(' ');
                }
                inSpace = true;
            } else {
                sb.append(c);
                inSpace = false;
            }
        }
        return sb.toString();
    }

    /**
     * Sentences as RULER's essay haystack cuts them. RULER uses nltk's punkt model (a download, not a package);
     * this splits after '.', '!' or '?' (optionally followed by one closing quote or bracket) at whitespace,
     * the rule the committed fixtures were generated with. {@code text} is stripped.
     */
    static List<String> sentences(String text) {
        List<String> out = new ArrayList<>();
        int start = 0;
        int n = text.length();
        int i = 0;
        while (i < n) {
            if (isSpace(text.charAt(i)) && i > 0 && endsSentence(text, i)) {
                if (i > start) {
                    out.add(text.substring(start, i));
                }
                while (i < n && isSpace(text.charAt(i))) {
                    i++;
                }
                start = i;
            } else {
                i++;
            }
        }
        if (start < n) {
            out.add(text.substring(start));
        }
        return out;
    }

    private static boolean endsSentence(String t, int space) {
        char p = t.charAt(space - 1);
        if (p == '.' || p == '!' || p == '?') {
            return true;
        }
        if ((p == '"' || p == '\'' || p == ')' || p == ']') && space > 1) {
            char q = t.charAt(space - 2);
            return q == '.' || q == '!' || q == '?';
        }
        return false;
    }

    /** {@code template.format(**values)} for templates with plain {name} fields, in one pass. */
    static String format(String template, Map<String, String> values) {
        StringBuilder sb = new StringBuilder(template.length() + 64);
        int i = 0;
        while (i < template.length()) {
            char c = template.charAt(i);
            int close = c == '{' ? template.indexOf('}', i) : -1;
            if (close > 0) {
                String v = values.get(template.substring(i + 1, close));
                if (v == null) {
                    throw new IllegalArgumentException("no value for " + template.substring(i, close + 1));
                }
                sb.append(v);
                i = close + 1;
            } else {
                sb.append(c);
                i++;
            }
        }
        return sb.toString();
    }
}
