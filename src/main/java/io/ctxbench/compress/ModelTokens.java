package io.ctxbench.compress;

import io.ctxbench.engine.Model;

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
