package io.ctxbench.compress;

import java.util.Arrays;

/**
 * Model-free sentence relevance. Words are maximal runs of letters or digits, lowercased; a short list of
 * English function words is ignored. Word ids come from an open-addressing table over the chars, so scoring
 * allocates per call, not per word. One instance serves one call (not thread-safe).
 *
 * <ul>
 *   <li>With a question: Okapi BM25 (k1 = 1.2, b = 0.75) of the question's words against each sentence, the
 *       sentences being the "documents" (idf = ln(1 + (N - df + 0.5) / (df + 0.5))), plus 0.01 x the
 *       centrality below as a tie-breaker among sentences that share no word with the question.</li>
 *   <li>Without one (e.g. multi_news, whose LongBench "input" is empty): centrality, the similarity of the
 *       sentence to the whole context: sum over its distinct words of ln(1 + tf in the context) x idf, divided
 *       by sqrt(words in the sentence), times a lead bonus 1 + 0.5 / (1 + index of the sentence in its
 *       paragraph) (news put the gist first; a paragraph starts after a line break).</li>
 * </ul>
 */
final class SentenceScorer {
    private static final String[] STOP = ("a an the and or but if of to in on at by for with from as is are was were be been being "
            + "it its this that these those he she they we you i his her their our your my me him them us not no "
            + "do does did has have had will would can could should may might must shall so than then there here "
            + "which who whom whose what when where why how all any each also into about over after before such "
            + "very just only more most other some said says").split(" ");

    private int[] keys = new int[1 << 12];      // slot -> term id + 1 (0 = empty)
    private int[] hashes = new int[1 << 12];
    private char[] chars = new char[1 << 14];   // term text, back to back
    private int[] termStart = new int[1 << 10];
    private int[] termLen = new int[1 << 10];
    private int terms;
    private int stopTerms;
    private final char[] word = new char[64];

    SentenceScorer() {
        for (String s : STOP) {
            intern(s.toCharArray(), s.length());
        }
        stopTerms = terms;
    }

