package io.ctxbench.score;

/**
 * fuzzywuzzy 0.18.0 {@code fuzz.ratio} and {@code fuzz.partial_ratio} on its pure-Python backend,
 * {@code difflib.SequenceMatcher(None, a, b)} (autojunk on: for {@code len(b) >= 200}, elements of b
 * occurring more than {@code len(b) // 100 + 1} times are "popular" and cannot seed a match), with
 * Python's round-half-even. Strings are compared as sequences of code points, like Python's str.
 *
 * <p>The static methods use a per-thread instance; an instance reuses its scratch arrays between
 * calls and is not thread-safe.
 */
public final class FuzzyMatch {
    private static final ThreadLocal<FuzzyMatch> LOCAL = ThreadLocal.withInitial(FuzzyMatch::new);

    // b2j: open-addressing table from element of b to a dense id; slots valid when stamp matches
    private int[] hashKeys = new int[64], hashIds = new int[64], hashStamp = new int[64];
    private int stamp;
    // per id: count, then start of its ascending positions in pos; popular ids have count -1
    private int[] idCount = new int[16], idStart = new int[17], pos = new int[16], fill = new int[16];
    private int[] aIds = new int[16];
    // j2len rows indexed by j + 1, kept all-zero between calls
    private int[] rowA = new int[17], rowB = new int[17], touchedA = new int[16], touchedB = new int[16];
    private int[] stack = new int[64], blocks = new int[48];
    private int blockCount, matchI, matchJ, matchK;

    /** {@code fuzz.ratio(s1, s2)}: 100 when equal, 0 when either is empty, else round(100 * ratio). */
    public static int ratio(String s1, String s2) {
        if (s1.equals(s2)) return 100;
        if (s1.isEmpty() || s2.isEmpty()) return 0;
        return LOCAL.get().ratio(codePoints(s1), codePoints(s2));
    }

    /** {@code fuzz.partial_ratio(s1, s2)}: the best ratio of the shorter against same-length windows. */
    public static int partialRatio(String s1, String s2) {
        if (s1.equals(s2)) return 100;
        if (s1.isEmpty() || s2.isEmpty()) return 0;
        return LOCAL.get().partialRatio(codePoints(s1), codePoints(s2));
    }

    /** {@code difflib.SequenceMatcher(None, a, b).ratio()}: 2 * matches / (len(a) + len(b)), 1.0 if both empty. */
    public static double seqmatcherRatio(String a, String b) {
        int[] x = codePoints(a), y = codePoints(b);
        return LOCAL.get().seqRatio(x, 0, x.length, y, 0, y.length);
    }

    /** The code points of s (Python's view of a str), for the array methods. */
    public static int[] codePoints(String s) {
        int n = s.length(), count = s.codePointCount(0, n);
        int[] out = new int[count];
        if (count == n) {
            for (int i = 0; i < n; i++) out[i] = s.charAt(i);
        } else {
            for (int i = 0, k = 0; i < n; k++) {
                int c = s.codePointAt(i);
                out[k] = c;
                i += Character.charCount(c);
            }
        }
        return out;
    }

    /** {@link #ratio(String, String)} on code point arrays. */
    public int ratio(int[] a, int[] b) {
        if (java.util.Arrays.equals(a, b)) return 100;
        if (a.length == 0 || b.length == 0) return 0;
        return intr(100 * seqRatio(a, 0, a.length, b, 0, b.length));
    }

    /** {@link #partialRatio(String, String)} on code point arrays. */
    public int partialRatio(int[] s1, int[] s2) {
        if (java.util.Arrays.equals(s1, s2)) return 100;
        if (s1.length == 0 || s2.length == 0) return 0;
        int[] shorter = s1.length <= s2.length ? s1 : s2;
        int[] longer = s1.length <= s2.length ? s2 : s1;
        int ls = shorter.length, ll = longer.length;
        matchingBlocks(shorter, 0, ls, longer, 0, ll);
        int nb = blockCount;
        int[] starts = new int[nb + 1];
        for (int k = 0; k < nb; k++) starts[k] = Math.max(0, blocks[3 * k + 1] - blocks[3 * k]);
        starts[nb] = Math.max(0, ll - ls); // the final dummy block (len(a), len(b), 0)
        double best = 0.0;
        for (int start : starts) {
            int end = Math.min(ll, start + ls);
            double r = seqRatio(shorter, 0, ls, longer, Math.min(start, ll), Math.max(0, end - start));
            if (r > .995) return 100;
            best = Math.max(best, r);
        }
        return intr(100 * best);
    }

