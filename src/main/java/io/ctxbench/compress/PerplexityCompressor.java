package io.ctxbench.compress;

import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.Devices;
import io.ctxbench.engine.Model;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * LLMLingua-style token dropping scored by a small causal LM run through the engine.
 *
 * <ol>
 *   <li><b>Coarse, query-aware</b> (only when the question is not blank): sentences are ranked by BM25 against
 *       the question ({@link SentenceScorer}; LongLLMLingua ranks documents by the question's conditional
 *       perplexity, BM25 is the model-free stand-in it also evaluates) and the best are kept, in order, up to
 *       {@code coarseSlack} x the budget; the fine stage removes the rest.</li>
 *   <li><b>Fine, iterative</b>: the (filtered) context is tokenized with the scoring model and its tokens
 *       grouped into words ({@link Words}: a unit starts at a piece beginning with whitespace, at punctuation, or
 *       after {@code maxUnitTokens} tokens; a UTF-8 character split over tokens is never cut), cut into segments
 *       of about {@code segmentTokens} tokens. Each segment is evaluated (teacher forcing) after the tokens kept
 *       so far, giving every token's self-information -log p(token | kept prefix, segment so far)
 *       ({@link SegmentScorer}); the segment keeps its share of the budget (carrying over rounding so the total
 *       lands on it), taking force-token words first, then words with digits or capitalised words not starting a
 *       sentence (the named-entity heuristic) when protection is on, then the rest by mean self-information per
 *       token ({@link Selection}). The KV cache is then cut back to the segment start and only the kept tokens
 *       are evaluated, so the next segment is conditioned on what was kept, as LLMLingua's iterative compression
 *       does. When the cache would overflow {@code contextSize}, it is cleared and re-seeded with the most recent
 *       kept tokens (a quarter of the context): memory stays bounded for inputs of any length.</li>
 *   <li><b>Correction</b>: the kept text is counted with the target tokenizer; if it is off the budget by more
 *       than 1%, the lowest-information kept words are dropped (or the highest-information dropped words
 *       restored) in one pass, in proportion ({@link Selection#correct}).</li>
 * </ol>
 * Text: kept tokens are mapped back to char offsets of the original context (piece bytes are summed and walked
 * against the text), so the result is made of original substrings; only when a tokenizer's pieces do not add
 * up to the text (one that prepends a space) are the kept tokens detokenized instead. The target-model count
 * is the compressed text tokenized on its own by the target counter.
 *
 * <p>Self-information is computed from the logits in one pass over the vocabulary per position ({@link LogSumExp}:
 * online log-sum-exp with a polynomial exp, relative error below 2e-4), into reused buffers ({@link SelfInformation}):
 * no allocation per vocabulary entry. With 4 or more cores the vocabulary is split over up to 8 fork-join workers
 * per position (a GPU node's 128k-entry vocabulary would otherwise make the Java side the bottleneck).
 * The scoring session (KV cache, compute buffers) is opened by the first call and kept for the next ones (its cache
 * cleared by each); {@link #close()} frees it with the model. Not thread-safe.
 */
public final class PerplexityCompressor implements PromptCompressor {

    /**
     * Settings.
     *
     * @param contextSize   scoring session context (tokens); the KV cache never holds more
     * @param segmentTokens tokens per fine-stage segment (also the batch size: logits are kept for each)
     * @param threads       CPU threads, 0 = all
     * @param iterative     condition each segment on the kept tokens only (re-evaluating them); false scores
     *                      everything once against the full prefix (cheaper, less faithful)
     * @param coarse        query-aware sentence filtering first when there is a question
     * @param coarseSlack   the coarse stage keeps up to this multiple of the budget
     * @param protectDigits keep words with digits before others
     * @param protectEntities keep capitalised words (not sentence-initial) before others
     * @param maxUnitTokens longest word unit in tokens
     * @param maxInputTokens a longer context (in the target's tokens) is refused: scoring runs at prefill speed with
     *                      re-evaluation, so millions of tokens take hours; the default, 2^20, is above the context
     *                      window of any model the study uses
     * @param progress      told after each segment how far the fine stage is, or null
     * @param reduction     where each token's self-information is computed ({@link Reduction})
     * @param calls         how the tokens are cut into llama_decode calls ({@link Calls})
     */
    public record Options(int contextSize, int segmentTokens, int threads, boolean iterative, boolean coarse,
                          double coarseSlack, boolean protectDigits, boolean protectEntities, int maxUnitTokens,
                          int maxInputTokens, Progress progress, Reduction reduction, Calls calls) {
        public Options {
            if (reduction == null) {
                throw new CtxbenchException("the reduction (host, device or auto) must be given");
            }
            if (calls == null) {
                throw new CtxbenchException("the call shape (separate, merged or auto) must be given");
            }
            if (segmentTokens < 8) {
                throw new CtxbenchException("the segment size must be at least 8 tokens, got " + segmentTokens);
            }
            if (contextSize < 2 * segmentTokens + 8) {
                throw new CtxbenchException("the scoring context (" + contextSize + ") must hold at least two segments of "
                        + segmentTokens + " tokens plus 8");
            }
            if (threads < 0) {
                throw new CtxbenchException("threads must be >= 0, got " + threads);
            }
            if (!(coarseSlack >= 1.0)) {
                throw new CtxbenchException("the coarse slack must be >= 1, got " + coarseSlack);
            }
            if (maxUnitTokens < 1) {
                throw new CtxbenchException("the longest unit must be at least one token, got " + maxUnitTokens);
            }
            if (maxInputTokens < 1) {
                throw new CtxbenchException("the input limit (--max-input-tokens) must be at least 1, got " + maxInputTokens);
            }
        }

        public static Options defaults() {
            return new Options(2048, 256, 0, true, true, 1.5, true, true, 16, 1 << 20, null, Reduction.AUTO, Calls.AUTO);
        }

        public Options withContext(int ctx, int segment) {
            return new Options(ctx, segment, threads, iterative, coarse, coarseSlack, protectDigits, protectEntities, maxUnitTokens,
                    maxInputTokens, progress, reduction, calls);
        }

        public Options withThreads(int t) {
            return new Options(contextSize, segmentTokens, t, iterative, coarse, coarseSlack, protectDigits, protectEntities,
                    maxUnitTokens, maxInputTokens, progress, reduction, calls);
        }

        public Options withIterative(boolean it) {
            return new Options(contextSize, segmentTokens, threads, it, coarse, coarseSlack, protectDigits, protectEntities,
                    maxUnitTokens, maxInputTokens, progress, reduction, calls);
        }

        public Options withCoarse(boolean c) {
            return new Options(contextSize, segmentTokens, threads, iterative, c, coarseSlack, protectDigits, protectEntities,
                    maxUnitTokens, maxInputTokens, progress, reduction, calls);
        }

        public Options withProtection(boolean digits, boolean entities) {
            return new Options(contextSize, segmentTokens, threads, iterative, coarse, coarseSlack, digits, entities,
                    maxUnitTokens, maxInputTokens, progress, reduction, calls);
        }

        public Options withMaxInputTokens(int n) {
            return new Options(contextSize, segmentTokens, threads, iterative, coarse, coarseSlack, protectDigits, protectEntities,
                    maxUnitTokens, n, progress, reduction, calls);
        }

        /** Where each row's self-information is computed: {@link Reduction}. */
        public Options withReduction(Reduction r) {
            return new Options(contextSize, segmentTokens, threads, iterative, coarse, coarseSlack, protectDigits, protectEntities,
                    maxUnitTokens, maxInputTokens, progress, r, calls);
        }

        /** How the fine stage's tokens are cut into llama_decode calls: {@link Calls}. */
        public Options withCalls(Calls c) {
            return new Options(contextSize, segmentTokens, threads, iterative, coarse, coarseSlack, protectDigits, protectEntities,
                    maxUnitTokens, maxInputTokens, progress, reduction, c);
        }

        public Options withProgress(Progress p) {
            return new Options(contextSize, segmentTokens, threads, iterative, coarse, coarseSlack, protectDigits, protectEntities,
                    maxUnitTokens, maxInputTokens, p, reduction, calls);
        }
    }

    /**
     * Where the self-information of each scored token is computed. HOST: the logits rows are copied out of llama.cpp
     * and reduced in Java ({@link LogSumExp}). DEVICE: in llama.cpp's graph, where the logits are
     * ({@link io.ctxbench.engine.TargetLogProbs}: softmax, the target's probability, its log; one float a row comes
     * out). AUTO: DEVICE when the scoring model runs on an accelerator, else HOST (on a CPU both run on the same
     * cores, and HOST keeps the outputs this compressor has always given there).
     */
    public enum Reduction { AUTO, HOST, DEVICE }

    /**
     * How the fine stage's tokens go to llama_decode; both condition every token on the same tokens. SEPARATE: the
     * kept tokens but the last, the last, then the next segment, each its own call (three a segment); the outputs this
     * compressor has always given on a CPU. MERGED: the kept tokens (or a re-seeded cache's tokens) and the next
     * segment in one call, one micro-batch: a call a segment. Other batch shapes round differently (on a CPU up to
     * 0.4 nats on a rare token), so in iterative mode a word can flip and the outputs differ from SEPARATE's. FIXED:
     * MERGED's calls, each padded to one shape (prefix + 2 segments + 1 tokens, all outputs, attention over the whole
     * cache: {@link io.ctxbench.engine.Session#openFixedShape}) so llama.cpp reuses its graph and a GPU backend can
     * replay it; a re-seed and its segment take two calls. For the device reduction (with the host reduction every
     * padded row's logits are copied out). AUTO: FIXED when the scoring model runs on an accelerator with the device
     * reduction (on the H200 the fastest: docs/compress.md), MERGED there with the host reduction, else SEPARATE.
     */
    public enum Calls { AUTO, SEPARATE, MERGED, FIXED }

    /** How far the fine stage is: {@code done} of {@code total} context tokens scored, {@code nanos} since it began. */
    @FunctionalInterface
    public interface Progress {
        void scored(int done, int total, long nanos);

        /**
         * One line on {@code out} when at least {@code everyNanos} have passed since the last (so work shorter than
         * that prints nothing), and a last one at the end if any was printed: tokens, rate and time left.
         */
        static Progress lines(PrintStream out, long everyNanos) {
            long[] lastPrint = {0};
            return (done, total, nanos) -> {
                if (nanos - lastPrint[0] < everyNanos && (done < total || lastPrint[0] == 0)) {
                    return;
                }
                lastPrint[0] = Math.max(1, nanos);
                double rate = done / Math.max(1e-9, nanos / 1e9);
                long left = rate > 0 ? Math.round((total - done) / rate) : 0;
                out.printf(Locale.ROOT, "perplexity: scored %,d / %,d tokens (%.1f%%), %.0f tokens/s, ETA %d:%02d:%02d%n",
                        done, total, 100.0 * done / total, rate, left / 3600, left / 60 % 60, left % 60);
                out.flush();
            };
        }
    }

    private final Model model;
    private final boolean ownsModel;
    private final ModelTokens scoring;
    private final TokenCounter target;
    private final Options options;
    private final String device;
    private final SegmentScorer scorer;

    /**
     * @param scoring the scoring model (stays owned by the caller)
     * @param target  the target model's tokenizer; null = the scoring model's own
     */
    public PerplexityCompressor(Model scoring, TokenCounter target, Options options) {
        this(scoring, false, target, options);
    }

    private PerplexityCompressor(Model scoring, boolean owns, TokenCounter target, Options options) {
        this.model = scoring;
        this.ownsModel = owns;
        this.scoring = new ModelTokens(scoring);
        this.target = target != null ? target : this.scoring;
        this.options = options;
        this.device = deviceOf(scoring);
        this.scorer = new SegmentScorer(scoring, options);
    }

    /** Loads the scoring model from a GGUF ({@code gpuLayers} as llama.cpp: -1 all, 0 CPU); closing the compressor frees it. */
    public static PerplexityCompressor open(Path scoringModel, int gpuLayers, TokenCounter target, Options options) {
        Model m = Model.load(Model.Params.of(scoringModel).withGpuLayers(gpuLayers));
        try {
            return new PerplexityCompressor(m, true, target, options);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    static String deviceOf(Model m) {
        if (m.params().gpuLayers() != 0) {
            for (Devices.Device d : Devices.list()) {
                if (!d.type().equals("cpu")) {
                    return d.description().isEmpty() ? d.name() : d.description();
                }
            }
        }
        return "CPU";
    }

    public Model model() {
        return model;
    }

    public Options options() {
        return options;
    }

    /** Where the last {@link #compress} call's fine stage spent its time (empty before the first). */
    public ScoringTime lastScoringTime() {
        return scorer.time();
    }

    @Override
    public String name() {
        return "perplexity";
    }

    @Override
    public CompressionResult compress(CompressionRequest req) {
        long t0 = System.nanoTime();
        String ctx = TextUtil.sanitize(req.context());
        if (ctx.isEmpty()) {
            return CompressionResult.unchanged(req, ctx, 0, t0, device, name());
        }
        checkInputEstimate(ctx);
        int[] bounds = SentenceSplitter.split(ctx);
        int[] sentTokens = target.countSpans(ctx, bounds);
        int original = 0;
        for (int t : sentTokens) {
            original += t;
        }
        if (original > options.maxInputTokens()) {
            throw tooLong(String.format(Locale.ROOT, "%,d tokens", original));
        }
        int budget = req.target().budgetFor(original);
        if (original <= budget) {
            return CompressionResult.unchanged(req, ctx, original, t0, device, name());
        }
        // 1. coarse: the working text W is a list of original spans
        List<int[]> work = new ArrayList<>();
        int workTarget = original;
        if (options.coarse() && !req.question().isBlank() && budget * options.coarseSlack() < original) {
            workTarget = coarse(ctx, bounds, sentTokens, req.question(), budget, work);
        } else {
            work.add(new int[]{0, ctx.length()});
        }
        // 2. fine: W's words scored segment by segment, each segment's kept words chosen before the next is scored
        ModelTokens.Tokenized tk = scoring.tokenize(TextUtil.join(ctx, work));
        int[] tok = tk.tokens();
        Words words = Words.of(tok, tk.charStarts(), scoring.pieces(), req.forceTokens(), options.maxUnitTokens(),
                options.protectDigits(), options.protectEntities());
        float[] info = new float[tok.length];
        Selection sel = new Selection(words, info, Math.min(1.0, (double) budget / Math.max(1, workTarget)),
                options.segmentTokens());
        long t1 = System.nanoTime();
        long scored = scorer.score(tok, words, info, sel);
        long t2 = System.nanoTime();
        // 3. correction against the target tokenizer
        boolean[] keepTok = sel.kept();
        String out = render(ctx, work, tk, keepTok);
        int compressed = target.count(out);
        if (Math.abs(compressed - budget) > Math.max(1, budget / 100)) {
            sel.correct((double) (compressed - budget) * tok.length / Math.max(1, workTarget));
            out = render(ctx, work, tk, keepTok);
            compressed = target.count(out);
        }
        List<int[]> spans = tk.charStarts() == null ? List.of() : keptSpans(work, tk, keepTok);
        long t3 = System.nanoTime();
        scorer.time().prepareNanos = t1 - t0;
        scorer.time().finishNanos = t3 - t2;
        double secs = (t3 - t0) / 1e9;
        return new CompressionResult(req.instruction(), out, req.question(), spans, original, compressed, budget,
                (double) original / budget, CompressionResult.rate(original, compressed), compressed <= budget, secs, device,
                name(), scored);
    }

    /**
     * The coarse, query-aware stage: sentences ranked by BM25 against the question, the best kept in their order up
     * to {@code coarseSlack} x the budget (at least one). Adds the kept sentences' spans to {@code work} and returns
     * their tokens.
     */
    private int coarse(String ctx, int[] bounds, int[] sentTokens, String question, int budget, List<int[]> work) {
        int n = bounds.length - 1;
        double[] score = new SentenceScorer().score(ctx, bounds, question);
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(score[b], score[a]));
        boolean[] keep = new boolean[n];
        long room = (long) Math.ceil(budget * options.coarseSlack());
        int kept = 0;
        for (int s : order) {
            if (kept + sentTokens[s] <= room || kept == 0) {
                keep[s] = true;
                kept += sentTokens[s];
            }
        }
        for (int s = 0; s < n; s++) {
            if (keep[s]) {
                TextUtil.addSpan(work, bounds[s], bounds[s + 1]);
            }
        }
        return kept;
    }

    /** Chars of a long context tokenized to estimate its length before tokenizing all of it. */
    private static final int SAMPLE_CHARS = 1 << 16;

    /**
     * Refuses a context far above the input limit from the token count of its start, extrapolated: tokenizing
     * megabytes takes tens of seconds, which the user should not wait for an error (the exact count, taken anyway,
     * catches the rest).
     */
    private void checkInputEstimate(String ctx) {
        if (ctx.length() <= SAMPLE_CHARS || (long) ctx.length() * 3 <= options.maxInputTokens()) {
            return;   // short, or fewer UTF-8 bytes than the limit: no tokenizer makes more tokens than bytes
        }
        int cut = Character.isHighSurrogate(ctx.charAt(SAMPLE_CHARS - 1)) ? SAMPLE_CHARS - 1 : SAMPLE_CHARS;
        double estimate = (double) target.count(ctx.substring(0, cut)) * ctx.length() / cut;
        if (estimate > 1.25 * options.maxInputTokens()) {
            throw tooLong(String.format(Locale.ROOT, "about %,.0f tokens (estimated from its first %,d characters)", estimate, cut));
        }
    }

    private CtxbenchException tooLong(String size) {
        return new CtxbenchException(String.format(Locale.ROOT, "the context has %s, above the perplexity compressor's limit"
                + " of %,d (scoring runs at prefill speed: millions of tokens take hours); raise it with --max-input-tokens,"
                + " or use --compressor extractive", size, options.maxInputTokens()));
    }

    /** The kept text: original substrings when offsets are known, else the kept tokens detokenized run by run. */
    private String render(String ctx, List<int[]> work, ModelTokens.Tokenized tk, boolean[] keepTok) {
        if (tk.charStarts() != null) {
            return TextUtil.join(ctx, keptSpans(work, tk, keepTok));
        }
        int[] tok = tk.tokens();
        StringBuilder sb = new StringBuilder();
        int k = 0;
        while (k < tok.length) {
            if (!keepTok[k]) {
                k++;
                continue;
            }
            int e = k;
            while (e < tok.length && keepTok[e]) {
                e++;
            }
            sb.append(model.detokenize(tok, k, e, false));
            k = e;
        }
        return sb.toString();
    }

    /** Kept tokens as [start, end) char spans of the original context, merged. */
    private static List<int[]> keptSpans(List<int[]> work, ModelTokens.Tokenized tk, boolean[] keepTok) {
        List<int[]> out = new ArrayList<>();
        int[] st = tk.charStarts();
        int[] en = tk.charEnds();
        int wi = 0;
        int wOff = 0;   // offset in W where work span wi starts
        for (int k = 0; k < st.length; k++) {
            if (!keepTok[k] || en[k] <= st[k]) {
                continue;
            }
            int from = st[k];
            int to = en[k];
            while (from < to) {
                while (wi < work.size() && from >= wOff + (work.get(wi)[1] - work.get(wi)[0])) {
                    wOff += work.get(wi)[1] - work.get(wi)[0];
                    wi++;
                }
                int[] ws = work.get(wi);
                int spanEnd = wOff + (ws[1] - ws[0]);
                int piece = Math.min(to, spanEnd);
                TextUtil.addSpan(out, ws[0] + (from - wOff), ws[0] + (piece - wOff));
                from = piece;
            }
        }
        return out;
    }

    @Override
    public void close() {
        try {
            scorer.close();
        } finally {
            if (ownsModel) {
                model.close();
            }
        }
    }
}
