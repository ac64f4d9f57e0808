package io.ctxbench.score;

import io.ctxbench.CtxbenchException;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.SortedMap;

/**
 * RULER's scoring as scripts/eval/evaluate.py and scripts/eval/synthetic/constants.py compute it: predictions are
 * post-processed ({@link #postprocess}), then a task's score is the mean over samples of the fraction of
 * references found in the prediction ({@code string_match_all}) or of whether any is ({@code string_match_part}),
 * case-insensitive, times 100, rounded to 2 decimals. The RULER score of a model at a length is the mean of its
 * task scores. A task's metric ({@code io.ctxbench.tasks.Metric} STRING_MATCH_ALL / STRING_MATCH_PART) applies
 * {@link #postprocess} and {@link #matchAll} or {@link #matchPart} to one prediction; eval records that term (0..1)
 * per sample, and {@link #task} turns a task's terms into RULER's number.
 */
public final class RulerScore {
    private RulerScore() {
    }

    /** postprocess_pred: strip, control characters (U+0000..U+001F) to newlines, strip again. */
    public static String postprocess(String prediction) {
        String s = PyText.strip(prediction);
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            sb.append(c <= 0x1f ? '\n' : c);
        }
        return PyText.strip(sb.toString());
    }

    /** One sample's string_match_all term: the fraction of references contained in the prediction (0..1). */
    public static double matchAll(String prediction, List<String> references) {
        if (references.isEmpty()) {
            throw new CtxbenchException("a RULER sample needs at least one reference");
        }
        String p = lower(prediction);
        double found = 0;
        for (String r : references) {
            found += p.contains(lower(r)) ? 1.0 : 0.0;
        }
        return found / references.size();
    }

    /** One sample's string_match_part term: 1 if any reference is contained in the prediction, else 0. */
    public static double matchPart(String prediction, List<String> references) {
        if (references.isEmpty()) {
            throw new CtxbenchException("a RULER sample needs at least one reference");
        }
        String p = lower(prediction);
        for (String r : references) {
            if (p.contains(lower(r))) {
                return 1.0;
            }
        }
        return 0.0;
    }

    /** A task's score as evaluate.py reports it: 100 x the mean of its samples' terms (0..1), rounded to 2 decimals. */
    public static double task(List<Double> sampleTerms) {
        if (sampleTerms.isEmpty()) {
            throw new CtxbenchException("a RULER task score needs one or more sample scores");
        }
        double sum = 0;
        for (double t : sampleTerms) {
            sum += t;
        }
        return round2(sum / sampleTerms.size() * 100);
    }

    /** The RULER average at one length: the mean of the task scores (unrounded). */
    public static double average(Map<String, Double> taskScores) {
        if (taskScores.isEmpty()) {
            throw new CtxbenchException("a RULER average needs at least one task score");
        }
        return taskScores.values().stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    }

    /**
     * The shortest length at which {@code method} scores below {@code fraction} of {@code baseline} (both keyed by
     * length; only lengths both have count), or empty if it never does: "where does the optimization start to cost".
     */
    public static OptionalInt firstLengthBelow(SortedMap<Integer, Double> baseline, SortedMap<Integer, Double> method,
                                               double fraction) {
        if (!(fraction > 0)) {
            throw new CtxbenchException("the relative threshold must be > 0, got " + fraction);
        }
        for (Map.Entry<Integer, Double> e : method.entrySet()) {
            Double base = baseline.get(e.getKey());
            if (base != null && e.getValue() < fraction * base) {
                return OptionalInt.of(e.getKey());
            }
        }
        return OptionalInt.empty();
    }

    /**
     * RULER's effective length: the longest length up to which every tested length scores at least
     * {@code threshold} (RULER uses Llama-2-7B's 4k score, 85.6), or empty if the shortest already falls below.
     */
    public static OptionalInt effectiveLength(SortedMap<Integer, Double> scores, double threshold) {
        OptionalInt best = OptionalInt.empty();
        for (Map.Entry<Integer, Double> e : scores.entrySet()) {
            if (e.getValue() < threshold) {
                break;
            }
            best = OptionalInt.of(e.getKey());
        }
        return best;
    }

    /** Python's round(x, 2): the exact binary value rounded half to even. */
    static double round2(double x) {
        return new BigDecimal(x).setScale(2, RoundingMode.HALF_EVEN).doubleValue();
    }

    /** Python's str.lower(), which evaluate.py compares with. */
    private static String lower(String s) {
        return PyText.lower(s);
    }
}