    /** Python's {@code int(round(x))} for x >= 0: round half to even. */
    private static int intr(double x) {
        return (int) Math.rint(x);
    }

    private double seqRatio(int[] a, int ao, int la, int[] b, int bo, int lb) {
        if (la + lb == 0) return 1.0;
        matchingBlocks(a, ao, la, b, bo, lb);
        int matches = 0;
        for (int k = 0; k < blockCount; k++) matches += blocks[3 * k + 2];
        return 2.0 * matches / (la + lb);
    }

    /**
     * {@code get_matching_blocks()} without the final dummy block: (i, j, size) triples, sorted and
     * with adjacent blocks collapsed, left in {@code blocks[0 .. 3 * blockCount)}.
     */
    private void matchingBlocks(int[] a, int ao, int la, int[] b, int bo, int lb) {
        chainB(b, bo, lb);
        if (aIds.length < la) aIds = new int[Math.max(la, 2 * aIds.length)];
        for (int i = 0; i < la; i++) {
            int id = lookup(a[ao + i]);
            aIds[i] = id >= 0 && idCount[id] > 0 ? id : -1;
        }
        blockCount = 0;
        int sp = 0;
        stack = ensure(stack, 4);
        stack[sp++] = 0; stack[sp++] = la; stack[sp++] = 0; stack[sp++] = lb;
        while (sp > 0) {
            int bhi = stack[--sp], blo = stack[--sp], ahi = stack[--sp], alo = stack[--sp];
            longestMatch(a, ao, b, bo, alo, ahi, blo, bhi);
            int i = matchI, j = matchJ, k = matchK;
            if (k == 0) continue;
            blocks = ensure(blocks, 3 * blockCount + 3);
            blocks[3 * blockCount] = i;
            blocks[3 * blockCount + 1] = j;
            blocks[3 * blockCount + 2] = k;
            blockCount++;
            stack = ensure(stack, sp + 8);
            if (alo < i && blo < j) {
                stack[sp++] = alo; stack[sp++] = i; stack[sp++] = blo; stack[sp++] = j;
            }
            if (i + k < ahi && j + k < bhi) {
                stack[sp++] = i + k; stack[sp++] = ahi; stack[sp++] = j + k; stack[sp++] = bhi;
            }
        }
        sortBlocks();
        // collapse adjacent blocks
        int out = 0, i1 = 0, j1 = 0, k1 = 0;
        for (int t = 0; t < blockCount; t++) {
            int i2 = blocks[3 * t], j2 = blocks[3 * t + 1], k2 = blocks[3 * t + 2];
            if (i1 + k1 == i2 && j1 + k1 == j2) {
                k1 += k2;
            } else {
                if (k1 > 0) {
                    blocks[3 * out] = i1; blocks[3 * out + 1] = j1; blocks[3 * out + 2] = k1;
                    out++;
                }
                i1 = i2; j1 = j2; k1 = k2;
            }
        }
        if (k1 > 0) {
            blocks[3 * out] = i1; blocks[3 * out + 1] = j1; blocks[3 * out + 2] = k1;
            out++;
        }
        blockCount = out;
    }

    /** Blocks never overlap in a, so sorting the triples is sorting by i (insertion sort: few blocks). */
    private void sortBlocks() {
        for (int t = 1; t < blockCount; t++) {
            int i = blocks[3 * t], j = blocks[3 * t + 1], k = blocks[3 * t + 2];
            int u = t - 1;
            while (u >= 0 && blocks[3 * u] > i) {
                blocks[3 * u + 3] = blocks[3 * u];
                blocks[3 * u + 4] = blocks[3 * u + 1];
                blocks[3 * u + 5] = blocks[3 * u + 2];
                u--;
            }
            blocks[3 * u + 3] = i; blocks[3 * u + 4] = j; blocks[3 * u + 5] = k;
        }
    }

