package io.ctxbench.compress;

import io.ctxbench.CtxbenchException;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Model-free pieces: targets, the sentence splitter, sanitizing, the log-softmax kernel, word units and selection. */
class TextPartsTest {

    @Test
    void targetsParseAndBudget() {
        assertEquals(2.0, CompressionTarget.parse("2x").rate());
        assertEquals(2.5, CompressionTarget.parse(" 2.5 ").rate());
        assertEquals(500, CompressionTarget.parse("500t").tokens());
        assertEquals(500, CompressionTarget.parse("500 tokens").tokens());
        assertEquals(50, CompressionTarget.rate(2).budgetFor(100));
        assertEquals(34, CompressionTarget.rate(3).budgetFor(101));     // ceil(33.67)
        assertEquals(100, CompressionTarget.rate(1).budgetFor(100));
        assertEquals(1, CompressionTarget.rate(1e9).budgetFor(100));    // never zero for a non-empty context
        assertEquals(80, CompressionTarget.tokens(500).budgetFor(80));  // never above the original
        assertEquals(0, CompressionTarget.rate(2).budgetFor(0));
        assertThrows(CtxbenchException.class, () -> CompressionTarget.rate(0.5));
        assertThrows(CtxbenchException.class, () -> CompressionTarget.rate(Double.NaN));
        assertThrows(CtxbenchException.class, () -> CompressionTarget.tokens(0));
        assertThrows(CtxbenchException.class, () -> CompressionTarget.parse("fast"));
    }

