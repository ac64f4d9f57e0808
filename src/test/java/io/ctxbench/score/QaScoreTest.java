package io.ctxbench.score;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Hand-written checks of the Python behaviour that qa_f1_score inherits; expected values from CPython. */
class QaScoreTest {
    private static void assertResult(double f1, double p, double r, QaScore.Result got) {
        assertEquals(f1, got.f1(), 1e-12, "f1");
        assertEquals(p, got.precision(), 1e-12, "precision");
        assertEquals(r, got.recall(), 1e-12, "recall");
    }

    @Test
    void articlesAreWholeWordsOnly() {
        assertEquals(List.of("theory", "atheist", "another"), QaScore.tokens("A theory, an atheist: THE another."));
        assertEquals(List.of("thecat"), QaScore.tokens("the-cat"));       // punctuation goes first
        assertEquals(List.of("theend"), QaScore.tokens("the_end"));       // '_' is punctuation too
        assertEquals(List.of("e\u0301", "end"), QaScore.tokens("e\u0301the end")); // a combining mark is not
        assertEquals(List.of("the²", "x"), QaScore.tokens("the\u00b2 x"));  // but a superscript digit is
        assertEquals(List.of("x‿", "y"), QaScore.tokens("x\u203fthe y"));   // connector punctuation is not
    }

    @Test
    void onlyAsciiPunctuationIsRemoved() {
        assertEquals(List.of("“paris”"), QaScore.tokens("\u201cParis\u201d"));
        assertEquals(List.of("obrien", "o’brien"), QaScore.tokens("O'Brien O\u2019Brien"));
        assertResult(0.0, 0.0, 0.0, QaScore.score("1914\u20131918", "1914-1918"));
    }

    @Test
    void pythonWhitespaceAndLowercase() {
        assertEquals(List.of("b", "c", "d", "e", "f", "g"),
                QaScore.tokens("B\u00a0C\u2007D\u0085E\u3000F\u001cG"));
        assertEquals(List.of("x\u200by", "x\u180ey"), QaScore.tokens("x\u200by x\u180ey")); // not whitespace
        assertEquals(List.of("i\u0307stanbul", "οδος", "σοφια"), QaScore.tokens("\u0130STANBUL ΟΔΟΣ ΣΟΦΙΑ"));
        assertEquals(List.of("straße"), QaScore.tokens("STRAßE"));
    }

    @Test
    void counterIntersectionAndBestAnswer() {
        assertResult(0.5, 1.0 / 3, 1.0, QaScore.score("cat cat cat", "cat"));
        assertResult(0.8, 2.0 / 3, 1.0, QaScore.score("cat cat cat", "cat cat"));
        // precision/recall come from the first answer reaching the max F1
        assertResult(2.0 / 3, 0.5, 1.0, QaScore.best("New York", List.of("nyc", "new", "york")));
        assertResult(2.0 / 3, 1.0, 0.5, QaScore.best("York", List.of("New York", "York City")));
    }

    @Test
    void emptyInputsScoreZero() {
        assertResult(0.0, 0.0, 0.0, QaScore.best("Paris", List.of()));
        assertResult(0.0, 0.0, 0.0, QaScore.best("", List.of("Paris")));
        assertResult(0.0, 0.0, 0.0, QaScore.best("the a an", List.of("the")));
        assertResult(0.0, 0.0, 0.0, QaScore.best("", List.of("")));
    }
}