    /** {@code find_longest_match(alo, ahi, blo, bhi)}, into matchI, matchJ, matchK. */
    private void longestMatch(int[] a, int ao, int[] b, int bo, int alo, int ahi, int blo, int bhi) {
        int besti = alo, bestj = blo, bestsize = 0;
        int[] prev = rowA, cur = rowB, prevT = touchedA, curT = touchedB;
        int prevN = 0;
        for (int i = alo; i < ahi; i++) {
            int curN = 0;
            int id = aIds[i];
            if (id >= 0) {
                for (int p = idStart[id], e = p + idCount[id]; p < e; p++) {
                    int j = pos[p];
                    if (j < blo) continue;
                    if (j >= bhi) break;
                    int k = prev[j] + 1; // j2len.get(j - 1, 0) + 1
                    cur[j + 1] = k;
                    curT[curN++] = j + 1;
                    if (k > bestsize) {
                        besti = i - k + 1;
                        bestj = j - k + 1;
                        bestsize = k;
                    }
                }
            }
            for (int t = 0; t < prevN; t++) prev[prevT[t]] = 0;
            int[] x = prev; prev = cur; cur = x;
            x = prevT; prevT = curT; curT = x;
            prevN = curN;
        }
        for (int t = 0; t < prevN; t++) prev[prevT[t]] = 0;
        // extend by equal elements on both ends (popular ones included; there is no junk)
        while (besti > alo && bestj > blo && a[ao + besti - 1] == b[bo + bestj - 1]) {
            besti--;
            bestj--;
            bestsize++;
        }
        while (besti + bestsize < ahi && bestj + bestsize < bhi
                && a[ao + besti + bestsize] == b[bo + bestj + bestsize]) {
            bestsize++;
        }
        matchI = besti;
        matchJ = bestj;
        matchK = bestsize;
    }

    /** {@code __chain_b}: positions of each element of b, ascending, minus popular elements. */
    private void chainB(int[] b, int bo, int lb) {
        int cap = hashKeys.length;
        if (cap < 2 * lb) {
            while (cap < 2 * lb) cap <<= 1;
            hashKeys = new int[cap];
            hashIds = new int[cap];
            hashStamp = new int[cap];
            stamp = 0;
        }
        if (++stamp == 0) {
            java.util.Arrays.fill(hashStamp, 0);
            stamp = 1;
        }
        if (idCount.length < lb) {
            int n = Math.max(lb, 2 * idCount.length);
            idCount = new int[n];
            idStart = new int[n + 1];
            pos = new int[n];
            fill = new int[n];
        }
        if (rowA.length < lb + 1) {
            int n = Math.max(lb + 1, 2 * rowA.length);
            rowA = new int[n];
            rowB = new int[n];
            touchedA = new int[n];
            touchedB = new int[n];
        }
        int ids = 0, mask = hashKeys.length - 1;
        for (int j = 0; j < lb; j++) {
            int v = b[bo + j];
            int h = mix(v) & mask;
            while (hashStamp[h] == stamp && hashKeys[h] != v) h = (h + 1) & mask;
            if (hashStamp[h] != stamp) {
                hashStamp[h] = stamp;
                hashKeys[h] = v;
                hashIds[h] = ids;
                idCount[ids++] = 0;
            }
            fill[j] = hashIds[h];
            idCount[hashIds[h]]++;
        }
        idStart[0] = 0;
        for (int id = 0; id < ids; id++) idStart[id + 1] = idStart[id] + idCount[id];
        for (int j = 0; j < lb; j++) {
            int id = fill[j];
            pos[idStart[id]++] = j;
        }
        for (int id = ids; id > 0; id--) idStart[id] = idStart[id - 1];
        idStart[0] = 0;
        if (lb >= 200) {
            int ntest = lb / 100 + 1;
            for (int id = 0; id < ids; id++) if (idCount[id] > ntest) idCount[id] = 0;
        }
    }

    /** The id of element v of b, or -1. */
    private int lookup(int v) {
        int mask = hashKeys.length - 1, h = mix(v) & mask;
        while (hashStamp[h] == stamp) {
            if (hashKeys[h] == v) return hashIds[h];
            h = (h + 1) & mask;
        }
        return -1;
    }

    private static int mix(int v) {
        int h = v * 0x9E3779B9;
        return h ^ (h >>> 16);
    }

    private static int[] ensure(int[] arr, int n) {
        return arr.length >= n ? arr : java.util.Arrays.copyOf(arr, Math.max(n, 2 * arr.length));
    }
}
