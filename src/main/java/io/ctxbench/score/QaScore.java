package io.ctxbench.score;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * LongBench's {@code qa_f1_score} (metrics.py), plus the token precision and recall behind it.
 *
 * <p>Both texts go through {@code normalize_answer}: Python {@code str.lower()}, drop the ASCII
 * characters of {@code string.punctuation}, replace {@code \b(a|an|the)\b} (Python's Unicode-aware
 * word boundary) by a space, then split on Python whitespace. F1 is computed on the multiset
 * intersection of the two token lists ({@code Counter &}).
 */
public final class QaScore {
    private QaScore() {}

    /** F1, precision and recall of one prediction against one gold answer (or the best of several). */
    public record Result(double f1, double precision, double recall) {
        public static final Result ZERO = new Result(0.0, 0.0, 0.0);
    }

    /** Python's {@code string.punctuation}. */
    private static final String PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    private static final boolean[] IS_PUNCT = new boolean[128];

    static {
        for (int i = 0; i < PUNCTUATION.length(); i++) IS_PUNCT[PUNCTUATION.charAt(i)] = true;
    }

    /**
     * The max over {@code answers}, starting at 0.0 as LongBench does (an empty list scores 0);
     * precision and recall are those of the first answer that reaches the max F1.
     */
    public static Result best(String prediction, List<String> answers) {
        List<String> pred = tokens(prediction);
        Result best = Result.ZERO;
        for (String gold : answers) {
            Result r = score(pred, tokens(gold));
            if (r.f1 > best.f1) best = r;
        }
        return best;
    }

    /** {@code qa_f1_score(prediction, gold)} with its precision and recall. */
    public static Result score(String prediction, String gold) {
        return score(tokens(prediction), tokens(gold));
    }

    /** {@code normalize_answer(s).split()}. */
    public static List<String> tokens(String s) {
        return PyText.split(removeArticles(removePunctuation(PyText.lower(s))));
    }

    /** metrics.py's {@code f1_score} on two token lists (multiset overlap), with its precision and recall. */
    static Result score(List<String> pred, List<String> gold) {
        if (pred.isEmpty() || gold.isEmpty()) return Result.ZERO;
        Map<String, int[]> counts = new HashMap<>(gold.size() * 2);
        for (String t : gold) counts.computeIfAbsent(t, k -> new int[1])[0]++;
        int common = 0;
        for (String t : pred) {
            int[] c = counts.get(t);
            if (c != null && c[0] > 0) {
                c[0]--;
                common++;
            }
        }
        if (common == 0) return Result.ZERO;
        double precision = 1.0 * common / pred.size();
        double recall = 1.0 * common / gold.size();
        double f1 = (2 * precision * recall) / (precision + recall);
        return new Result(f1, precision, recall);
    }

    private static String removePunctuation(String s) {
        StringBuilder sb = null;
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            boolean punct = c < 128 && IS_PUNCT[c];
            if (punct && sb == null) sb = new StringBuilder(n).append(s, 0, i);
            if (!punct && sb != null) sb.append(c);
        }
        return sb == null ? s : sb.toString();
    }

    /** {@code re.sub(r"\b(a|an|the)\b", " ", s)}: leftmost matches, alternatives tried in order. */
    private static String removeArticles(String s) {
        int n = s.length();
        StringBuilder sb = null;
        int copied = 0;
        for (int i = 0; i < n; ) {
            int end = -1;
            char c = s.charAt(i);
            if ((c == 'a' || c == 't') && (i == 0 || !PyText.isWord(s.codePointBefore(i)))) {
                if (c == 'a') {
                    if (boundaryAt(s, i + 1)) end = i + 1;
                    else if (s.startsWith("an", i) && boundaryAt(s, i + 2)) end = i + 2;
                } else if (s.startsWith("the", i) && boundaryAt(s, i + 3)) {
                    end = i + 3;
                }
            }
            if (end < 0) {
                i += Character.charCount(s.codePointAt(i));
                continue;
            }
            if (sb == null) sb = new StringBuilder(n);
            sb.append(s, copied, i).append(' ');
            copied = i = end;
        }
        if (sb == null) return s;
        return sb.append(s, copied, n).toString();
    }

    /** A word boundary after a word character: end of text or a non-word code point follows. */
    private static boolean boundaryAt(String s, int i) {
        return i == s.length() || !PyText.isWord(s.codePointAt(i));
    }
}
