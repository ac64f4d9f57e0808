package io.ctxbench.compress;

import java.util.ArrayList;
import java.util.List;

/**
 * Which words the fine stage keeps, from their self-information. Each segment keeps its share of the budget
 * (carrying over rounding so the total lands on it): force-token words always, then words by protection class
 * ({@link Words}), then by mean self-information per token, highest first. After the kept text is counted with the
 * target tokenizer, one correction pass drops or restores words to land on the budget.
 */
final class Selection {
    private final Words words;
    private final float[] info;
    private final boolean[] keep;
    private final double keepFraction;
    private int keptSoFar;
    private int[] order;
    private float[] key;

    /**
     * @param info          self-information of each token, filled by the scorer before a segment is chosen
     * @param keepFraction  share of the tokens to keep
     * @param segmentTokens the scorer's segment size (a segment holds at most twice that in tokens)
     */
    Selection(Words words, float[] info, double keepFraction, int segmentTokens) {
        this.words = words;
        this.info = info;
        this.keep = new boolean[info.length];
        this.keepFraction = keepFraction;
        this.order = new int[Math.max(1, segmentTokens * 2)];
        this.key = new float[order.length];
    }

    /** Whether each token is kept. */
    boolean[] kept() {
        return keep;
    }

    /** Chooses the kept words among units [u, end), whose tokens' self-information is known. */
    void choose(int u, int end) {
        int[] unitStart = words.start();
        byte[] cls = words.cls();
        int want = (int) Math.round(keepFraction * unitStart[end]) - keptSoFar;
        int m = end - u;
        if (order.length < m) {
            order = new int[m];
            key = new float[m];
        }
        for (int i = 0; i < m; i++) {
            order[i] = u + i;
            key[i] = rank(u + i);
        }
        sortByKeyDesc(order, key, m);
        int got = 0;
        for (int i = 0; i < m; i++) {
            int uu = order[i];
            int len = unitStart[uu + 1] - unitStart[uu];
            if (cls[uu] == Words.FORCE || got + len <= want) {
                for (int k = unitStart[uu]; k < unitStart[uu + 1]; k++) {
                    keep[k] = true;
                }
                got += len;
            }
        }
        keptSoFar += got;
    }

    /**
     * One correction pass: {@code excess} &gt; 0 scoring tokens too many -&gt; drop the kept non-force units with the
     * lowest rank; &lt; 0 -&gt; restore the dropped units with the highest.
     */
    void correct(double excess) {
        int[] unitStart = words.start();
        byte[] cls = words.cls();
        int nUnits = words.count();
        boolean drop = excess > 0;
        List<Integer> cand = new ArrayList<>();
        float[] mean = new float[nUnits];
        for (int u = 0; u < nUnits; u++) {
            boolean kept = keep[unitStart[u]];
            if (kept == drop && cls[u] != Words.FORCE) {
                mean[u] = rank(u);
                cand.add(u);
            }
        }
        cand.sort((x, y) -> drop ? Float.compare(mean[x], mean[y]) : Float.compare(mean[y], mean[x]));
        double left = Math.abs(excess);
        for (int u : cand) {
            int len = unitStart[u + 1] - unitStart[u];
            if (left < len / 2.0) {
                break;
            }
            for (int k = unitStart[u]; k < unitStart[u + 1]; k++) {
                keep[k] = !drop;
            }
            left -= len;
        }
    }

    /**
     * A unit's rank: its protection class first, then its mean self-information per token (each capped at 1e4, so
     * the always-kept first token's +inf does not swamp the mean).
     */
    private float rank(int u) {
        int[] unitStart = words.start();
        float sum = 0;
        int len = unitStart[u + 1] - unitStart[u];
        for (int k = unitStart[u]; k < unitStart[u + 1]; k++) {
            sum += Math.min(info[k], 1e4f);
        }
        return words.cls()[u] * 1e6f + sum / len;
    }

    /** Sorts the first n entries of order by key, descending (insertion sort: segments are small). */
    private static void sortByKeyDesc(int[] order, float[] key, int n) {
        for (int i = 1; i < n; i++) {
            int o = order[i];
            float k = key[i];
            int j = i - 1;
            while (j >= 0 && key[j] < k) {
                order[j + 1] = order[j];
                key[j + 1] = key[j];
                j--;
            }
            order[j + 1] = o;
            key[j + 1] = k;
        }
    }
}