    @Test
    void sentencesConcatenateBackAndRespectAbbreviations() {
        String t = "Mr. Smith went to Washington. He met Dr. J. Doe at 5 p.m. on Jan. 3! Was it fun? \"Yes.\" He said\n"
                + "New paragraph\twith a tab. e.g. this stays. Ends without a stop";
        int[] b = SentenceSplitter.split(t);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i + 1 < b.length; i++) {
            sb.append(t, b[i], b[i + 1]);
        }
        assertEquals(t, sb.toString());
        String[] expect = {"Mr. Smith went to Washington. ", "He met Dr. J. Doe at 5 p.m. on Jan. 3! ", "Was it fun? ",
                "\"Yes.\" ", "He said\n", "New paragraph\t", "with a tab. e.g. this stays. ", "Ends without a stop"};
        assertEquals(expect.length, b.length - 1, () -> java.util.Arrays.toString(b));
        for (int i = 0; i < expect.length; i++) {
            assertEquals(expect[i], t.substring(b[i], b[i + 1]));
        }
        assertArrayEquals(new int[]{0}, SentenceSplitter.split(""));
    }

    @Test
    void aLongLineWithoutPunctuationIsCutIntoBoundedPieces() {
        String line = "x".repeat(10_000) + " " + "y".repeat(3000);
        int[] b = SentenceSplitter.split(line);
        assertEquals(line.length(), b[b.length - 1]);
        for (int i = 0; i + 1 < b.length; i++) {
            assertTrue(b[i + 1] - b[i] <= SentenceSplitter.MAX_CHARS + 1);
        }
        // a surrogate pair is never cut
        String emoji = "\uD83D\uDE00".repeat(3000);
        int[] e = SentenceSplitter.split(emoji);
        for (int x : e) {
            assertTrue(x == emoji.length() || !Character.isLowSurrogate(emoji.charAt(x)));
        }
    }

    @Test
    void sanitizeReplacesOnlyLoneSurrogates() {
        String s = "a\uD800b\uDC00c\uD83D\uDE00\u0000\u0007";
        String t = TextUtil.sanitize(s);
        assertEquals("a\uFFFDb\uFFFDc\uD83D\uDE00\u0000\u0007", t);
        String clean = "plain";
        assertTrue(clean == TextUtil.sanitize(clean));
    }

    @Test
    void selfInformationMatchesAnExactLogSoftmax() {
        Random r = new Random(7);
        int v = 49152 + 3;   // not a multiple of the loops' unrolling
        int rows = 13;
        try (Arena a = Arena.ofShared()) {   // shared, like the engine's logits (global scope): workers read it
            MemorySegment logits = a.allocate(ValueLayout.JAVA_FLOAT, (long) rows * v);
            int[] targets = new int[rows + 2];
            double[] exact = new double[rows];
            for (int row = 0; row < rows; row++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < v; j++) {
                    // a peak somewhere (the max moves around), one row of large logits, one very flat
                    float x = (float) (r.nextGaussian() * (row == 5 ? 0.01 : 3) + (j == 17 * row ? 25 : 0) + (row == 7 ? 200 : 0));
                    logits.setAtIndex(ValueLayout.JAVA_FLOAT, (long) row * v + j, x);
                    max = Math.max(max, x);
                }
                double sum = 0;
                for (int j = 0; j < v; j++) {
                    sum += Math.exp(logits.getAtIndex(ValueLayout.JAVA_FLOAT, (long) row * v + j) - max);
                }
                int tok = row % 3 == 0 ? 0 : row % 3 == 1 ? 17 * row : v - 1;
                targets[row + 2] = tok;
                exact[row] = max + Math.log(sum) - logits.getAtIndex(ValueLayout.JAVA_FLOAT, (long) row * v + tok);
                assertEquals(exact[row], LogSumExp.selfInformation(logits.asSlice((long) row * v * Float.BYTES), v, tok),
                        1e-3 + 1e-4 * Math.abs(exact[row]));
            }
            // the rows split over 1, 3 or 8 workers give the same, at the offsets asked for
            for (int workers : new int[]{1, 3, 8}) {
                float[] out = new float[rows + 1];
                LogSumExp.rows(logits, rows, v, targets, 2, out, 1, workers);
                for (int row = 0; row < rows; row++) {
                    assertEquals(exact[row], out[row + 1], 1e-3 + 1e-4 * Math.abs(exact[row]), "row " + row + ", " + workers + " workers");
                }
                assertEquals(0f, out[0]);
            }
            // the consumer maps rows to the tokens they predict and ignores rows past its range
            float[] info = new float[rows];
            SelfInformation c = new SelfInformation(v, 2);
            c.target(Arrays.copyOfRange(targets, 2, rows + 2), 3, 6, info);
            c.accept(40, 2, logits);
            c.accept(42, 4, logits.asSlice(2L * v * Float.BYTES));
            assertEquals(exact[0], info[3], 1e-3 + 1e-4 * Math.abs(exact[0]));
            assertEquals(exact[2], info[5], 1e-3 + 1e-4 * Math.abs(exact[2]));
            assertEquals(0f, info[6]);
            assertEquals(3, c.rows);
            // masked tokens (-inf logits) add nothing: the row's other entries decide
            MemorySegment masked = a.allocate(ValueLayout.JAVA_FLOAT, v);
            for (int j = 0; j < v; j++) {
                masked.setAtIndex(ValueLayout.JAVA_FLOAT, j, j < 4 ? j : Float.NEGATIVE_INFINITY);
            }
            double lse = Math.log(Math.exp(0) + Math.exp(1) + Math.exp(2) + Math.exp(3));
            assertEquals(lse - 2, LogSumExp.selfInformation(masked, v, 2), 1e-5);
        }
        for (float x = -87f; x <= 0f; x += 0.37f) {
            assertEquals(Math.exp(x), LogSumExp.expPoly(x), 5e-5 * Math.exp(x), "e^" + x);
        }
        assertEquals(1f, LogSumExp.expPoly(0f));
    }

    /** A toy vocabulary: token i is this piece. */
    private static byte[][] pieces(String... p) {
        byte[][] out = new byte[p.length + 2][];
        for (int i = 0; i < p.length; i++) {
            out[i] = p[i].getBytes(StandardCharsets.UTF_8);
        }
        out[p.length] = new byte[]{(byte) 0xC3};       // "é" split over two tokens
        out[p.length + 1] = new byte[]{(byte) 0xA9};
        return out;
    }

    @Test
    void wordsGroupTokensAndProtectNumbersNamesAndForceTokens() {
        byte[][] v = pieces("The", " meeting", " in", " Geneva", ".", " Revenue", " grew", " 3", "7", " percent", " happy");
        int[] tok = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        Words w = Words.of(tok, null, v, List.of("happy"), 16, true, true);
        // " 3" + "7" is one word; every other token starts one
        assertArrayEquals(new int[]{0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11}, w.start());
        assertArrayEquals(new byte[]{Words.PLAIN, Words.PLAIN, Words.PLAIN, Words.ENTITY, Words.PLAIN,
                Words.PLAIN /* capitalised, but it starts a sentence */, Words.PLAIN, Words.DIGIT, Words.PLAIN, Words.FORCE},
                w.cls());
        assertEquals(3, w.segmentEnd(0, 3));
        assertEquals(9, w.segmentEnd(7, 3));   // " 37" (2 tokens) and " percent"
        assertEquals(10, w.segmentEnd(9, 3));  // at least one unit
        Words off = Words.of(tok, null, v, List.of(), 16, false, false);
        for (byte c : off.cls()) {
            assertEquals(Words.PLAIN, c);
        }
        // a character split over tokens is never cut, even past the longest unit
        int e = v.length - 2;
        assertArrayEquals(new int[]{0, 3}, Words.of(new int[]{0, e, e + 1}, null, v, List.of(), 2, true, true).start());
    }

    @Test
    void selectionKeepsTheMostInformativeWordsThenCorrectsTowardsTheBudget() {
        byte[][] v = pieces(" a", " b", " c", " d", " e");
        Words w = Words.of(new int[]{0, 1, 2, 3, 4}, null, v, List.of(" e"), 16, true, true);
        float[] info = {1f, 5f, 3f, 2f, 0.5f};
        Selection s = new Selection(w, info, 0.5, 8);
        s.choose(0, 5);
        // half of 5 rounds to 3: the force word " e" plus the two most informative
        assertArrayEquals(new boolean[]{false, true, true, false, true}, s.kept());
        s.correct(1.0);   // one token too many: the least informative non-force kept word goes
        assertArrayEquals(new boolean[]{false, true, false, false, true}, s.kept());
        s.correct(-2.0);  // two too few: the most informative dropped words come back
        assertArrayEquals(new boolean[]{false, true, true, true, true}, s.kept());
    }
}
