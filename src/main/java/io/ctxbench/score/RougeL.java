package io.ctxbench.score;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * ROUGE-L F as LongBench's {@code rouge_score} computes it: {@code Rouge().get_scores([pred], [gold],
 * avg=True)["rouge-l"]["f"]} of the {@code rouge} 1.0.1 package, with any exception scored 0.0.
 *
 * <p>That package's summary-level ROUGE-L: each text is split into sentences on '.', empty pieces
 * dropped; each sentence is re-joined from its Python-whitespace tokens and split on ' ' (so a
 * whitespace-only sentence is the single token ""). No lowercasing. With {@code exclusive=True} every
 * count is of distinct words: m and n are the numbers of distinct reference and hypothesis words, and
 * the overlap is the size of the union (as a set of words) of the LCS that {@code _recon_lcs}
 * reconstructs for every (reference sentence, hypothesis sentence) pair. Then
 * {@code f = 2 * (p * r) / (p + r + 1e-8)} with {@code r = llcs / m}, {@code p = llcs / n}.
 *
 * <p>Exceptions reproduced as 0.0: an empty sentence list on either side ("" or only dots), and the
 * {@code RecursionError} of the recursive {@code _recon} when the backtracking path of one sentence pair
 * is deeper than Python's default recursion limit of 1000 frames allows.
 */
public final class RougeL {
    private RougeL() {}

    /**
     * Python frames available to {@code _recon} under the default recursion limit (1000) when called
     * as in LongBench's eval.py: {@code <module> -> scorer -> rouge_score -> get_scores ->
     * _get_avg_scores -> <lambda> -> rouge_l_summary_level -> _union_lcs -> _recon_lcs} take 9 frames.
     */
    public static final int RECON_MAX_FRAMES = 1000 - 9;

    /** The same for {@code rouge_zh_score}, which calls rouge_score: one frame deeper. */
    static final int RECON_MAX_FRAMES_ZH = RECON_MAX_FRAMES - 1;

    /** The max over {@code answers}, starting at 0.0 (an empty list scores 0). */
    public static double best(String prediction, List<String> answers) {
        Scorer sc = new Scorer(RECON_MAX_FRAMES);
        int[][] hyp = sc.sentences(prediction);
        double best = 0.0;
        for (String gold : answers) {
            best = Math.max(best, sc.score(hyp, sc.sentences(gold)));
        }
        return best;
    }

    /** {@code rouge_score(prediction, gold)}. */
    public static double score(String prediction, String gold) {
        return score(prediction, gold, RECON_MAX_FRAMES);
    }

    /** {@code rouge_score(prediction, gold)} with {@code maxFrames} Python frames left for {@code _recon}. */
    static double score(String prediction, String gold, int maxFrames) {
        Scorer sc = new Scorer(maxFrames);
        return sc.score(sc.sentences(prediction), sc.sentences(gold));
    }

    /** Per-call state: word ids shared by both texts, and scratch arrays reused between pairs. */
    private static final class Scorer {
        private final int maxFrames;
        private final Map<String, Integer> ids = new HashMap<>();
        private int[] prev = new int[0], cur = new int[0], corner = new int[0];
        private boolean[] seen = new boolean[0];

        Scorer(int maxFrames) {
            this.maxFrames = maxFrames;
        }

        /** {@code [" ".join(_.split()) for _ in text.split(".") if len(_) > 0]}, then {@code .split(" ")}. */
        int[][] sentences(String text) {
            List<int[]> out = new ArrayList<>();
            int n = text.length();
            for (int start = 0; start <= n; ) {
                int dot = text.indexOf('.', start);
                int end = dot < 0 ? n : dot;
                if (end > start) {
                    List<String> words = PyText.split(text.substring(start, end));
                    if (words.isEmpty()) words = List.of(""); // " ".join([]).split(" ") == [""]
                    int[] sent = new int[words.size()];
                    for (int i = 0; i < sent.length; i++) {
                        sent[i] = ids.computeIfAbsent(words.get(i), k -> ids.size());
                    }
                    out.add(sent);
                }
                start = end + 1;
            }
            return out.toArray(new int[0][]);
        }

