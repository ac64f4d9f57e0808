package io.ctxbench.score;

import io.ctxbench.CtxbenchException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * Python jieba 0.42.1's {@code jieba.cut(text, cut_all=False, HMM=True)}, the Chinese segmentation LongBench's
 * qa_f1_zh_score and rouge_zh_score use, ported exactly with jieba's own dictionary and HMM tables
 * (resources io/ctxbench/score/jieba, see the README there).
 *
 * <p>Why a port and not com.huaban:jieba-analysis 1.0.2, the maintained Java port: it segments differently (337 of
 * the 467 reference cases in JiebaTest's file). It lowercases ASCII letters and turns full-width characters into
 * half-width ones before cutting (rouge_zh is case-sensitive), its Han range ends at U+9FA5 (jieba's at U+9FD5),
 * '%' is not a word character for it, ties between routes go to the shorter word (jieba's {@code max} over
 * (log p, end) tuples takes the longer), a run of single characters that is itself a dictionary word stays whole
 * (jieba splits it into characters), its dictionary lacks one of jieba's entries (吉林 89) and its emission table is
 * rounded to 12 digits.
 *
 * <p>The steps, as jieba/__init__.py and jieba/finalseg do them: split the text into runs of
 * {@code [\u4E00-\u9FD5a-zA-Z0-9+#&._%-]}; any other character is a token by itself ("\r\n" one token). A run is
 * cut by the maximum-probability route through the DAG of dictionary words (log(freq or 1) - log(total), ties to
 * the longer word); consecutive single characters of that route are joined and, unless the joined text is a
 * dictionary word (then it is split into characters), cut again by the BMES HMM (Viterbi) for its Han parts, and
 * by {@code [a-zA-Z0-9]+(?:\.\d+)?%?} for the rest. Inside a run every character is in the BMP, so UTF-16
 * indices are Python's indices there. Thread-safe once loaded (loading takes about a second, on first use).
 */
public final class Jieba {
    private static final double MIN_FLOAT = -3.14e100;
    private static final int B = 0, M = 1, E = 2, S = 3;
    /** jieba/finalseg/prob_start.py. */
    private static final double[] START = {-0.26268660809250016, -3.14e+100, -3.14e+100, -1.4652633398537678};
    /** jieba/finalseg/prob_trans.py: TRANS[from][to], MIN_FLOAT where the table has no entry. */
    private static final double[][] TRANS = {
            {MIN_FLOAT, -0.916290731874155, -0.510825623765990, MIN_FLOAT},
            {MIN_FLOAT, -1.2603623820268226, -0.33344856811948514, MIN_FLOAT},
            {-0.5897149736854513, MIN_FLOAT, MIN_FLOAT, -0.8085250474669937},
            {-0.7211965654669841, MIN_FLOAT, MIN_FLOAT, -0.6658631448798212}};
    /** finalseg's PrevStatus, in its order; Python's max over (prob, state) tuples breaks ties by the letter. */
    private static final int[][] PREV = {{E, S}, {M, B}, {B, M}, {S, E}};
    private static final char[] LETTER = {'B', 'M', 'E', 'S'};

    private static final class Holder {
        static final Jieba INSTANCE = load();
    }

    /** Dictionary words, sorted; a fragment is in jieba's FREQ when it is a prefix of some word. */
    private final String[] words;
    private final int[] freqs;
    private final double logTotal;
    /** Emission log-probabilities per state, indexed by the BMP character. */
    private final double[][] emit;

    private Jieba(String[] words, int[] freqs, long total, double[][] emit) {
        this.words = words;
        this.freqs = freqs;
        this.logTotal = Math.log((double) total);
        this.emit = emit;
    }

    /** {@code list(jieba.cut(text, cut_all=False))}. */
    public static List<String> cut(String text) {
        return Holder.INSTANCE.cutText(text);
    }

    private List<String> cutText(String s) {
        List<String> out = new ArrayList<>();
        int n = s.length();
        int i = 0;
        while (i < n) {
            int cp = s.codePointAt(i);
            if (isRunChar(cp)) {
                int j = i + 1;
                while (j < n && isRunChar(s.charAt(j))) j++;
                cutRun(s.substring(i, j), out);
                i = j;
            } else if (cp == '\r' && i + 1 < n && s.charAt(i + 1) == '\n') {
                out.add("\r\n");
                i += 2;
            } else {
                int w = Character.charCount(cp);
                out.add(s.substring(i, i + w));
                i += w;
            }
        }
        return out;
    }

    /** jieba's re_han_default: {@code [\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]}. */
    private static boolean isRunChar(int c) {
        return (c >= 0x4E00 && c <= 0x9FD5) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '+' || c == '#' || c == '&' || c == '.' || c == '_' || c == '%' || c == '-';
    }

    private static boolean isHan(char c) {
        return c >= 0x4E00 && c <= 0x9FD5;
    }

    /** {@code __cut_DAG}. */
    private void cutRun(String s, List<String> out) {
        int n = s.length();
        // calc(): route[idx] = max((log(FREQ.get(frag) or 1) - logtotal + route[x + 1][0], x) for x in DAG[idx])
        double[] best = new double[n + 1];
        int[] end = new int[n + 1];
        for (int k = n - 1; k >= 0; k--) {
            boolean any = false;
            double bp = 0;
            int bx = k;
            for (int i = k; i < n; i++) {   // get_DAG: extend while the fragment is in FREQ
                int at = lowerBound(s, k, i + 1);
                if (at >= words.length || !startsWith(words[at], s, k, i + 1)) break;
                if (words[at].length() == i + 1 - k && freqs[at] != 0) {
                    double p = Math.log(freqs[at]) - logTotal + best[i + 1];
                    if (!any || p >= bp) {   // ties go to the larger x, as max over tuples does
                        bp = p;
                        bx = i;
                    }
                    any = true;
                }
            }
            if (!any) {   // DAG[k] = [k]; the fragment is no word, FREQ.get gives 0 or None: log(1) = 0
                int f = freq(s, k, k + 1);
                bp = Math.log(f == 0 ? 1 : f) - logTotal + best[k + 1];
                bx = k;
            }
            best[k] = bp;
            end[k] = bx;
        }
        int bufStart = -1;
        for (int x = 0; x < n; ) {
            int y = end[x] + 1;
            if (y - x == 1) {
                if (bufStart < 0) bufStart = x;
            } else {
                if (bufStart >= 0) {
                    flush(s.substring(bufStart, x), out);
                    bufStart = -1;
                }
                out.add(s.substring(x, y));
            }
            x = y;
        }
        if (bufStart >= 0) flush(s.substring(bufStart), out);
    }

    /** The buffered single characters of a route: one, a dictionary word split up, or the HMM's cut. */
    private void flush(String buf, List<String> out) {
        if (buf.length() == 1) {
            out.add(buf);
        } else if (freq(buf, 0, buf.length()) == 0) {
            finalsegCut(buf, out);
        } else {
            for (int i = 0; i < buf.length(); i++) out.add(String.valueOf(buf.charAt(i)));
        }
    }

    private static final Pattern SKIP = Pattern.compile("[a-zA-Z0-9]+(?:\\.[0-9]+)?%?");

    /** finalseg.cut: Han runs by Viterbi; the rest split by {@code ([a-zA-Z0-9]+(?:\.\d+)?%?)}, empty pieces dropped. */
    private void finalsegCut(String s, List<String> out) {
        int n = s.length();
        for (int i = 0; i < n; ) {
            int j = i + 1;
            boolean han = isHan(s.charAt(i));
            while (j < n && isHan(s.charAt(j)) == han) j++;
            if (han) {
                viterbiCut(s.substring(i, j), out);
            } else {
                // only ASCII reaches here (a run's characters), so \d is [0-9]
                Matcher m = SKIP.matcher(s).region(i, j);
                int last = i;
                while (m.find()) {
                    if (m.start() > last) out.add(s.substring(last, m.start()));
                    out.add(m.group());
                    last = m.end();
                }
                if (j > last) out.add(s.substring(last, j));
            }
            i = j;
        }
    }

    /** finalseg.__cut: Viterbi over BMES, then words from the states. */
    private void viterbiCut(String obs, List<String> out) {
        int n = obs.length();
        double[] v = new double[4], nv = new double[4];
        int[][] back = new int[n][4];
        for (int y = 0; y < 4; y++) v[y] = START[y] + emit(y, obs.charAt(0));
        for (int t = 1; t < n; t++) {
            char c = obs.charAt(t);
            for (int y = 0; y < 4; y++) {
                double em = emit(y, c);
                int bestState = -1;
                double bestProb = 0;
                for (int y0 : PREV[y]) {
                    double p = v[y0] + TRANS[y0][y] + em;
                    if (bestState < 0 || p > bestProb || (p == bestProb && LETTER[y0] > LETTER[bestState])) {
                        bestProb = p;
                        bestState = y0;
                    }
                }
                nv[y] = bestProb;
                back[t][y] = bestState;
            }
            double[] swap = v;
            v = nv;
            nv = swap;
        }
        int state = v[S] >= v[E] ? S : E;   // max((V[-1][y], y) for y in 'ES'): a tie goes to 'S'
        int[] states = new int[n];
        for (int t = n - 1; t >= 0; t--) {
            states[t] = state;
            state = back[t][state];
        }
        int begin = 0, next = 0;
        for (int i = 0; i < n; i++) {
            int pos = states[i];
            if (pos == B) {
                begin = i;
            } else if (pos == E) {
                out.add(obs.substring(begin, i + 1));
                next = i + 1;
            } else if (pos == S) {
                out.add(obs.substring(i, i + 1));
                next = i + 1;
            }
        }
        if (next < n) out.add(obs.substring(next));
    }

    private double emit(int state, char c) {
        double p = emit[state][c];
        return Double.isNaN(p) ? MIN_FLOAT : p;
    }

    /** FREQ[s[from:to]]: the word's frequency, 0 for a prefix only or no entry. */
    private int freq(String s, int from, int to) {
        int at = lowerBound(s, from, to);
        return at < words.length && words[at].length() == to - from && startsWith(words[at], s, from, to) ? freqs[at] : 0;
    }

    /** The first word not less than s[from:to] (String.compareTo order, in which a prefix comes first). */
    private int lowerBound(String s, int from, int to) {
        int lo = 0, hi = words.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (compare(words[mid], s, from, to) < 0) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    private static int compare(String w, String s, int from, int to) {
        int len = to - from, lim = Math.min(w.length(), len);
        for (int i = 0; i < lim; i++) {
            char a = w.charAt(i), b = s.charAt(from + i);
            if (a != b) return a - b;
        }
        return w.length() - len;
    }

    private static boolean startsWith(String w, String s, int from, int to) {
        return w.length() >= to - from && w.regionMatches(0, s, from, to - from);
    }

    private static final Pattern EMIT_STATE = Pattern.compile("'([BMES])': \\{");
    private static final Pattern EMIT_ENTRY = Pattern.compile("'\\\\u([0-9a-f]{4})': (-?[0-9.e+-]+)");

    private static Jieba load() {
        // gen_pfdict: word, freq = line.strip().split(' ')[:2]; a repeated word keeps its last frequency, total counts all
        List<String> lineWords = new ArrayList<>(350_000);
        List<Integer> lineFreqs = new ArrayList<>(350_000);
        long total = 0;
        try (BufferedReader in = open("dict.txt.gz")) {
            for (String line; (line = in.readLine()) != null; ) {
                line = line.strip();
                int sp = line.indexOf(' '), sp2 = line.indexOf(' ', sp + 1);
                int f = Integer.parseInt(line, sp + 1, sp2 < 0 ? line.length() : sp2, 10);
                lineWords.add(line.substring(0, sp));
                lineFreqs.add(f);
                total += f;
            }
        } catch (IOException | RuntimeException e) {
            throw new CtxbenchException("cannot read jieba's dictionary from the ctxbench jar: " + e, e);
        }
        Integer[] order = new Integer[lineWords.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        // by word, then by line: of equal words the last line comes last and wins
        Arrays.sort(order, (a, b) -> {
            int c = lineWords.get(a).compareTo(lineWords.get(b));
            return c != 0 ? c : Integer.compare(a, b);
        });
        List<String> sorted = new ArrayList<>(order.length);
        List<Integer> sortedFreqs = new ArrayList<>(order.length);
        for (int i : order) {
            String w = lineWords.get(i);
            if (!sorted.isEmpty() && sorted.getLast().equals(w)) {
                sortedFreqs.set(sortedFreqs.size() - 1, lineFreqs.get(i));
            } else {
                sorted.add(w);
                sortedFreqs.add(lineFreqs.get(i));
            }
        }
        String[] words = sorted.toArray(new String[0]);
        int[] freqs = sortedFreqs.stream().mapToInt(Integer::intValue).toArray();

        double[][] emit = new double[4][65536];
        for (double[] row : emit) Arrays.fill(row, Double.NaN);
        try (BufferedReader in = open("prob_emit.py.gz")) {
            int cur = -1;
            for (String line; (line = in.readLine()) != null; ) {
                Matcher st = EMIT_STATE.matcher(line);
                if (st.find()) cur = "BMES".indexOf(st.group(1).charAt(0));   // the order of B, M, E, S
                Matcher en = EMIT_ENTRY.matcher(line);
                if (en.find()) {
                    emit[cur][Integer.parseInt(en.group(1), 16)] = Double.parseDouble(en.group(2));
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new CtxbenchException("cannot read jieba's HMM table from the ctxbench jar: " + e, e);
        }
        return new Jieba(words, freqs, total, emit);
    }

    private static BufferedReader open(String name) throws IOException {
        InputStream raw = Jieba.class.getResourceAsStream("jieba/" + name);
        if (raw == null) throw new IOException("resource io/ctxbench/score/jieba/" + name + " missing");
        return new BufferedReader(new InputStreamReader(new GZIPInputStream(raw, 1 << 16), StandardCharsets.UTF_8));
    }
}
