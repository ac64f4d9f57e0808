package io.ctxbench.score;

import java.util.List;

/**
 * Exact match and contains-answer of a prediction against gold answers, the figures a short exact answer (a needle's
 * number, a count, a label) needs next to a token F1 that a full-sentence answer drags down ("The access code of the
 * scarlet lynx vault is 74893" against "74893" is F1 0.22 but contains the answer).
 *
 * <p>Both texts are normalized as SQuAD's {@code normalize_answer} does, the one {@link QaScore} uses (lowercase,
 * ASCII punctuation dropped, articles dropped, whitespace runs joined by one space). Exact match: the normalized
 * prediction equals a normalized answer. Contains: a normalized answer occurs in the normalized prediction, not
 * inside a longer ASCII word or number ("4" is not in "74893"; letters of other scripts need no boundary, so a
 * Chinese answer is found inside a Chinese sentence). An answer that normalizes to nothing is never contained. Both
 * are the max over the answers: 1 or 0, and 0 without answers.
 */
public final class AnswerMatch {
    private AnswerMatch() {
    }

    /** 1 when the normalized prediction equals one of the normalized answers, else 0. */
    public static double exactMatch(String prediction, List<String> answers) {
        String p = normalize(prediction);
        for (String a : answers) {
            if (p.equals(normalize(a))) {
                return 1;
            }
        }
        return 0;
    }

    /** 1 when one of the normalized answers occurs in the normalized prediction (at ASCII word boundaries), else 0. */
    public static double contains(String prediction, List<String> answers) {
        String p = normalize(prediction);
        for (String a : answers) {
            String n = normalize(a);
            if (!n.isEmpty() && occurs(p, n)) {
                return 1;
            }
        }
        return 0;
    }

    /** SQuAD's {@code normalize_answer}: {@link QaScore#tokens} joined by single spaces. */
    public static String normalize(String s) {
        return String.join(" ", QaScore.tokens(s));
    }

    private static boolean occurs(String text, String part) {
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            int end = i + part.length();
            if ((i == 0 || !asciiWord(text.charAt(i - 1)) || !asciiWord(part.charAt(0)))
                    && (end == text.length() || !asciiWord(text.charAt(end)) || !asciiWord(part.charAt(part.length() - 1)))) {
                return true;
            }
        }
        return false;
    }

    private static boolean asciiWord(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9';
    }
}
