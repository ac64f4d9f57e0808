package io.ctxbench.score;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * LongBench v2 scoring as its own code does it: the answer letter taken from the response by pred.py's
 * {@code extract_answer}, judged right when it equals the gold letter, and result.py's accuracy table (overall, by
 * difficulty easy/hard and by length short/medium/long), in percent rounded to one decimal with Python's round.
 */
public final class LongBenchV2Score {
    private LongBenchV2Score() {}

    private static final Pattern IN_PARENS = Pattern.compile("The correct answer is \\(([A-D])\\)");
    private static final Pattern BARE = Pattern.compile("The correct answer is ([A-D])");

    /**
     * {@code extract_answer}: '*' removed, then the first "The correct answer is (X)", else the first "The correct
     * answer is X", X in A-D (case-sensitive); null when neither is there.
     */
    public static String extractAnswer(String response) {
        String r = response.replace("*", "");
        Matcher m = IN_PARENS.matcher(r);
        if (m.find()) return m.group(1);
        m = BARE.matcher(r);
        return m.find() ? m.group(1) : null;
    }

    /** One judged item: its difficulty and length class, the extracted letter (may be null) and the gold one. */
    public record Judged(String difficulty, String length, String pred, String answer) {
        public boolean right() {
            return pred != null && pred.equals(answer);
        }
    }

    /** One cell of result.py's table: its group, how many items, and the accuracy in percent (NaN for none). */
    public record Accuracy(String group, int n, double percent) {
    }

    /**
     * result.py's row: Overall, Easy, Hard, Short, Medium, Long. An item counts 1 when right, 0 otherwise, or 0.25
     * when {@code compensated} and no letter was found (result.py's switch, off there by default). As there, a
     * difficulty other than "easy" counts as hard and a length other than short/medium as long.
     */
    public static List<Accuracy> table(List<Judged> items, boolean compensated) {
        int easy = 0, hard = 0, shortN = 0, medium = 0, longN = 0;
        double easyAcc = 0, hardAcc = 0, shortAcc = 0, mediumAcc = 0, longAcc = 0;
        for (Judged j : items) {
            double acc = j.right() ? 1 : 0;
            if (compensated && j.pred() == null) acc = 0.25;
            if (j.difficulty().equals("easy")) {
                easy++;
                easyAcc += acc;
            } else {
                hard++;
                hardAcc += acc;
            }
            switch (j.length()) {
                case "short" -> {
                    shortN++;
                    shortAcc += acc;
                }
                case "medium" -> {
                    medium++;
                    mediumAcc += acc;
                }
                default -> {
                    longN++;
                    longAcc += acc;
                }
            }
        }
        return List.of(cell("overall", items.size(), easyAcc + hardAcc), cell("easy", easy, easyAcc), cell("hard", hard, hardAcc),
                cell("short", shortN, shortAcc), cell("medium", medium, mediumAcc), cell("long", longN, longAcc));
    }

    /** {@code round(100 * acc / n, 1)}. */
    private static Accuracy cell(String group, int n, double acc) {
        double pct = n == 0 ? Double.NaN : new BigDecimal(100 * acc / n).setScale(1, RoundingMode.HALF_EVEN).doubleValue();
        return new Accuracy(group, n, pct);
    }
}
