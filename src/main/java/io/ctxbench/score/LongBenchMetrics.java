package io.ctxbench.score;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metrics of LongBench v1's metrics.py not covered by {@link QaScore} / {@link RougeL} / {@link FuzzyMatch}, and
 * eval.py's scorer rules: the first-line rule and the rounding of dataset scores (scorer) and of LongBench-E's
 * length buckets (scorer_e). Each metric scores one prediction against one gold answer; values in [0, 1].
 *
 * <p>Python's {@code \d} in a str pattern is any Unicode decimal digit (category Nd), hence {@code \p{Nd}} here;
 * numbers are compared as strings, as metrics.py does ("07" is not "7", "１２" is not "12").
 */
public final class LongBenchMetrics {
    private LongBenchMetrics() {}

    /** {@code normalize_zh_answer}'s Chinese punctuation, added to Python's string.punctuation. */
    private static final String CN_PUNCTUATION = "！？｡。＂＃＄％＆＇（）＊＋，－／：；＜＝＞＠［＼］＾＿｀｛｜｝～｟｠｢｣､、〃》「」『』【】〔〕〖〗〘〙〚〛〜〝〞〟〰〾〿–—‘’‛“”„‟…‧﹏.";
    private static final String PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~" + CN_PUNCTUATION;

    private static final Pattern NUMBER = Pattern.compile("\\p{Nd}+");
    private static final Pattern PARAGRAPH = Pattern.compile("Paragraph (\\p{Nd}+)");
    private static final Pattern PARAGRAPH_ZH = Pattern.compile("段落(\\p{Nd}+)");

    /** {@code qa_f1_score}. */
    public static double qaF1(String prediction, String gold) {
        return QaScore.score(prediction, gold).f1();
    }

    /**
     * {@code qa_f1_zh_score}: both texts cut by jieba, each token through {@code normalize_zh_answer} (lowercase, drop
     * ASCII and Chinese punctuation, drop whitespace), empty tokens dropped, then the F1 of the token multisets.
     */
    public static double qaF1Zh(String prediction, String gold) {
        return QaScore.score(zhTokens(prediction), zhTokens(gold)).f1();
    }

    private static List<String> zhTokens(String text) {
        List<String> out = new ArrayList<>();
        for (String t : Jieba.cut(text)) {
            String n = normalizeZh(t);
            if (!n.isEmpty()) out.add(n);
        }
        return out;
    }

    /** {@code normalize_zh_answer}: {@code "".join(remove_punc(lower(s)).split())}. */
    static String normalizeZh(String s) {
        String lower = PyText.lower(s);
        StringBuilder sb = new StringBuilder(lower.length());
        for (int i = 0; i < lower.length(); ) {
            int c = lower.codePointAt(i);
            i += Character.charCount(c);
            if (!PyText.isSpace(c) && PUNCTUATION.indexOf(c) < 0) sb.appendCodePoint(c);
        }
        return sb.toString();
    }

    /** {@code rouge_score}. */
    public static double rouge(String prediction, String gold) {
        return RougeL.score(prediction, gold);
    }

    /**
     * {@code rouge_zh_score}: rouge_score of the two texts cut by jieba and joined with spaces (a Python frame deeper,
     * so rouge's recursive LCS walk gives up, and the score is 0, one word earlier).
     */
    public static double rougeZh(String prediction, String gold) {
        return RougeL.score(String.join(" ", Jieba.cut(prediction)), String.join(" ", Jieba.cut(gold)),
                RougeL.RECON_MAX_FRAMES_ZH);
    }

    /**
     * {@code classification_score}: the classes found in the prediction (substring test, in all_classes' order);
     * then, as metrics.py does, every match that is part of the gold class name but not equal to it is removed
     * while the same list is being iterated, so the element after a removed one is never looked at, and
     * {@code list.remove} takes out the first equal element; 1 / the number left if the gold class is among them.
     */
    public static double classification(String prediction, String gold, List<String> allClasses) {
        List<String> matches = new ArrayList<>();
        for (String c : allClasses) {
            if (prediction.contains(c)) matches.add(c);
        }
        for (int i = 0; i < matches.size(); i++) {   // Python's list iterator: index i, one step per item
            String term = matches.get(i);
            if (gold.contains(term) && !term.equals(gold)) matches.remove(term);
        }
        return matches.contains(gold) ? 1.0 / matches.size() : 0.0;
    }

