package io.ctxbench.compress;

import io.ctxbench.engine.Model;
import io.ctxbench.score.PyText;

import java.nio.charset.StandardCharsets;

/**
 * A model's tokenizer as a {@link TokenCounter}, and the map from tokens back to text offsets that both
 * compressors use. Piece byte lengths are read once per vocabulary entry (lazily), so mapping a tokenization
 * to char offsets is one pass over the tokens and the text.
 */
final class ModelTokens implements TokenCounter {
    private final Model model;
    private int[] pieceLength;
    private byte[][] pieces;

    ModelTokens(Model model) {
        this.model = model;
    }

    Model model() {
        return model;
    }

    @Override
    public String name() {
        return model.params().path().getFileName().toString();
    }

    @Override
    public int count(String text) {
        if (text.isEmpty()) {
            return 0;
        }
        return model.tokenize(TextUtil.utf8(text), false, false).length;
    }

    @Override
    public int[] countSpans(String text, int[] bounds) {
        int[] out = new int[bounds.length - 1];
        if (text.isEmpty()) {
            return out;
        }
        Tokenized t = tokenize(text);
        if (t.charStarts() == null) {
            return TextUtil.proportional(t.tokens().length, bounds);
        }
        int span = 0;
        for (int s : t.charStarts()) {
            while (span < out.length - 1 && s >= bounds[span + 1]) {
                span++;
            }
            out[span]++;
        }
        return out;
    }

    /**
     * Tokens of the text (no BOS, special-token text kept literal) and the char offset where each starts, or
     * null offsets when the pieces do not add up to the text's bytes (tokenizers that add a leading space or
     * normalize text).
     */
    Tokenized tokenize(String text) {
        byte[] bytes = TextUtil.utf8(text);
        int[] tokens = bytes.length == 0 ? new int[0] : model.tokenize(bytes, false, false);
        int[] len = pieceLengths();
        long total = 0;
        for (int tok : tokens) {
            total += len[tok];
        }
        if (total != bytes.length) {
            return new Tokenized(tokens, null, null);
        }
        // walk tokens and chars together: byte offset -> char offset
        int[] starts = new int[tokens.length];
        int[] ends = new int[tokens.length];
        int ci = 0;
        long cb = 0;   // byte offset where char ci starts
        long tb = 0;   // byte offset where token k starts
        for (int k = 0; k < tokens.length; k++) {
            while (ci < text.length() && cb + TextUtil.utf8Length(text, ci) <= tb) {
                cb += TextUtil.utf8Length(text, ci);
                ci += Character.isHighSurrogate(text.charAt(ci)) && ci + 1 < text.length() ? 2 : 1;
            }
            starts[k] = ci;
            tb += len[tokens[k]];
        }
        for (int k = 0; k < tokens.length; k++) {
            ends[k] = k + 1 < tokens.length ? starts[k + 1] : text.length();
        }
        return new Tokenized(tokens, starts, ends);
    }

    /**
     * {@link #tokenize}, for tokenizers that normalize whitespace (SentencePiece: a space put before the text, runs of
     * whitespace and newlines made one space, so that piece bytes may even add up to the text's by chance while
     * misaligned): each piece's non-whitespace characters are matched in order against the text's, skipping whitespace
     * on both sides; token k then covers the text from the end of token k-1 (whitespace before it included) to its last
     * matched character. A piece whose characters are not the text's (normalized: "..." for U+2026) takes the text up
     * to the next token that matches within 64 characters (8 tokens); offsets are null when none does.
     */
    Tokenized tokenizeAligned(String text) {
        byte[] bytes = TextUtil.utf8(text);
        int[] tokens = bytes.length == 0 ? new int[0] : model.tokenize(bytes, false, false);
        Tokenized unaligned = new Tokenized(tokens, null, null);
        int[] starts = new int[tokens.length];
        int[] ends = new int[tokens.length];
        int ci = 0;
        for (int k = 0; k < tokens.length; k++) {
            starts[k] = ci;
            int at = match(text, ci, core(tokens[k]));
            if (at < 0) {
                // a piece the tokenizer normalized ("..." for the text's U+2026): the text up to the next token that
                // matches within RESYNC_CHARS is this one's, the tokens between get none of it
                int j = k + 1;
                int p = -1;
                for (; j < tokens.length && j <= k + RESYNC_TOKENS && p < 0; j++) {
                    String c = core(tokens[j]);
                    int f = c.isEmpty() ? -1 : text.indexOf(c, ci);
                    p = f >= 0 && f - ci <= RESYNC_CHARS ? f : -1;
                }
                if (p < 0) {
                    return unaligned;
                }
                j--;
                int end = p;
                while (end > ci && PyText.isSpace(text.charAt(end - 1))) {
                    end--;
                }
                for (int i = k; i < j; i++) {
                    starts[i] = i == k ? ci : end;
                    ends[i] = end;
                }
                ci = end;
                k = j - 1;
                continue;
            }
            ci = at;
            ends[k] = ci;
        }
        return new Tokenized(tokens, starts, ends);
    }

    private static final int RESYNC_TOKENS = 8;
    private static final int RESYNC_CHARS = 64;

    /** A piece's characters without whitespace. */
    private String core(int token) {
        String piece = new String(pieces()[token], StandardCharsets.UTF_8);
        StringBuilder b = new StringBuilder(piece.length());
        for (int i = 0; i < piece.length(); i++) {
            if (!PyText.isSpace(piece.charAt(i))) {
                b.append(piece.charAt(i));
            }
        }
        return b.toString();
    }

    /** Where {@code core} ends when matched at {@code from} with the text's whitespace skipped, or -1. */
    private static int match(String text, int from, String core) {
        int ci = from;
        for (int i = 0; i < core.length(); i++) {
            while (ci < text.length() && PyText.isSpace(text.charAt(ci))) {
                ci++;
            }
            if (ci >= text.length() || text.charAt(ci) != core.charAt(i)) {
                return -1;
            }
            ci++;
        }
        return ci;
    }

    /** Tokens [from, to) as their pieces joined (a SentencePiece word-start's U+2581 is a space): no normalization undone. */
    String piecesText(int[] tokens, int from, int to) {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (int k = from; k < to; k++) {
            b.writeBytes(pieces()[tokens[k]]);
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    /** UTF-8 bytes of each token's piece, indexed by token id. */
    int[] pieceLengths() {
        if (pieceLength == null) {
            byte[][] p = pieces();
            int[] l = new int[p.length];
            for (int i = 0; i < p.length; i++) {
                l[i] = p[i].length;
            }
            pieceLength = l;
        }
        return pieceLength;
    }

    /** Each token's piece bytes (special tokens not rendered), indexed by token id; read once. */
    byte[][] pieces() {
        if (pieces == null) {
            int n = model.vocabSize();
            byte[][] p = new byte[n][];
            for (int i = 0; i < n; i++) {
                p[i] = model.pieceBytes(i, false);
            }
            pieces = p;
        }
        return pieces;
    }

    String text(int[] tokens) {
        return tokens.length == 0 ? "" : new String(model.detokenize(tokens).getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
    }

    /**
     * A tokenization with char offsets: token k covers [charStarts[k], charEnds[k]) of the text (a token that
     * begins inside a multi-byte character is assigned to that character). Offsets are null when unmappable.
     */
    record Tokenized(int[] tokens, int[] charStarts, int[] charEnds) {
    }
}
