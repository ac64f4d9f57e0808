package io.ctxbench.compress;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The units the fine stage keeps or drops: the scoring model's tokens grouped into words, each with a protection
 * class, and the segments the words are scored in. A unit starts at a piece beginning with whitespace, at
 * punctuation, or after {@code maxUnitTokens} tokens; a UTF-8 character split over tokens is never cut, and a
 * whitespace-only token opens the unit of the word it precedes (dropping a word drops its separator).
 *
 * @param start unit starts over the tokens, plus the token count at the end (unit u is tokens [start[u], start[u+1]))
 * @param cls   protection class of each unit: {@link #FORCE}, {@link #DIGIT}, {@link #ENTITY} or {@link #PLAIN}
 *              (higher is kept first)
 */
record Words(int[] start, byte[] cls) {
    static final byte FORCE = 3, DIGIT = 2, ENTITY = 1, PLAIN = 0;

    /**
     * Splits {@code tok} (with the char offset each starts at, or null) into units and classifies them: force-token
     * words, words with digits ({@code protectDigits}), capitalised words not starting a sentence
     * ({@code protectEntities}, the named-entity heuristic), the rest plain.
     */
    static Words of(int[] tok, int[] charStarts, byte[][] pieces, List<String> force, int maxUnitTokens,
                    boolean protectDigits, boolean protectEntities) {
        int[] start = units(tok, charStarts, pieces, maxUnitTokens);
        return new Words(start, classify(tok, start, pieces, force, protectDigits, protectEntities));
    }

    int count() {
        return start.length - 1;
    }

    /**
     * The end (exclusive) of the segment that begins at unit {@code u}: whole units, about {@code tokens} tokens
     * (at least one unit, at most 2 x {@code tokens} tokens).
     */
    int segmentEnd(int u, int tokens) {
        int a = start[u];
        int n = count();
        int end = u + 1;
        while (end < n && start[end + 1] - a <= tokens) {
            end++;
        }
        return end;
    }

    private static int[] units(int[] tok, int[] charStarts, byte[][] pieces, int maxUnitTokens) {
        int n = tok.length;
        int[] starts = new int[n + 1];
        int count = 0;
        int inUnit = 0;
        for (int k = 0; k < n; k++) {
            byte[] p = pieces[tok[k]];
            boolean boundary;
            if (k == 0) {
                boundary = true;
            } else if (p.length > 0 && (p[0] & 0xC0) == 0x80) {
                boundary = false;   // continues a UTF-8 character begun in the previous token
            } else if (charStarts != null && charStarts[k] == charStarts[k - 1]) {
                boundary = false;
            } else {
                byte[] prev = pieces[tok[k - 1]];
                byte first = p.length > 0 ? p[0] : (byte) ' ';
                byte last = prev.length > 0 ? prev[prev.length - 1] : (byte) ' ';
                boolean prevAllSpace = prev.length > 0;
                for (byte x : prev) {
                    prevAllSpace &= isSpace(x);
                }
                if (prevAllSpace && !isSpace(first)) {
                    // whitespace-only tokens (" " before digits, "\n") open the unit of the word they precede, so
                    // dropping a word drops its separator and keeping it keeps the separator
                    boundary = inUnit >= maxUnitTokens;
                } else {
                    boundary = isSpace(first) || isSpace(last) || isPunct(first) || isPunct(last) || inUnit >= maxUnitTokens;
                }
            }
            if (boundary) {
                starts[count++] = k;
                inUnit = 0;
            }
            inUnit++;
        }
        starts[count++] = n;
        return Arrays.copyOf(starts, count);
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\n' || b == '\t' || b == '\r';
    }

    private static boolean isPunct(byte b) {
        return b >= 0x21 && b <= 0x7E && !Character.isLetterOrDigit(b);
    }

    /** Protection class of each unit: force tokens, digits, capitalised words not starting a sentence, plain. */
    private static byte[] classify(int[] tok, int[] unitStart, byte[][] pieces, List<String> force, boolean protectDigits,
                                   boolean protectEntities) {
        int nUnits = unitStart.length - 1;
        byte[] cls = new byte[nUnits];
        byte[][] forceBytes = force.stream().map(f -> f.getBytes(StandardCharsets.UTF_8)).toArray(byte[][]::new);
        boolean sentenceStart = true;
        ByteArrayOutputStream unit = new ByteArrayOutputStream();
        for (int u = 0; u < nUnits; u++) {
            boolean digit = false;
            int firstLetter = -1;
            byte lastNonSpace = 0;
            unit.reset();
            for (int k = unitStart[u]; k < unitStart[u + 1]; k++) {
                byte[] p = pieces[tok[k]];
                if (forceBytes.length > 0) {
                    unit.writeBytes(p);
                }
                for (byte b : p) {
                    if (b >= '0' && b <= '9') {
                        digit = true;
                    }
                    if (firstLetter < 0 && (Character.isLetter(b) || (b & 0x80) != 0)) {
                        firstLetter = b & 0xFF;
                    }
                    if (!isSpace(b)) {
                        lastNonSpace = b;
                    }
                }
            }
            byte c = PLAIN;
            if (forceBytes.length > 0 && contains(unit.toByteArray(), forceBytes)) {
                c = FORCE;
            } else if (protectDigits && digit) {
                c = DIGIT;
            } else if (protectEntities && !sentenceStart && firstLetter >= 'A' && firstLetter <= 'Z') {
                c = ENTITY;
            }
            cls[u] = c;
            boolean newline = false;
            for (int k = unitStart[u]; k < unitStart[u + 1]; k++) {
                for (byte b : pieces[tok[k]]) {
                    newline |= b == '\n' || b == '\t';
                }
            }
            if (lastNonSpace != 0 || newline) {
                sentenceStart = newline || lastNonSpace == '.' || lastNonSpace == '!' || lastNonSpace == '?' || lastNonSpace == ':'
                        || lastNonSpace == '"';
            }
        }
        return cls;
    }

    private static boolean contains(byte[] hay, byte[][] needles) {
        for (byte[] n : needles) {
            outer:
            for (int i = 0; i + n.length <= hay.length; i++) {
                for (int j = 0; j < n.length; j++) {
                    if (hay[i + j] != n[j]) {
                        continue outer;
                    }
                }
                return true;
            }
        }
        return false;
    }
}
