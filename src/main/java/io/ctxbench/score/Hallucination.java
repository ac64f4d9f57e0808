package io.ctxbench.score;

import io.ctxbench.CtxbenchException;
import opennlp.tools.postag.POSModel;
import opennlp.tools.postag.POSTaggerME;
import opennlp.tools.tokenize.TokenizerME;
import opennlp.tools.tokenize.TokenizerModel;
import opennlp.tools.util.Span;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The study's hallucination score of an answer against its context: {@code |E_h| / |E|}.
 *
 * <p><b>Elements E</b> of the answer, extracted with OpenNLP's classic English 1.5 models (maxent tokenizer and POS
 * tagger): (1) every token that holds a letter or digit; (2) every noun chunk: a maximal run of tokens tagged
 * DT/PRP$ (only first), JJ*, CD, NN* that ends in a noun (NN, NNS, NNP, NNPS), as the answer's text from its first to
 * its last token (a POS-pattern chunker: OpenNLP's maxent chunker with its beam of 10 took 0.6-0.8 s for a
 * 320-token answer on a loaded 2-core machine, too slow for per-sample scoring); (3) every entity, i.e. every
 * maximal run of proper-noun tokens (NNP/NNPS) and every number (CD). No English NER model is on a package
 * registry, so entities come from the POS tags (a capitalization-driven heuristic). Elements are lowercased and
 * deduplicated as a set.
 *
 * <p><b>Similarity</b> of an element e (code points, lowercased) to the lowercased context C:
 * {@code sim(e) = 1 - min over substrings s of C of lev(e, s) / |e|}, the best Levenshtein similarity of e to any
 * context span (approximate substring matching, computed with Myers' bit-parallel algorithm for |e| &lt;= 64 and a
 * dynamic program for longer elements). A span of exactly |e| code points scores at most this; an exact occurrence
 * scores 1. fuzzywuzzy's partial_ratio ({@link FuzzyMatch}) is not used here: on a context of 200 or more
 * characters its difflib core treats every frequent character as junk, so it misses long contexts' matches.
 *
 * <p><b>Hallucinated</b>: {@code sim(e) < 0.8}. <b>Score</b>: hallucinated elements / elements, in [0, 1]; 0 for
 * an answer with no elements (nothing is asserted). The context's code points are prepared once per context
 * ({@link #prepare}) and reused for every answer scored against it.
 */
public final class Hallucination {
    public static final double THRESHOLD = 0.8;

    /** What an element is; an element found as several kinds is reported as the first. */
    public enum Kind { ENTITY, NOUN_CHUNK, TOKEN }

    public record Element(String text, Kind kind, double similarity) {
        public boolean hallucinated() {
            return similarity < THRESHOLD;
        }
    }

    public record Result(double score, int elements, int hallucinated, List<Element> details) {
    }

    /** A context prepared for repeated scoring: lowercased text and its code points. */
    public static final class Prepared {
        final String lower;
        final int[] cps;
        /** the context as dense symbol ids (0..alphabet-1), and the id of each code point */
        final int[] ids;
        final java.util.HashMap<Integer, Integer> alphabet = new java.util.HashMap<>();
        int alphabetSize;

        Prepared(String context) {
            this.lower = context.toLowerCase(Locale.ROOT);
            this.cps = FuzzyMatch.codePoints(lower);
            this.ids = new int[cps.length];
            int[] bmp = new int[65536];   // id + 1 of each BMP code point seen; 0 = not seen
            for (int i = 0; i < cps.length; i++) {
                int c = cps[i];
                if (c < 65536) {
                    int id = bmp[c] - 1;
                    if (id < 0) {
                        id = alphabetSize++;
                        bmp[c] = id + 1;
                        alphabet.put(c, id);
                    }
                    ids[i] = id;
                } else {
                    Integer id = alphabet.get(c);
                    if (id == null) {
                        id = alphabetSize++;
                        alphabet.put(c, id);
                    }
                    ids[i] = id;
                }
            }
        }

        public int length() {
            return cps.length;
        }
    }

    private Hallucination() {
    }

    public static Prepared prepare(String context) {
        return new Prepared(context == null ? "" : context);
    }

    public static Result score(String answer, String context) {
        return score(answer, prepare(context));
    }

    public static Result score(String answer, Prepared ctx) {
        Map<String, Kind> elements = elements(answer);
        if (elements.isEmpty()) {
            return new Result(0.0, 0, 0, List.of());
        }
        List<Element> details = new ArrayList<>(elements.size());
        int bad = 0;
        for (Map.Entry<String, Kind> e : elements.entrySet()) {
            double sim = similarity(e.getKey(), ctx);
            Element el = new Element(e.getKey(), e.getValue(), sim);
            if (el.hallucinated()) {
                bad++;
            }
            details.add(el);
        }
        return new Result((double) bad / elements.size(), elements.size(), bad, details);
    }

    /** The best Levenshtein similarity (1 - distance / |e|) of {@code element} (as given) to any span of the context. */
    public static double similarity(String element, Prepared ctx) {
        String e = element.toLowerCase(Locale.ROOT);
        if (e.isEmpty()) {
            return 1.0;
        }
        if (ctx.lower.contains(e)) {
            return 1.0;
        }
        int[] p = FuzzyMatch.codePoints(e);
        int d = p.length <= 64 ? myers(p, ctx) : dp(p, ctx.cps);
        return Math.max(0.0, 1.0 - (double) d / p.length);
    }

    /** {@link #myers(int[], int[])} over a prepared context: one array load per context symbol. */
    static int myers(int[] p, Prepared ctx) {
        int m = p.length;
        long[] peq = new long[ctx.alphabetSize];
        for (int i = 0; i < m; i++) {
            Integer id = ctx.alphabet.get(p[i]);
            if (id != null) {
                peq[id] |= 1L << i;
            }
        }
        long pv = -1L, mv = 0L, high = 1L << (m - 1);
        int score = m, best = m;
        int[] ids = ctx.ids;
        for (int j = 0; j < ids.length; j++) {
            long eq = peq[ids[j]];
            long xv = eq | mv;
            long xh = (((eq & pv) + pv) ^ pv) | eq;
            long ph = mv | ~(xh | pv);
            long mh = pv & xh;
            if ((ph & high) != 0) {
                score++;
            } else if ((mh & high) != 0) {
                score--;
                if (score < best) {
                    best = score;
                    if (best == 0) {
                        break;
                    }
                }
            }
            ph <<= 1;
            mh <<= 1;
            pv = mh | ~(xv | ph);
            mv = ph & xv;
        }
        return best;
    }

    /** Min over substrings s of t of lev(p, s), |p| &lt;= 64: Myers (1999) / Hyyrö bit-vector, search mode. */
    static int myers(int[] p, int[] t) {
        int m = p.length;
        // pattern symbol masks: a small open table keyed by code point
        int cap = Integer.highestOneBit(Math.max(4, m * 2)) * 2;
        int[] keys = new int[cap];
        long[] masks = new long[cap];
        boolean[] used = new boolean[cap];
        for (int i = 0; i < m; i++) {
            int h = (p[i] * 0x9E3779B9) >>> 16 & (cap - 1);
            while (used[h] && keys[h] != p[i]) {
                h = (h + 1) & (cap - 1);
            }
            used[h] = true;
            keys[h] = p[i];
            masks[h] |= 1L << i;
        }
        long pv = -1L, mv = 0L, high = 1L << (m - 1);
        int score = m, best = m;
        for (int c : t) {
            int h = (c * 0x9E3779B9) >>> 16 & (cap - 1);
            long eq = 0L;
            while (used[h]) {
                if (keys[h] == c) {
                    eq = masks[h];
                    break;
                }
                h = (h + 1) & (cap - 1);
            }
            long xv = eq | mv;
            long xh = (((eq & pv) + pv) ^ pv) | eq;
            long ph = mv | ~(xh | pv);
            long mh = pv & xh;
            if ((ph & high) != 0) {
                score++;
            } else if ((mh & high) != 0) {
                score--;
            }
            ph <<= 1;   // row 0 is all zeros: a match may start anywhere in the text
            mh <<= 1;
            pv = mh | ~(xv | ph);
            mv = ph & xv;
            if (score < best) {
                best = score;
                if (best == 0) {
                    break;
                }
            }
        }
        return best;
    }

    /** The same quantity by dynamic programming, for elements longer than 64 code points. */
    static int dp(int[] p, int[] t) {
        int m = p.length;
        int[] col = new int[m + 1];
        for (int i = 0; i <= m; i++) {
            col[i] = i;
        }
        int best = m;
        for (int c : t) {
            int diag = col[0];   // D[0][j] = 0 for every j
            col[0] = 0;
            for (int i = 1; i <= m; i++) {
                int up = col[i];
                int v = Math.min(Math.min(col[i] + 1, col[i - 1] + 1), diag + (p[i - 1] == c ? 0 : 1));
                diag = up;
                col[i] = v;
            }
            best = Math.min(best, col[m]);
        }
        return best;
    }

    /** The answer's elements, lowercased, each with the first kind it was found as (entities first). */
    public static Map<String, Kind> elements(String answer) {
        Map<String, Kind> out = new LinkedHashMap<>();
        if (answer == null || answer.isBlank()) {
            return out;
        }
        Nlp nlp = Nlp.get();
        Span[] spans;
        String[] tags;
        synchronized (nlp) {
            spans = nlp.tokenizer.tokenizePos(answer);
            String[] tokens = Span.spansToStrings(spans, answer);
            tags = nlp.tagger.tag(tokens);
        }
        int n = spans.length;
        // entities: maximal runs of NNP/NNPS, and numbers
        for (int i = 0; i < n; ) {
            if (tags[i].startsWith("NNP")) {
                int j = i;
                while (j < n && tags[j].startsWith("NNP")) {
                    j++;
                }
                put(out, answer.substring(spans[i].getStart(), spans[j - 1].getEnd()), Kind.ENTITY);
                i = j;
            } else {
                if (tags[i].equals("CD") && hasAlnum(spans[i].getCoveredText(answer))) {
                    put(out, spans[i].getCoveredText(answer).toString(), Kind.ENTITY);
                }
                i++;
            }
        }
        // noun chunks: [DT|PRP$]? (JJ*|CD|NN*)* ending in NN*
        for (int i = 0; i < n; ) {
            int j = i;
            if (tags[j].equals("DT") || tags[j].equals("PRP$")) {
                j++;
            }
            int lastNoun = -1;
            while (j < n && (tags[j].startsWith("JJ") || tags[j].equals("CD") || tags[j].startsWith("NN"))) {
                if (tags[j].startsWith("NN")) {
                    lastNoun = j;
                }
                j++;
            }
            if (lastNoun >= 0) {
                put(out, answer.substring(spans[i].getStart(), spans[lastNoun].getEnd()), Kind.NOUN_CHUNK);
                i = lastNoun + 1;
            } else {
                i = Math.max(i + 1, j);
            }
        }
        for (Span s : spans) {
            CharSequence tok = s.getCoveredText(answer);
            if (hasAlnum(tok)) {
                put(out, tok.toString(), Kind.TOKEN);
            }
        }
        return out;
    }

    private static void put(Map<String, Kind> out, String text, Kind kind) {
        String k = text.strip().toLowerCase(Locale.ROOT);
        if (!k.isEmpty() && hasAlnum(k)) {
            out.putIfAbsent(k, kind);
        }
    }

    private static boolean hasAlnum(CharSequence s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isLetterOrDigit(s.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    /** The OpenNLP models, loaded once from the model jars on the class path. */
    private static final class Nlp {
        private static volatile Nlp instance;
        final TokenizerME tokenizer;
        final POSTaggerME tagger;

        private Nlp() throws IOException {
            tokenizer = new TokenizerME(new TokenizerModel(resource("en-token.bin")));
            tagger = new POSTaggerME(new POSModel(resource("en-pos-maxent.bin")));
        }

        static Nlp get() {
            Nlp n = instance;
            if (n == null) {
                synchronized (Nlp.class) {
                    if (instance == null) {
                        try {
                            instance = new Nlp();
                        } catch (IOException e) {
                            throw new CtxbenchException("cannot load the OpenNLP English models: " + e.getMessage(), e);
                        }
                    }
                    n = instance;
                }
            }
            return n;
        }

        private static InputStream resource(String name) throws IOException {
            InputStream in = Hallucination.class.getClassLoader().getResourceAsStream(name);
            if (in == null) {
                throw new IOException(name + " is not on the class path (the opennlp-*-models jars)");
            }
            return in;
        }
    }
}
