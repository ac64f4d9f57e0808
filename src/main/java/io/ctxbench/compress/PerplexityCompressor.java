package io.ctxbench.compress;

import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.Devices;
import io.ctxbench.engine.FlashAttention;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.Session;

import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
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
 *   <li><b>Fine, iterative</b>: the (filtered) context is tokenized with the scoring model and cut into
 *       segments of about {@code segmentTokens} tokens. Each segment is evaluated (teacher forcing) after the
 *       tokens kept so far, giving every token's self-information -log p(token | kept prefix, segment so far).
 *       Tokens are grouped into words (a unit starts at a piece beginning with whitespace, at punctuation, or
 *       after {@code maxUnitTokens} tokens; a UTF-8 character split over tokens is never cut); the segment keeps
 *       its share of the budget (carrying over rounding so the total lands on it), taking force-token words
 *       first, then words with digits or capitalised words not starting a sentence (the named-entity
 *       heuristic) when protection is on, then the rest by mean self-information per token. The KV cache is
 *       then cut back to the segment start and only the kept tokens are evaluated, so the next segment is
 *       conditioned on what was kept, as LLMLingua's iterative compression does. When the cache would
 *       overflow {@code contextSize}, it is cleared and re-seeded with the most recent kept tokens (a quarter
 *       of the context): memory stays bounded for inputs of any length.</li>
 *   <li><b>Correction</b>: the kept text is counted with the target tokenizer; if it is off the budget by more
 *       than 1%, the lowest-information kept words are dropped (or the highest-information dropped words
 *       restored) in one pass, in proportion.</li>
 * </ol>
 * Text: kept tokens are mapped back to char offsets of the original context (piece bytes are summed and walked
 * against the text), so the result is made of original substrings; only when a tokenizer's pieces do not add
 * up to the text (one that prepends a space) are the kept tokens detokenized instead. The target-model count
 * is the compressed text tokenized on its own by the target counter.
 *
 * <p>Self-information is computed from the logits in one pass over the vocabulary per position (online
 * log-sum-exp with a polynomial exp, relative error below 2e-4), into reused buffers: no allocation per vocabulary
 * entry. With 4 or more cores the vocabulary is split over up to 8 fork-join workers per position (a GPU node's
 * 128k-entry vocabulary would otherwise make the Java side the bottleneck).
 * A session (KV cache, compute buffers) is opened per call and closed before it returns, so no native memory
 * outlives a call; the model stays loaded. Not thread-safe.
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
     */
    public record Options(int contextSize, int segmentTokens, int threads, boolean iterative, boolean coarse,
                          double coarseSlack, boolean protectDigits, boolean protectEntities, int maxUnitTokens,
                          int maxInputTokens, Progress progress) {
        public Options {
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
            return new Options(2048, 256, 0, true, true, 1.5, true, true, 16, 1 << 20, null);
        }

        public Options withContext(int ctx, int segment) {
            return new Options(ctx, segment, threads, iterative, coarse, coarseSlack, protectDigits, protectEntities, maxUnitTokens,
                    maxInputTokens, progress);
        }

        public Options withThreads(int t) {
            return new Options(contextSize, segmentTokens, t, iterative, coarse, coarseSlack, protectDigits, protectEntities,
                    maxUnitTokens, maxInputTokens, progress);
        }

        public Options withIterative(boolean it) {
            return new Options(contextSize, segmentTokens, threads, it, coarse, coarseSlack, protectDigits, protectEntities,
                    maxUnitTokens, maxInputTokens, progress);
        }

        public Options withCoarse(boolean c) {
            return new Options(contextSize, segmentTokens, threads, iterative, c, coarseSlack, protectDigits, protectEntities,
                    maxUnitTokens, maxInputTokens, progress);
        }

        public Options withProtection(boolean digits, boolean entities) {
            return new Options(contextSize, segmentTokens, threads, iterative, coarse, coarseSlack, digits, entities,
                    maxUnitTokens, maxInputTokens, progress);
        }

        public Options withMaxInputTokens(int n) {
            return new Options(contextSize, segmentTokens, threads, iterative, coarse, coarseSlack, protectDigits, protectEntities,
                    maxUnitTokens, n, progress);
        }

        public Options withProgress(Progress p) {
            return new Options(contextSize, segmentTokens, threads, iterative, coarse, coarseSlack, protectDigits, protectEntities,
                    maxUnitTokens, maxInputTokens, p);
        }
    }

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

    private static final byte FORCE = 3, DIGIT = 2, ENTITY = 1, PLAIN = 0;

    private final Model model;
    private final boolean ownsModel;
    private final ModelTokens scoring;
    private final TokenCounter target;
    private final Options options;
    private final String device;
    private final InfoConsumer consumer;

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
        this.consumer = new InfoConsumer(scoring.vocabSize());
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
            int n = bounds.length - 1;
            double[] score = new SentenceScorer().score(ctx, bounds, req.question());
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Double.compare(score[b], score[a]));
            boolean[] keep = new boolean[n];
            long room = (long) Math.ceil(budget * options.coarseSlack());
            workTarget = 0;
            for (int s : order) {
                if (workTarget + sentTokens[s] <= room || workTarget == 0) {
                    keep[s] = true;
                    workTarget += sentTokens[s];
                }
            }
            for (int s = 0; s < n; s++) {
                if (keep[s]) {
                    TextUtil.addSpan(work, bounds[s], bounds[s + 1]);
                }
            }
        } else {
            work.add(new int[]{0, ctx.length()});
        }
        String w = TextUtil.join(ctx, work);
        // 2. fine
        ModelTokens.Tokenized tk = scoring.tokenize(w);
        int[] tok = tk.tokens();
        int nTok = tok.length;
        double keepFraction = Math.min(1.0, (double) budget / Math.max(1, workTarget));
        byte[][] pieces = scoring.pieces();
        int[] unitStart = units(tok, tk.charStarts(), pieces);
        int nUnits = unitStart.length - 1;
        byte[] cls = classify(tok, unitStart, pieces, req.forceTokens());
        float[] info = new float[nTok];
        boolean[] keepTok = new boolean[nTok];
        long scored = scoreAndSelect(tok, unitStart, cls, info, keepTok, keepFraction, req.instruction());
        // 3. correction against the target tokenizer
        String out = render(ctx, w, work, tk, keepTok);
        int compressed = target.count(out);
        if (Math.abs(compressed - budget) > Math.max(1, budget / 100)) {
            correct(unitStart, cls, info, keepTok, (double) (compressed - budget) * nTok / Math.max(1, workTarget));
            out = render(ctx, w, work, tk, keepTok);
            compressed = target.count(out);
        }
        List<int[]> spans = tk.charStarts() == null ? List.of() : keptSpans(work, tk, keepTok);
        double secs = (System.nanoTime() - t0) / 1e9;
        return new CompressionResult(req.instruction(), out, req.question(), spans, original, compressed, budget,
                (double) original / budget, CompressionResult.rate(original, compressed), compressed <= budget, secs, device,
                name(), scored);
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
                + " or use --method extractive", size, options.maxInputTokens()));
    }

    /** Unit (word) starts over the tokens, plus nTok at the end. */
    private int[] units(int[] tok, int[] charStarts, byte[][] pieces) {
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
                    boundary = inUnit >= options.maxUnitTokens();
                } else {
                    boundary = isSpace(first) || isSpace(last) || isPunct(first) || isPunct(last) || inUnit >= options.maxUnitTokens();
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
    private byte[] classify(int[] tok, int[] unitStart, byte[][] pieces, List<String> force) {
        int nUnits = unitStart.length - 1;
        byte[] cls = new byte[nUnits];
        byte[][] forceBytes = force.stream().map(f -> f.getBytes(StandardCharsets.UTF_8)).toArray(byte[][]::new);
        boolean sentenceStart = true;
        java.io.ByteArrayOutputStream unit = new java.io.ByteArrayOutputStream();
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
            } else if (options.protectDigits() && digit) {
                c = DIGIT;
            } else if (options.protectEntities() && !sentenceStart && firstLetter >= 'A' && firstLetter <= 'Z') {
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

    /**
     * The fine stage: evaluates segments, fills {@code info}, marks kept tokens. Returns the number of tokens the
     * model evaluated.
     */
    private long scoreAndSelect(int[] tok, int[] unitStart, byte[] cls, float[] info, boolean[] keepTok,
                                double keepFraction, String instruction) {
        int nTok = tok.length;
        int nUnits = unitStart.length - 1;
        int seg = options.segmentTokens();
        int nCtx = options.contextSize();
        long evaluated = 0;
        int[] prefix = model.addsBos() ? model.tokenize("", true, false) : new int[0];
        Session.Params sp = Session.Params.of(nCtx).withBatch(seg, seg).withThreads(options.threads())
                .withFlashAttention(FlashAttention.AUTO);
        try (Session s = Session.open(model, sp)) {
            int[] kv = new int[s.contextSize()];   // tokens now in the KV cache
            int kvLen = 0;
            // the first context token is predicted by the prefix (BOS), or gets +inf (always kept) when there is none
            if (prefix.length > 0) {
                consumer.target(prefix.length, tok, 0, 1, info);
                s.evaluate(prefix, consumer);
                evaluated += prefix.length;
                System.arraycopy(prefix, 0, kv, 0, prefix.length);
                kvLen = prefix.length;
            } else if (nTok > 0) {
                info[0] = Float.POSITIVE_INFINITY;
            }
            int keptSoFar = 0;
            int u = 0;
            long start = System.nanoTime();
            int[] order = new int[Math.max(1, seg * 2)];
            float[] key = new float[order.length];
            while (u < nUnits) {
                // a segment: whole units, about seg tokens (at least one unit, at most 2 x seg tokens)
                int a = unitStart[u];
                int uEnd = u + 1;
                while (uEnd < nUnits && unitStart[uEnd + 1] - a <= seg) {
                    uEnd++;
                }
                int b = unitStart[uEnd];
                if (b - a > s.contextSize() - 8) {
                    throw new CtxbenchException("a unit of " + (b - a) + " tokens does not fit the scoring context");
                }
                // keep the cache within the context: re-seed it with the prefix and the latest kept tokens
                if (kvLen + (b - a) + 1 > s.contextSize()) {
                    int keepTail = Math.min(kvLen - prefix.length, s.contextSize() / 4);
                    int[] seed = new int[prefix.length + keepTail];
                    System.arraycopy(prefix, 0, seed, 0, prefix.length);
                    System.arraycopy(kv, kvLen - keepTail, seed, prefix.length, keepTail);
                    s.clear();
                    s.evaluate(seed, null);
                    evaluated += seed.length;
                    System.arraycopy(seed, 0, kv, 0, seed.length);
                    kvLen = seed.length;
                }
                int segPos = s.position();
                // self-information of tokens a+1 .. b (token b is the next segment's first: provisional)
                consumer.target(0, tok, a + 1, Math.min(b + 1, nTok), info);
                s.evaluate(Arrays.copyOfRange(tok, a, b), consumer);
                evaluated += b - a;
                // choose the units of this segment
                int want = (int) Math.round(keepFraction * b) - keptSoFar;
                int m = uEnd - u;
                if (order.length < m) {
                    order = new int[m];
                    key = new float[m];
                }
                for (int i = 0; i < m; i++) {
                    int uu = u + i;
                    float sum = 0;
                    int len = unitStart[uu + 1] - unitStart[uu];
                    for (int k = unitStart[uu]; k < unitStart[uu + 1]; k++) {
                        sum += Math.min(info[k], 1e4f);
                    }
                    order[i] = uu;
                    key[i] = cls[uu] * 1e6f + sum / len;
                }
                sortByKeyDesc(order, key, m);
                int got = 0;
                for (int i = 0; i < m; i++) {
                    int uu = order[i];
                    int len = unitStart[uu + 1] - unitStart[uu];
                    if (cls[uu] == FORCE || got + len <= want) {
                        for (int k = unitStart[uu]; k < unitStart[uu + 1]; k++) {
                            keepTok[k] = true;
                        }
                        got += len;
                    }
                }
                keptSoFar += got;
                // condition what follows on the kept tokens only
                int kept = 0;
                for (int k = a; k < b; k++) {
                    if (keepTok[k]) {
                        kept++;
                    }
                }
                if (options.iterative() && b < nTok) {
                    s.truncate(segPos);
                    kvLen = segPos;
                    int[] keptTok = new int[kept];
                    int j = 0;
                    for (int k = a; k < b; k++) {
                        if (keepTok[k]) {
                            keptTok[j++] = tok[k];
                        }
                    }
                    // the next segment's first token, given the kept prefix
                    consumer.target(0, tok, b, b + 1, info);
                    if (kept > 0) {
                        if (kept > 1) {
                            s.evaluate(Arrays.copyOf(keptTok, kept - 1), null);
                        }
                        s.evaluate(new int[]{keptTok[kept - 1]}, consumer);
                        evaluated += kept;
                    } else if (kvLen > 0) {
                        // nothing kept here: the last cached token predicts it (cut it and evaluate it again)
                        s.truncate(kvLen - 1);
                        s.evaluate(new int[]{kv[kvLen - 1]}, consumer);
                        evaluated++;
                    }
                    System.arraycopy(keptTok, 0, kv, kvLen, kept);
                    kvLen += kept;
                } else {
                    System.arraycopy(tok, a, kv, kvLen, b - a);
                    kvLen += b - a;
                }
                u = uEnd;
                if (options.progress() != null) {
                    options.progress().scored(b, nTok, System.nanoTime() - start);
                }
            }
        }
        return evaluated;
    }

    /** Sorts the first n entries of order by key, descending (insertion sort: segments are small). */
    private static void sortByKeyDesc(int[] order, float[] key, int n) {
        for (int i = 1; i < n; i++) {
            int o = order[i];
            float k = key[i];
            int j = i - 1;
            while (j >= 0 && key[j] < k) {
                order[j + 1] = order[j];
                key[j + 1] = key[j];
                j--;
            }
            order[j + 1] = o;
            key[j + 1] = k;
        }
    }

    /**
     * One correction pass: {@code excess} &gt; 0 scoring tokens too many -&gt; drop the kept non-force units with the
     * lowest mean information; &lt; 0 -&gt; restore the dropped units with the highest.
     */
    private static void correct(int[] unitStart, byte[] cls, float[] info, boolean[] keepTok, double excess) {
        int nUnits = unitStart.length - 1;
        boolean drop = excess > 0;
        List<Integer> cand = new ArrayList<>();
        float[] mean = new float[nUnits];
        for (int u = 0; u < nUnits; u++) {
            boolean kept = keepTok[unitStart[u]];
            if (kept == drop && cls[u] != FORCE) {
                float sum = 0;
                for (int k = unitStart[u]; k < unitStart[u + 1]; k++) {
                    sum += Math.min(info[k], 1e4f);
                }
                mean[u] = cls[u] * 1e6f + sum / (unitStart[u + 1] - unitStart[u]);
                cand.add(u);
            }
        }
        cand.sort((x, y) -> drop ? Float.compare(mean[x], mean[y]) : Float.compare(mean[y], mean[x]));
        double left = Math.abs(excess);
        for (int u : cand) {
            int len = unitStart[u + 1] - unitStart[u];
            if (left < len / 2.0) {
                break;
            }
            for (int k = unitStart[u]; k < unitStart[u + 1]; k++) {
                keepTok[k] = !drop;
            }
            left -= len;
        }
    }

    /** The kept text: original substrings when offsets are known, else the kept tokens detokenized run by run. */
    private String render(String ctx, String w, List<int[]> work, ModelTokens.Tokenized tk, boolean[] keepTok) {
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
        if (ownsModel) {
            model.close();
        }
    }

    /**
     * Writes -log softmax(logits)[target] for each position into {@code info}: one pass over the vocabulary
     * (online log-sum-exp), reading the native logits directly; no allocation.
     */
    static final class InfoConsumer implements Session.LogitsConsumer {
        private final int vocab;
        private int skip;        // positions of this evaluate call before the first target
        private int[] tokens;
        private int from;
        private int to;
        private float[] info;
        private int base = -1;

        private final int chunks;
        private final float[] chunkMax;
        private final float[] chunkSum;

        InfoConsumer(int vocab) {
            // split the vocabulary over cores only where there are several and the vocabulary is large
            this(vocab, Runtime.getRuntime().availableProcessors() >= 4 && vocab >= 32768
                    ? Math.min(8, Runtime.getRuntime().availableProcessors() - 1) : 1);
        }

        InfoConsumer(int vocab, int chunks) {
            this.vocab = vocab;
            this.chunks = chunks;
            this.chunkMax = new float[chunks];
            this.chunkSum = new float[chunks];
        }

        /**
         * The next evaluate call: its positions after the first {@code skip} predict tokens[from], tokens[from+1], ...
         * up to (not including) {@code to}.
         */
        void target(int skip, int[] tokens, int from, int to, float[] info) {
            this.skip = skip;
            this.tokens = tokens;
            this.from = from;
            this.to = to;
            this.info = info;
            this.base = -1;
        }

        @Override
        public void accept(int position, MemorySegment logits) {
            if (base < 0) {
                base = position;
            }
            int i = position - base;
            if (i < skip - 1) {
                return;
            }
            int idx = from + i - (skip > 0 ? skip - 1 : 0);
            if (idx >= to) {
                return;
            }
            if (chunks > 1) {
                info[idx] = selfInformationParallel(logits, tokens[idx]);
            } else {
                partialLogSumExp(logits, 0, vocab, chunkMax, chunkSum, 0);
                info[idx] = fromPartials(chunkMax, chunkSum, 1, logits.getAtIndex(ValueLayout.JAVA_FLOAT, tokens[idx]));
            }
        }

        /**
         * The same over {@code chunks} slices of the vocabulary on the common fork-join pool, merged: on machines
         * with cores to spare (a GPU node) the Java side would otherwise bound the speed at 128k-entry
         * vocabularies. Allocates a few objects per position, none per vocabulary entry.
         */
        private float selfInformationParallel(MemorySegment logits, int token) {
            final float[] mx = chunkMax;
            final float[] sm = chunkSum;
            java.util.stream.IntStream.range(0, chunks).parallel().forEach(c ->
                    partialLogSumExp(logits, (int) ((long) c * vocab / chunks), (int) ((long) (c + 1) * vocab / chunks), mx, sm, c));
            return fromPartials(mx, sm, chunks, logits.getAtIndex(ValueLayout.JAVA_FLOAT, token));
        }
    }

    /** -log softmax(logits)[token], in nats: one pass, online max and rescaled sum (allocates two 1-slot arrays). */
    static float selfInformation(MemorySegment logits, int vocab, int token) {
        float[] mx = new float[1], sm = new float[1];
        partialLogSumExp(logits, 0, vocab, mx, sm, 0);
        return fromPartials(mx, sm, 1, logits.getAtIndex(ValueLayout.JAVA_FLOAT, token));
    }

    /** Online max and rescaled sum of e^x over logits[lo, hi), into mx[slot] and sm[slot]. */
    static void partialLogSumExp(MemorySegment logits, int lo, int hi, float[] mx, float[] sm, int slot) {
        float m = Float.NEGATIVE_INFINITY;
        float sum = 0f;
        for (int j = lo; j < hi; j++) {
            float x = logits.getAtIndex(ValueLayout.JAVA_FLOAT, j);
            if (x > m) {
                sum = sum * expNeg(m - x) + 1f;
                m = x;
            } else {
                sum += expNeg(x - m);
            }
        }
        mx[slot] = m;
        sm[slot] = sum;
    }

    /** log-sum-exp merged from the first {@code n} partials, minus the target's logit. */
    static float fromPartials(float[] mx, float[] sm, int n, float targetLogit) {
        float m = Float.NEGATIVE_INFINITY;
        for (int c = 0; c < n; c++) {
            m = Math.max(m, mx[c]);
        }
        double sum = 0;
        for (int c = 0; c < n; c++) {
            sum += sm[c] * Math.exp(mx[c] - m);
        }
        return (float) (m + Math.log(sum)) - targetLogit;
    }

    /** e^x for x &lt;= 0 (0 below -87): 2^(x log2 e) with a degree-5 polynomial for the fraction; rel. error &lt; 2e-4. */
    static float expNeg(float x) {
        if (!(x > -87f)) {
            return 0f;
        }
        float t = x * 1.442695041f;
        int i = (int) t;
        if (t < i) {
            i--;
        }
        float f = t - i;
        float p = 1f + f * (0.6931472f + f * (0.2402265f + f * (0.05550411f + f * (0.009618129f + f * 0.001333355f))));
        return Float.intBitsToFloat(Float.floatToRawIntBits(p) + (i << 23));
    }
}
