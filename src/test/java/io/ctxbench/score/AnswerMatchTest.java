package io.ctxbench.score;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class AnswerMatchTest {

    @Test
    void aCorrectNeedleAnswerInASentenceContainsTheAnswerButIsNoExactMatch() {
        String pred = "The access code of the scarlet lynx vault is 74893";
        List<String> answers = List.of("74893");
        assertEquals(1.0, AnswerMatch.contains(pred, answers));
        assertEquals(0.0, AnswerMatch.exactMatch(pred, answers));
        assertEquals(0.2222222222222222, QaScore.best(pred, answers).f1(), 1e-15);   // what the F1 column showed
    }

    @Test
    void exactMatchIsEqualityAfterSquadNormalization() {
        assertEquals(1.0, AnswerMatch.exactMatch("  The Krakow. ", List.of("krakow")));
        assertEquals(1.0, AnswerMatch.exactMatch("Paris", List.of("London", "an  PARIS!")));   // max over answers
        assertEquals(0.0, AnswerMatch.exactMatch("Krakow, Poland", List.of("Krakow")));
        assertEquals(0.0, AnswerMatch.exactMatch("Krakow", List.of()));
        assertEquals("scarlet lynx 74893", AnswerMatch.normalize("The\tscarlet  LYNX: 74,893"));
    }

    @Test
    void containsNeedsWordBoundariesForAsciiWordsOnly() {
        assertEquals(0.0, AnswerMatch.contains("The code is 74893", List.of("4")));
        assertEquals(0.0, AnswerMatch.contains("a catalogue", List.of("cat")));
        assertEquals(1.0, AnswerMatch.contains("It is 4.", List.of("4")));
        assertEquals(1.0, AnswerMatch.contains("It is in New York City", List.of("Boston", "new york")));
        assertEquals(1.0, AnswerMatch.contains("答案是北京。", List.of("北京")));
        assertEquals(0.0, AnswerMatch.contains("anything", List.of("the", "")));   // normalizes to nothing
        assertEquals(1.0, AnswerMatch.contains("Paragraph 12", List.of("paragraph 12")));
        assertEquals(0.0, AnswerMatch.contains("Paragraph 12", List.of("paragraph 1")));
    }
}