    /**
     * Scores each sentence [bounds[i], bounds[i+1]) of text for relevance to the question (blank: centrality).
     */
    double[] score(String text, int[] bounds, String question) {
        int n = bounds.length - 1;
        // term ids per sentence, flattened
        int[] ids = new int[Math.max(16, text.length() / 4)];
        int[] sentStart = new int[n + 1];
        boolean[] lineBreak = new boolean[n];
        int count = 0;
        for (int s = 0; s < n; s++) {
            sentStart[s] = count;
            int len = 0;
            for (int i = bounds[s]; i <= bounds[s + 1]; i++) {
                char c = i < bounds[s + 1] ? text.charAt(i) : ' ';
                if (c == '\n') {
                    lineBreak[s] = true;
                }
                if (Character.isLetterOrDigit(c)) {
                    if (len < word.length) {
                        word[len] = Character.toLowerCase(c);
                    }
                    len++;
                } else if (len > 0) {
                    int id = intern(word, Math.min(len, word.length));
                    len = 0;
                    if (id >= stopTerms) {
                        if (count == ids.length) {
                            ids = Arrays.copyOf(ids, ids.length * 2);
                        }
                        ids[count++] = id;
                    }
                }
            }
        }
        sentStart[n] = count;
        int[] tf = new int[terms];
        int[] df = new int[terms];
        int[] seen = new int[terms];
        Arrays.fill(seen, -1);
        for (int s = 0; s < n; s++) {
            for (int k = sentStart[s]; k < sentStart[s + 1]; k++) {
                int id = ids[k];
                tf[id]++;
                if (seen[id] != s) {
                    seen[id] = s;
                    df[id]++;
                }
            }
        }
        double[] idf = new double[terms];
        for (int t = 0; t < terms; t++) {
            idf[t] = Math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5));
        }
        double[] central = new double[n];
        Arrays.fill(seen, -1);
        int inParagraph = 0;
        for (int s = 0; s < n; s++) {
            double sum = 0;
            for (int k = sentStart[s]; k < sentStart[s + 1]; k++) {
                int id = ids[k];
                if (seen[id] != s) {
                    seen[id] = s;
                    sum += Math.log1p(tf[id]) * idf[id];
                }
            }
            int words = sentStart[s + 1] - sentStart[s];
            central[s] = words == 0 ? 0 : sum / Math.sqrt(words) * (1 + 0.5 / (1 + inParagraph));
            inParagraph = lineBreak[s] ? 0 : inParagraph + 1;
        }
        int[] q = questionTerms(question, tf.length);
        if (q.length == 0) {
            return central;
        }
        double avg = (double) count / Math.max(1, n);
        double[] out = new double[n];
        double k1 = 1.2, b = 0.75;
        int[] tfs = new int[terms];
        for (int s = 0; s < n; s++) {
            for (int k = sentStart[s]; k < sentStart[s + 1]; k++) {
                tfs[ids[k]]++;
            }
            int len = sentStart[s + 1] - sentStart[s];
            double bm = 0;
            for (int id : q) {
                int f = tfs[id];
                if (f > 0) {
                    bm += idf[id] * f * (k1 + 1) / (f + k1 * (1 - b + b * len / avg));
                }
            }
            for (int k = sentStart[s]; k < sentStart[s + 1]; k++) {
                tfs[ids[k]] = 0;
            }
            out[s] = bm + 0.01 * central[s];
        }
        return out;
    }

    /** Distinct ids of the question's words that occur in the context (ids below {@code known}), stop words out. */
    private int[] questionTerms(String question, int known) {
        int[] out = new int[8];
        int n = 0;
        int len = 0;
        for (int i = 0; i <= question.length(); i++) {
            char c = i < question.length() ? question.charAt(i) : ' ';
            if (Character.isLetterOrDigit(c)) {
                if (len < word.length) {
                    word[len] = Character.toLowerCase(c);
                }
                len++;
            } else if (len > 0) {
                int id = find(word, Math.min(len, word.length));
                len = 0;
                if (id >= stopTerms && id < known) {
                    boolean dup = false;
                    for (int k = 0; k < n; k++) {
                        dup |= out[k] == id;
                    }
                    if (!dup) {
                        if (n == out.length) {
                            out = Arrays.copyOf(out, n * 2);
                        }
                        out[n++] = id;
                    }
                }
            }
        }
        return Arrays.copyOf(out, n);
    }

    private static int hash(char[] w, int len) {
        int h = len;
        for (int i = 0; i < len; i++) {
            h = 31 * h + w[i];
        }
        return h ^ (h >>> 16);
    }

    private int find(char[] w, int len) {
        int h = hash(w, len);
        int mask = keys.length - 1;
        for (int slot = h & mask; ; slot = (slot + 1) & mask) {
            int k = keys[slot];
            if (k == 0) {
                return -1;
            }
            if (hashes[slot] == h && same(k - 1, w, len)) {
                return k - 1;
            }
        }
    }

    private int intern(char[] w, int len) {
        int h = hash(w, len);
        int mask = keys.length - 1;
        int slot = h & mask;
        while (true) {
            int k = keys[slot];
            if (k == 0) {
                break;
            }
            if (hashes[slot] == h && same(k - 1, w, len)) {
                return k - 1;
            }
            slot = (slot + 1) & mask;
        }
        int id = terms++;
        if (id == termStart.length) {
            termStart = Arrays.copyOf(termStart, id * 2);
            termLen = Arrays.copyOf(termLen, id * 2);
        }
        int at = id == 0 ? 0 : termStart[id - 1] + termLen[id - 1];
        if (at + len > chars.length) {
            chars = Arrays.copyOf(chars, Math.max(chars.length * 2, at + len));
        }
        System.arraycopy(w, 0, chars, at, len);
        termStart[id] = at;
        termLen[id] = len;
        keys[slot] = id + 1;
        hashes[slot] = h;
        if (terms * 2 > keys.length) {
            rehash();
        }
        return id;
    }

    private boolean same(int id, char[] w, int len) {
        if (termLen[id] != len) {
            return false;
        }
        int s = termStart[id];
        for (int i = 0; i < len; i++) {
            if (chars[s + i] != w[i]) {
                return false;
            }
        }
        return true;
    }

    private void rehash() {
        int[] ok = keys, oh = hashes;
        keys = new int[ok.length * 2];
        hashes = new int[ok.length * 2];
        int mask = keys.length - 1;
        for (int i = 0; i < ok.length; i++) {
            if (ok[i] != 0) {
                int slot = oh[i] & mask;
                while (keys[slot] != 0) {
                    slot = (slot + 1) & mask;
                }
                keys[slot] = ok[i];
                hashes[slot] = oh[i];
            }
        }
    }
}
