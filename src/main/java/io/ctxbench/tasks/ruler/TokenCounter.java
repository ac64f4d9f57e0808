package io.ctxbench.tasks.ruler;

/**
 * Counts the tokens of a text in the model's own tokenizer (RULER's {@code len(TOKENIZER.text_to_tokens(text))}).
 * The engine's tokenizer is plugged in here; {@link #WHITESPACE} stands in where no model is at hand.
 */
@FunctionalInterface
public interface TokenCounter {
    int count(String text);

    /** Whitespace-separated words, as Python's {@code len(text.split())}. */
    TokenCounter WHITESPACE = text -> PyText.split(text).size();
}