        double score(int[][] hyp, int[][] ref) {
            if (hyp.length == 0 || ref.length == 0) return 0.0; // ValueError
            int m = distinct(ref), n = distinct(hyp);
            boolean[] union = new boolean[ids.size()];
            int llcs = 0;
            for (int[] r : ref) {
                for (int[] h : hyp) {
                    int added = reconLcs(r, h, union);
                    if (added < 0) return 0.0; // RecursionError
                    llcs += added;
                }
            }
            double rLcs = (double) llcs / m;
            double pLcs = (double) llcs / n;
            return 2.0 * ((pLcs * rLcs) / (pLcs + rLcs + 1e-8));
        }

        private int distinct(int[][] sents) {
            if (seen.length < ids.size()) seen = new boolean[ids.size()];
            int count = 0;
            for (int[] s : sents) {
                for (int w : s) {
                    if (!seen[w]) {
                        seen[w] = true;
                        count++;
                    }
                }
            }
            for (int[] s : sents) for (int w : s) seen[w] = false;
            return count;
        }

        /**
         * {@code _recon_lcs(x, y)} with x the reference sentence: fills the {@code _lcs} table, walks
         * back the way {@code _recon} does (diagonal on a match, else up when {@code table[i-1,j] >
         * table[i,j-1]}, else left), marks the matched words in {@code union} and returns how many were
         * new; -1 where {@code _recon} would exceed the recursion limit.
         *
         * <p>The walk starts at (n, m) and, within the limit, takes at most maxFrames - 1 steps
         * of one row and/or one column, so it reads only the corner of rows >= n - maxFrames and
         * columns >= m - maxFrames. The table is filled in two rolling rows and only that corner is
         * kept: O(m + maxFrames^2) ints instead of (n + 1)(m + 1), which overflowed an int index
         * (and the heap) for a sentence of millions of words. Same cells, same walk, same result.
         */
        private int reconLcs(int[] x, int[] y, boolean[] union) {
            int n = x.length, m = y.length;
            // _recon needs at least min(n, m) + 1 frames
            if (Math.min(n, m) + 1 > maxFrames) return -1;
            int r0 = Math.max(0, n - maxFrames), c0 = Math.max(0, m - maxFrames), w = m - c0 + 1;
            if (prev.length < m + 1) {
                prev = new int[m + 1];
                cur = new int[m + 1];
            }
            if (corner.length < (n - r0 + 1) * w) corner = new int[(n - r0 + 1) * w];
            int[] up = prev, row = cur, t = corner;
            java.util.Arrays.fill(up, 0, m + 1, 0);
            if (r0 == 0) System.arraycopy(up, c0, t, 0, w);
            for (int i = 1; i <= n; i++) {
                int xi = x[i - 1];
                row[0] = 0;
                for (int j = 1; j <= m; j++) {
                    row[j] = xi == y[j - 1] ? up[j - 1] + 1 : Math.max(up[j], row[j - 1]);
                }
                if (i >= r0) System.arraycopy(row, c0, t, (i - r0) * w, w);
                int[] swap = up;
                up = row;
                row = swap;
            }
            // cell (i, j) is t[(i - r0) * w + j - c0]; one frame per call, the first at (n, m)
            int frames = 1, added = 0;
            for (int i = n, j = m; i > 0 && j > 0; ) {
                if (++frames > maxFrames) return -1;   // the score is then 0: union no longer matters
                if (x[i - 1] == y[j - 1]) {
                    if (!union[x[i - 1]]) {
                        union[x[i - 1]] = true;
                        added++;
                    }
                    i--;
                    j--;
                } else if (t[(i - 1 - r0) * w + j - c0] > t[(i - r0) * w + j - 1 - c0]) {
                    i--;
                } else {
                    j--;
                }
            }
            return added;
        }
    }
}
