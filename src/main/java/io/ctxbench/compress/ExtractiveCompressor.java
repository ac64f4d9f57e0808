package io.ctxbench.compress;

import java.util.ArrayList;
import java.util.List;

/**
 * Model-free, query-aware sentence selection: split the context into sentences ({@link SentenceSplitter}),
 * score them ({@link SentenceScorer}: BM25 against the question, or centrality without one), and keep the
 * best-scoring ones that fit the budget, in their original order.
 *
 * <p>Selection: sentences in descending score are added while they fit in the remaining budget; ones that do
 * not fit are skipped, so smaller, lower-ranked sentences can fill the gap. When no sentence fits at all, the
 * best sentence is cut at a word boundary to the budget (the minimum is one word), so the result is never
 * empty. Sentence token counts come from one tokenization of the whole context ({@link TokenCounter#countSpans});
 * the compressed text is then tokenized on its own for the reported count. Force tokens: a sentence containing
 * one is kept before all others. Cost: linear in the text; no native memory beyond the target tokenizer's call.
 */
public final class ExtractiveCompressor implements PromptCompressor {
    private final TokenCounter counter;

    /** @param counter the target model's tokenizer ({@link TokenCounter#of}) or {@link TokenCounter#words()} */
    public ExtractiveCompressor(TokenCounter counter) {
        this.counter = counter;
    }

    @Override
    public String name() {
        return "extractive";
    }

    @Override
    public CompressionResult compress(CompressionRequest req) {
        long t0 = System.nanoTime();
        String ctx = TextUtil.sanitize(req.context());
        if (ctx.isEmpty()) {
            return CompressionResult.unchanged(req, ctx, 0, t0, "CPU", name());
        }
        int[] bounds = SentenceSplitter.split(ctx);
        int n = bounds.length - 1;
        int[] tokens = counter.countSpans(ctx, bounds);
        int original = 0;
        for (int t : tokens) {
            original += t;
        }
        int budget = req.target().budgetFor(original);
        if (original <= budget) {
            return CompressionResult.unchanged(req, ctx, original, t0, "CPU", name());
        }
        double[] score = new SentenceScorer().score(ctx, bounds, req.question());
        for (String f : req.forceTokens()) {
            for (int at = ctx.indexOf(f); at >= 0; at = ctx.indexOf(f, at + 1)) {
                int s = java.util.Arrays.binarySearch(bounds, at);
                s = s >= 0 ? Math.min(s, n - 1) : -s - 2;
                score[s] = 1e9 + Math.abs(score[s]) % 1e6;   // kept first; among themselves in score order
            }
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(score[b], score[a]));
        boolean[] keep = new boolean[n];
        int kept = 0;
        int minTokens = Integer.MAX_VALUE;
        for (int t : tokens) {
            if (t > 0) {
                minTokens = Math.min(minTokens, t);
            }
        }
        for (int s : order) {
            if (kept + tokens[s] <= budget) {
                keep[s] = true;
                kept += tokens[s];
                if (budget - kept < minTokens) {
                    break;
                }
            }
        }
        List<int[]> spans = new ArrayList<>();
        if (kept == 0) {
            // nothing fits: the best sentence, cut at a word boundary to about the budget (at least one word)
            int s = order[0];
            TextUtil.addSpan(spans, bounds[s], cutToBudget(ctx, bounds[s], bounds[s + 1], tokens[s], budget));
        } else {
            for (int s = 0; s < n; s++) {
                if (keep[s]) {
                    TextUtil.addSpan(spans, bounds[s], bounds[s + 1]);
                }
            }
        }
        String out = TextUtil.join(ctx, spans);
        int compressed = counter.count(out);
        double secs = (System.nanoTime() - t0) / 1e9;
        return new CompressionResult(req.instruction(), out, req.question(), spans, original, compressed, budget,
                (double) original / budget, CompressionResult.rate(original, compressed), compressed <= budget, secs, "CPU",
                name(), 0);
    }

    /** End of the longest word-boundary prefix of [from, to) whose share of the sentence's tokens fits the budget. */
    static int cutToBudget(String text, int from, int to, int sentenceTokens, int budget) {
        int limit = from + (int) Math.max(1, (long) (to - from) * budget / Math.max(1, sentenceTokens));
        int end = -1;
        boolean inWord = false;
        for (int i = from; i < to; i++) {
            boolean ws = Character.isWhitespace(text.charAt(i));
            if (ws && inWord) {
                if (i > limit && end > 0) {
                    break;
                }
                end = i;   // end of a word
            }
            inWord = !ws;
        }
        return end > 0 ? end : to;
    }
}
