package io.ctxbench.compress;

import java.util.Arrays;
import java.util.Locale;
import java.util.Set;

/**
 * Rule-based sentence splitter, no model (the project's FACTS list OpenNLP's English tokenizer/POS/chunker model
 * jars on Maven Central but no sentence-detector model; not re-checked. A rule splitter also keeps the
 * extractive path allocation-light and fast).
 *
 * <p>Rules, in order: a line break or a tab ends a sentence (LongBench multi_news separates passages with new
 * lines, the Qasper contexts separate sections with tabs); '.', '!', '?', '…' and the CJK full stops end a
 * sentence when, after any closing quotes or brackets, whitespace follows and the next word does not start
 * with a lowercase letter; a '.' after a known abbreviation (Mr, Dr, U.S, e.g, ...) or a single capital letter
 * (an initial) does not end one. Whitespace after a sentence belongs to it, so the sentences concatenate back
 * to the text exactly. A sentence longer than {@link #MAX_CHARS} is cut at its last whitespace before that
 * length (or hard, between code points, when it has none) so one unit never dominates: a 10 MB line
 * without punctuation becomes ~5,000 pieces.
 */
public final class SentenceSplitter {
    /** Longest sentence kept whole. */
    public static final int MAX_CHARS = 2000;

    private static final Set<String> ABBREVIATIONS = Set.of(
            "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "etc", "e.g", "i.e", "inc", "ltd", "co", "corp",
            "u.s", "u.k", "u.n", "no", "gen", "gov", "sen", "rep", "rev", "capt", "col", "lt", "sgt", "mt", "ft",
            "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "fig", "al", "eq",
            "approx", "dept", "est", "vol", "pp", "ca", "cf");

    private SentenceSplitter() {
    }

    /** Sentence bounds: 0 = b[0] &lt; b[1] &lt; ... &lt; b[n] = text.length(); empty text gives {0}. */
    public static int[] split(String text) {
        int n = text.length();
        int[] b = new int[16];
        int count = 1;   // b[0] = 0
        int start = 0;
        int i = 0;
        while (i < n) {
            char c = text.charAt(i);
            int end = -1;
            if (c == '\n' || c == '\t' || c == '\r') {
                end = i + 1;
            } else if (c == '.' || c == '!' || c == '?' || c == '\u2026' || c == '\u3002' || c == '\uFF01' || c == '\uFF1F') {
                int j = i + 1;
                while (j < n && isCloser(text.charAt(j))) {
                    j++;
                }
                if (c == '\u3002' || c == '\uFF01' || c == '\uFF1F') {
                    end = j;
                } else if (j < n && Character.isWhitespace(text.charAt(j))) {
                    int k = j;
                    while (k < n && (text.charAt(k) == ' ')) {
                        k++;
                    }
                    boolean lowerNext = k < n && Character.isLowerCase(text.charAt(k));
                    if (!lowerNext && !(c == '.' && abbreviation(text, start, i))) {
                        end = j;
                    }
                } else if (j >= n) {
                    end = n;
                }
            }
            if (end < 0 && i - start >= MAX_CHARS) {
                end = cut(text, start, i);
            }
            if (end > start) {
                // whitespace after the end belongs to this sentence
                while (end < n && Character.isWhitespace(text.charAt(end))) {
                    end++;
                }
                if (count == b.length) {
                    b = Arrays.copyOf(b, b.length * 2);
                }
                b[count++] = end;
                start = end;
                i = end;
                continue;
            }
            i++;
        }
        if (start < n) {
            if (count == b.length) {
                b = Arrays.copyOf(b, b.length + 1);
            }
            b[count++] = n;
        }
        return Arrays.copyOf(b, count);
    }

    private static boolean isCloser(char c) {
        return c == '"' || c == '\'' || c == ')' || c == ']' || c == '\u201D' || c == '\u2019' || c == '\u00BB';
    }

    /** Whether the word ending at the '.' at {@code dot} is an abbreviation or an initial. */
    private static boolean abbreviation(String text, int from, int dot) {
        int k = dot;
        while (k > from && !Character.isWhitespace(text.charAt(k - 1)) && text.charAt(k - 1) != '(' && text.charAt(k - 1) != '"') {
            k--;
        }
        int len = dot - k;
        if (len == 0) {
            return false;
        }
        if (len == 1 && Character.isUpperCase(text.charAt(k))) {
            return true;   // an initial: "J. Smith"
        }
        if (len > 6) {
            return false;
        }
        return ABBREVIATIONS.contains(text.substring(k, dot).toLowerCase(Locale.ROOT));
    }

    /** End of a too-long piece: after its last whitespace, else at i (not inside a surrogate pair). */
    private static int cut(String text, int start, int i) {
        for (int k = i; k > start + MAX_CHARS / 2; k--) {
            if (Character.isWhitespace(text.charAt(k - 1))) {
                return k;
            }
        }
        return Character.isLowSurrogate(text.charAt(i)) && i > start + 1 ? i - 1 : i;
    }
}
