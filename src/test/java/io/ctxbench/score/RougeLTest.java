package io.ctxbench.score;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Hand-written checks of rouge 1.0.1's ROUGE-L as LongBench calls it; expected values from CPython. */
class RougeLTest {
    @Test
    void identicalIsAlmostOne() {
        assertEquals(0.999999995, RougeL.score("Miller v. California", "Miller v. California"), 1e-15);
    }

    @Test
    void caseSensitiveAndDotsSplitSentences() {
        assertEquals(0.0, RougeL.score("paris.", "Paris"));
        assertEquals(0.999999995, RougeL.score("Paris.", "Paris"), 1e-15);
        assertEquals(0.7999999952000001, RougeL.score("New York\u00a0. ", "New York"), 1e-15);
    }

    @Test
    void emptyTextsRaiseAndScoreZero() {
        assertEquals(0.0, RougeL.score("", "x"));
        assertEquals(0.0, RougeL.score("x", ""));
        assertEquals(0.0, RougeL.score("...", "..."));
        assertEquals(0.0, RougeL.best("x", List.of()));
        // a whitespace-only sentence is the single word "", which can match
        assertEquals(0.999999995, RougeL.score(" .", " ."), 1e-15);
    }

    @Test
    void distinctWordsAndUnionOverSentences() {
        // m = n = 1 distinct word; the LCS union is {"cat"}
        assertEquals(0.999999995, RougeL.score("cat cat cat", "cat"), 1e-15);
        assertEquals(0.999999995, RougeL.score("b a. a b", "a b"), 1e-15);
    }

    @Test
    void deepRecursionScoresZero() {
        String t990 = words(990), t991 = words(991);
        assertEquals(0.999999995, RougeL.score(t990, t990), 1e-15);
        assertEquals(0.0, RougeL.score(t991, t991));
    }

    @Test
    void aSentencePairTooLargeForOneTableIsScoredExactly() {
        // 901 x 2,400,901 cells: more than an int can index, and 8.6 GB as one int table
        String ref = words(900), filler = "x ".repeat(2_400_000);
        double p = 900.0 / 901, r = 1.0;
        // the reference closes the prediction: the walk back is 900 diagonal steps, every word matched
        assertEquals(2.0 * ((p * r) / (p + r + 1e-8)), RougeL.score(filler + ref, ref));
        // the reference opens it: the walk back would cross the filler, far past Python's recursion limit
        assertEquals(0.0, RougeL.score(ref + " " + "x ".repeat(5000), ref));
    }

    private static String words(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.append(i == 0 ? "" : " ").append('w').append(i);
        return sb.toString();
    }
}