    /** {@code retrieval_score}; a gold answer without "Paragraph N" raises in LongBench, here too. */
    public static double retrieval(String prediction, String gold) {
        return countEqual(prediction, paragraphId(PARAGRAPH, gold, "Paragraph N"));
    }

    /** {@code retrieval_zh_score}: the same with "段落N". */
    public static double retrievalZh(String prediction, String gold) {
        return countEqual(prediction, paragraphId(PARAGRAPH_ZH, gold, "段落N"));
    }

    /** {@code count_score}: the share of the numbers in the prediction that equal the gold answer. */
    public static double count(String prediction, String gold) {
        return countEqual(prediction, gold);
    }

    private static String paragraphId(Pattern p, String gold, String form) {
        Matcher m = p.matcher(gold);
        if (!m.find()) {
            throw new IllegalArgumentException("the answer \"" + gold + "\" has no \"" + form + "\" in it");
        }
        return m.group(1);
    }

    private static double countEqual(String prediction, String id) {
        Matcher m = NUMBER.matcher(prediction);
        int numbers = 0, right = 0;
        while (m.find()) {
            numbers++;
            if (m.group().equals(id)) right++;
        }
        return numbers == 0 ? 0.0 : (double) right / numbers;
    }

    /**
     * {@code code_sim_score}: the first line of the prediction (leading newlines dropped) with no '`', '#' or "//"
     * in it ("" when every line has one), then fuzz.ratio against the gold line / 100.
     */
    public static double codeSim(String prediction, String gold) {
        String line = "";
        for (String l : stripLeadingNewlines(prediction).split("\n", -1)) {
            if (l.indexOf('`') < 0 && l.indexOf('#') < 0 && !l.contains("//")) {
                line = l;
                break;
            }
        }
        return FuzzyMatch.ratio(line, gold) / 100.0;
    }

    /** eval.py's rule for trec, triviaqa, samsum and lsht: {@code prediction.lstrip('\n').split('\n')[0]}. */
    public static String firstLine(String prediction) {
        String s = stripLeadingNewlines(prediction);
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static String stripLeadingNewlines(String s) {
        int i = 0;
        while (i < s.length() && s.charAt(i) == '\n') i++;
        return s.substring(i);
    }

    /**
     * eval.py's {@code scorer}: {@code round(100 * total / n, 2)} of the per-sample scores, summed in order, with
     * Python's round of a float (the exact binary value, half to even); NaN for no samples.
     */
    public static double datasetScore(double[] scores) {
        if (scores.length == 0) return Double.NaN;
        double total = 0;
        for (double s : scores) total += s;
        return pyRound2(100 * total / scores.length);
    }

    /**
     * One bucket of eval.py's {@code scorer_e}: {@code round(100 * np.mean(scores), 2)}. numpy sums pairwise and its
     * round is rint(x * 100) / 100, which differs from Python's round where x * 100 lands on a half (0.005 gives 0.0,
     * Python's round 0.01); NaN for an empty bucket, as np.mean([]) is.
     */
    public static double bucketScore(double[] scores) {
        if (scores.length == 0) return Double.NaN;
        double mean = pairwiseSum(scores, 0, scores.length) / scores.length;
        return Math.rint(100 * mean * 100) / 100;
    }

    /** LongBench-E's buckets of a sample's {@code length} field (words): "0-4k", "4-8k", "8k+". */
    public static String bucket(int length) {
        return length < 4000 ? "0-4k" : length < 8000 ? "4-8k" : "8k+";
    }

    /** Python's {@code round(x, 2)} for a float. */
    static double pyRound2(double x) {
        if (!Double.isFinite(x)) return x;
        return new BigDecimal(x).setScale(2, RoundingMode.HALF_EVEN).doubleValue();
    }

    /** numpy's pairwise_sum for float64 (blocks of 128, eight accumulators), as np.add.reduce uses it. */
    static double pairwiseSum(double[] a, int from, int n) {
        if (n < 8) {
            double res = 0.0;
            for (int i = 0; i < n; i++) res += a[from + i];
            return res;
        }
        if (n <= 128) {
            double[] r = new double[8];
            System.arraycopy(a, from, r, 0, 8);
            int i = 8;
            for (; i < n - (n % 8); i += 8) {
                for (int j = 0; j < 8; j++) r[j] += a[from + i + j];
            }
            double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for (; i < n; i++) res += a[from + i];
            return res;
        }
        int n2 = n / 2;
        n2 -= n2 % 8;
        return pairwiseSum(a, from, n2) + pairwiseSum(a, from + n2, n - n2);
    }
}
