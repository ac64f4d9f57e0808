package io.ctxbench.compress;

import io.ctxbench.engine.Model;
import io.ctxbench.score.PyText;

/**
 * Counts tokens the way the target model will see them. Compression targets are measured with it.
 * Implementations need not be thread-safe.
 */
public interface TokenCounter {

    /** What is counting, e.g. the model file name or "words". */
    String name();

    /** Tokens of {@code text} on its own (no BOS/EOS, special-token text not parsed). */
    int count(String text);

    /**
     * Tokens of each span of {@code text}, where span i is [bounds[i], bounds[i+1]) in chars and the bounds
     * run from 0 to text.length(). The default counts each span on its own; a model-backed counter tokenizes
     * the whole text once and assigns each token to the span where it starts, so the counts add up to
     * {@code count(text)}.
     */
    default int[] countSpans(String text, int[] bounds) {
        int[] out = new int[bounds.length - 1];
        for (int i = 0; i < out.length; i++) {
            out[i] = count(text.substring(bounds[i], bounds[i + 1]));
        }
        return out;
    }

    /** The model's own tokenizer (vocabulary only is enough: load it with {@code withVocabOnly(true)}). */
    static TokenCounter of(Model model) {
        return new ModelTokens(model);
    }

    /**
     * Whitespace-separated words, as Python's {@code len(text.split())}: a model-free stand-in, for benchmarks, for users
     * without a target model, and for tests against reference code that counts words (RULER's fixtures).
     */
    static TokenCounter words() {
        return WordCounter.INSTANCE;
    }

    /** Counts runs of non-whitespace characters (whitespace as Python's {@code str.isspace}). */
    final class WordCounter implements TokenCounter {
        static final WordCounter INSTANCE = new WordCounter();

        private WordCounter() {
        }

        @Override
        public String name() {
            return "words";
        }

        @Override
        public int count(String text) {
            return count(text, 0, text.length());
        }

        static int count(String text, int from, int to) {
            int n = 0;
            boolean in = false;
            for (int i = from; i < to; i++) {
                boolean ws = PyText.isSpace(text.charAt(i));
                if (!ws && !in) {
                    n++;
                }
                in = !ws;
            }
            return n;
        }

        @Override
        public int[] countSpans(String text, int[] bounds) {
            // a word is counted in the span where it starts, so spans add up to the whole
            int[] out = new int[bounds.length - 1];
            boolean in = false;
            int span = 0;
            for (int i = 0; i < text.length(); i++) {
                while (span < out.length - 1 && i >= bounds[span + 1]) {
                    span++;
                }
                boolean ws = PyText.isSpace(text.charAt(i));
                if (!ws && !in) {
                    out[span]++;
                }
                in = !ws;
            }
            return out;
        }
    }
}
