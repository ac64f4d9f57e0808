package io.ctxbench.score;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The few pieces of Python 3 {@code str} behaviour that the reference implementations this project ports depend on
 * (LongBench's metrics, RULER's generators and scoring), reproduced code point by code point so that Java results
 * match the reference implementation exactly.
 */
public final class PyText {
    private PyText() {}

    /** Python's sort order for str: by code point (Java's compareTo orders UTF-16 units). */
    public static final Comparator<String> CODE_POINT_ORDER = (a, b) -> {
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

    /** Python's {@code str.strip()} with no arguments: leading and trailing {@link #isSpace} characters removed. */
    public static String strip(String s) {
        int a = 0, b = s.length();
        while (a < b && isSpace(s.charAt(a))) a++;
        while (b > a && isSpace(s.charAt(b - 1))) b--;
        return s.substring(a, b);
    }

    /** Python's {@code str.isspace()} for one code point (Unicode White_Space minus a few, plus \x1c-\x1f). */
    public static boolean isSpace(int c) {
        if (c <= 0x20) return c == 0x20 || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
        if (c < 0x85) return false;
        return c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a)
                || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
    }

    /** Python's {@code str.split()} with no arguments: runs of whitespace separate, no empty tokens. */
    public static List<String> split(CharSequence s) {
        List<String> out = new ArrayList<>();
        int n = s.length(), start = -1;
        for (int i = 0; i < n; i++) {
            // every Python whitespace character is in the BMP, so surrogates never split
            if (isSpace(s.charAt(i))) {
                if (start >= 0) {
                    out.add(s.subSequence(start, i).toString());
                    start = -1;
                }
            } else if (start < 0) {
                start = i;
            }
        }
        if (start >= 0) out.add(s.subSequence(start, n).toString());
        return out;
    }

    /** {@code re.sub(r'\s+', ' ', s)} (Python's \s on str is {@link #isSpace}). */
    public static String collapseSpaces(String s) {
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
     * {@code template.format(**values)} for templates with plain {name} fields, in one pass (text inside a value is
     * never substituted again); a field without a value is an IllegalArgumentException, as Python's KeyError.
     */
    public static String format(String template, Map<String, String> values) {
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

    /** A word character for Python 3's {@code re} on str patterns: {@code str.isalnum()} or '_'. */
    static boolean isWord(int c) {
        if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        return switch (Character.getType(c)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER, Character.DECIMAL_DIGIT_NUMBER,
                 Character.LETTER_NUMBER, Character.OTHER_NUMBER -> true;
            default -> false;
        };
    }

    /**
     * Python's {@code str.lower()}: the simple lowercase mapping, except U+0130 (two code points) and
     * capital sigma, which becomes final sigma by CPython's own context rule (not Java's word-boundary one).
     */
    public static String lower(String s) {
        int n = s.length();
        StringBuilder sb = null;
        for (int i = 0; i < n; ) {
            int c = s.codePointAt(i);
            int w = Character.charCount(c);
            int l;
            if (c == 0x130) {
                l = -1;
            } else if (c == 0x3a3) {
                l = finalSigma(s, i) ? 0x3c2 : 0x3c3;
            } else {
                l = Character.toLowerCase(c);
            }
            if (l != c && sb == null) {
                sb = new StringBuilder(n + 8).append(s, 0, i);
            }
            if (sb != null) {
                if (l == -1) sb.append('i').append('\u0307');
                else sb.appendCodePoint(l);
            }
            i += w;
        }
        return sb == null ? s : sb.toString();
    }

    /** CPython handle_capital_sigma: cased case-ignorable* SIGMA !(case-ignorable* cased). */
    private static boolean finalSigma(String s, int i) {
        int j = i, c = 0;
        boolean found = false;
        while (j > 0) {
            c = s.codePointBefore(j);
            j -= Character.charCount(c);
            if (!isCaseIgnorable(c)) {
                found = true;
                break;
            }
        }
        if (!found || !isCased(c)) return false;
        j = i + 1;
        while (j < s.length()) {
            c = s.codePointAt(j);
            if (!isCaseIgnorable(c)) return !isCased(c);
            j += Character.charCount(c);
        }
        return true;
    }

    private static boolean isCased(int c) {
        return Character.isLowerCase(c) || Character.isUpperCase(c) || Character.isTitleCase(c);
    }

    /** Unicode Case_Ignorable: Mn, Me, Cf, Lm, Sk, or Word_Break MidLetter / MidNumLet / Single_Quote. */
    private static boolean isCaseIgnorable(int c) {
        switch (Character.getType(c)) {
            case Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.FORMAT,
                 Character.MODIFIER_LETTER, Character.MODIFIER_SYMBOL:
                return true;
            default:
                break;
        }
        return switch (c) {
            case '\'', '.', ':', 0xb7, 0x387, 0x55f, 0x5f4, 0x2018, 0x2019, 0x2024, 0x2027,
                 0xfe13, 0xfe52, 0xfe55, 0xff07, 0xff0e, 0xff1a -> true;
            default -> false;
        };
    }
}
