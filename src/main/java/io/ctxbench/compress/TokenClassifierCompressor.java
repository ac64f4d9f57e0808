package io.ctxbench.compress;

import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.Encoder;
import io.ctxbench.engine.Model;
import io.ctxbench.gguf.GgmlType;
import io.ctxbench.gguf.GgufFile;
import io.ctxbench.gguf.GgufTensorInfo;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * LLMLingua-2's compressor: a token classifier (an encoder such as xlm-roberta-large run by llama.cpp, arch bert, and a
 * 2-way head) run once over the context, no re-evaluation. As microsoft/LLMLingua's {@code compress_prompt_llmlingua2}
 * (token-level filter, no context-level filter, no {@code drop_consecutive}, no digit protection):
 * <ol>
 *   <li>the context is tokenized with the classifier's tokenizer and cut into chunks of at most the encoder's length
 *       (512 positions less its two special tokens), each ending at the last "." or "\n" token before the limit when
 *       there is one;</li>
 *   <li>each chunk is encoded ({@code <s> chunk </s>}); a token's keep probability is softmax(W h + b)[1], the head
 *       ({@code cls.output.weight} / {@code .bias}, 2 labels, label 1 = keep) applied in Java to the final hidden
 *       state;</li>
 *   <li>tokens are merged into words: a word starts at a token beginning with a space (U+2581 in the vocabulary), at a
 *       token that is one ASCII punctuation character, or at a force token; its probability is the mean of its tokens'
 *       (a force token's is 1.0);</li>
 *   <li>per chunk, the threshold is numpy's linear-interpolation percentile {@code int(100 x reduce + 1)} (reduce = 1 -
 *       kept share) of the word probabilities, each repeated once per target-model token of the word (LLMLingua-2
 *       counts tiktoken tokens of the raw word); words above it are kept, in order (at a threshold of exactly 1.0, words
 *       at it too).</li>
 * </ol>
 * The kept words come back as original substrings (a word with the whitespace before it) when the classifier's pieces
 * align with the text up to whitespace ({@code ModelTokens#tokenizeAligned}, which gets past a normalized character
 * such as U+2026), else as their pieces joined, as LLMLingua-2's {@code convert_tokens_to_string}.
 * The budget is met only approximately (the percentile rule), as in LLMLingua-2. Chunks are batched into one
 * llama_decode up to {@link Options#batchTokens()} (on a GPU; one a call on a CPU). Not thread-safe; {@link #close()} frees the encoder context (and the
 * model when this compressor loaded it).
 */
public final class TokenClassifierCompressor implements PromptCompressor {

    /**
     * @param batchTokens     tokens a llama_decode encodes (several chunks, each its own sequence); 0: by device
     * @param maxSequences    chunks a llama_decode encodes (0: by device)
     * @param threads         CPU threads, 0 = one per physical core
     * @param maxInputTokens  a longer context (target tokens) is refused
     */
    public record Options(int batchTokens, int maxSequences, int threads, int maxInputTokens) {
        public Options {
            if (batchTokens != 0 && batchTokens < 64 || maxSequences < 0) {
                throw new CtxbenchException("the classifier's batch must hold at least 64 tokens and a sequence (0: by device),"
                        + " got " + batchTokens + " tokens, " + maxSequences + " sequences");
            }
            if (maxInputTokens < 1) {
                throw new CtxbenchException("the input limit must be at least 1, got " + maxInputTokens);
            }
        }

        /**
         * Batches by device, all cores, inputs up to 2^20 tokens. On an accelerator 2048 tokens of up to 16 chunks a
         * call (fewer, fuller calls); on a CPU one chunk a call, as attention in a batch spans all its tokens, masked
         * or not (multi_news line 43, xlm-roberta-large, 2 threads: 72.5 s against 91.0 s with 2048/16).
         */
        public static Options defaults() {
            return new Options(0, 0, 0, 1 << 20);
        }

        Options resolve(boolean accelerator) {
            if (batchTokens != 0 && maxSequences != 0) {
                return this;
            }
            return new Options(batchTokens != 0 ? batchTokens : accelerator ? 2048 : 512,
                    maxSequences != 0 ? maxSequences : accelerator ? 16 : 1, threads, maxInputTokens);
        }

        public Options withThreads(int t) {
            return new Options(batchTokens, maxSequences, t, maxInputTokens);
        }

        public Options withBatch(int tokens, int sequences) {
            return new Options(tokens, sequences, threads, maxInputTokens);
        }
    }

    /** The head's tensors in the GGUF (llama.cpp's names for a classifier's output projection). */
    static final String HEAD_WEIGHT = "cls.output.weight";
    static final String HEAD_BIAS = "cls.output.bias";
    /** LLMLingua-2's label of a kept token. */
    static final int KEEP = 1;

    private final Model model;
    private final boolean ownsModel;
    private final ModelTokens tokens;
    private final TokenCounter target;
    private final Options options;
    private final String device;
    private final Encoder encoder;
    /** keep logit minus drop logit: softmax[1] = sigmoid(diff . h + biasDiff). */
    private final float[] headDiff;
    private final double biasDiff;
    private final boolean[] wordStart;   // by token id: the piece starts with a space or is one ASCII punctuation char
    private final boolean[] chunkEnd;    // by token id: the piece is "." or "\n"

    public TokenClassifierCompressor(Model classifier, TokenCounter target, Options options) {
        this(classifier, false, target, options);
    }

    private TokenClassifierCompressor(Model classifier, boolean owns, TokenCounter target, Options options) {
        this.model = classifier;
        this.ownsModel = owns;
        this.tokens = new ModelTokens(classifier);
        this.target = target != null ? target : tokens;
        this.device = PerplexityCompressor.deviceOf(classifier);
        this.options = options.resolve(!device.equals("CPU"));
        float[][] head = readHead(classifier.params().path(), classifier.info().embedding());
        this.headDiff = new float[head[0].length - 1];
        for (int i = 0; i < headDiff.length; i++) {
            headDiff[i] = head[KEEP][i] - head[0][i];
        }
        this.biasDiff = (double) head[KEEP][headDiff.length] - head[0][headDiff.length];
        byte[][] pieces = tokens.pieces();
        this.wordStart = new boolean[pieces.length];
        this.chunkEnd = new boolean[pieces.length];
        for (int t = 0; t < pieces.length; t++) {
            byte[] p = pieces[t];
            wordStart[t] = p.length > 0 && (p[0] == ' ' || (p.length == 1 && isAsciiPunctuation(p[0])));
            chunkEnd[t] = p.length == 1 && (p[0] == '.' || p[0] == '\n');
        }
        this.encoder = Encoder.open(classifier, new Encoder.Params(this.options.batchTokens(), this.options.maxSequences(),
                this.options.threads()));
    }

    /** Loads the classifier from a GGUF ({@code gpuLayers} as llama.cpp: -1 all, 0 CPU); closing the compressor frees it. */
    public static TokenClassifierCompressor open(Path classifier, int gpuLayers, TokenCounter target, Options options) {
        readHead(classifier, -1);   // refuse a file without the head before loading its weights
        Model m = Model.load(Model.Params.of(classifier).withGpuLayers(gpuLayers));
        try {
            return new TokenClassifierCompressor(m, true, target, options);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /**
     * The 2-way head as rows [label][n_embd weights, then the bias]. {@code nEmbd} < 0: not checked against the model.
     */
    static float[][] readHead(Path file, int nEmbd) {
        GgufFile f = GgufFile.open(file);
        GgufTensorInfo w = f.tensor(HEAD_WEIGHT).orElse(null);
        GgufTensorInfo b = f.tensor(HEAD_BIAS).orElse(null);
        if (w == null || b == null || w.dims().length != 2 || w.dims()[1] != 2 || b.dims()[0] != 2) {
            throw new CtxbenchException(file.getFileName() + " has no 2-label token-classification head (" + HEAD_WEIGHT
                    + " of n_embd x 2 and " + HEAD_BIAS + "): the token classifier needs an LLMLingua-2 model converted with"
                    + " its classifier (docs/compress.md), or for cost alone `ctxbench models synth --shape"
                    + " xlm-roberta-large-llmlingua2`");
        }
        int d = (int) w.dims()[0];
        if (nEmbd >= 0 && d != nEmbd) {
            throw new CtxbenchException(file.getFileName() + ": the head takes " + d + " inputs, the encoder gives " + nEmbd);
        }
        float[][] head = new float[2][d + 1];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ws = f.mapTensor(w, a);
            MemorySegment bs = f.mapTensor(b, a);
            for (int r = 0; r < 2; r++) {
                for (int i = 0; i < d; i++) {
                    head[r][i] = read(ws, w.type(), (long) r * d + i, file);
                }
                head[r][d] = read(bs, b.type(), r, file);
            }
        }
        return head;
    }

    private static float read(MemorySegment s, GgmlType type, long i, Path file) {
        return switch (type) {
            case F32 -> s.get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i * 4);
            case F16 -> Float.float16ToFloat(s.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i * 2));
            case BF16 -> Float.intBitsToFloat(s.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i * 2) << 16);
            default -> throw new CtxbenchException(file.getFileName() + ": the classifier head is stored as " + type
                    + "; F32, F16 or BF16 are read");
        };
    }

    private static boolean isAsciiPunctuation(byte c) {
        return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~');
    }

    public Model model() {
        return model;
    }

    @Override
    public String name() {
        return "llmlingua2";
    }

    @Override
    public CompressionResult compress(CompressionRequest req) {
        long t0 = System.nanoTime();
        String ctx = TextUtil.sanitize(req.context());
        if (ctx.isEmpty()) {
            return CompressionResult.unchanged(req, ctx, 0, t0, device, name());
        }
        int original = target.count(ctx);
        if (original > options.maxInputTokens()) {
            throw new CtxbenchException(String.format(Locale.ROOT, "the context has %,d tokens, above the token classifier's"
                    + " limit of %,d", original, options.maxInputTokens()));
        }
        int budget = req.target().budgetFor(original);
        if (original <= budget) {
            return CompressionResult.unchanged(req, ctx, original, t0, device, name());
        }
        double reduce = 1.0 - (double) budget / original;
        ModelTokens.Tokenized tk = tokens.tokenizeAligned(ctx);
        int[] tok = tk.tokens();
        List<int[]> chunks = chunks(tok);
        float[] prob = keepProbabilities(tok, chunks);
        Set<String> force = new HashSet<>(req.forceTokens());
        List<List<int[]>> words = new ArrayList<>(chunks.size());
        int nWords = 0;
        for (int[] ch : chunks) {
            words.add(words(tok, ch[0], ch[1], force));
            nWords += words.getLast().size();
        }
        int[] weight = targetTokens(ctx, tk, words, nWords);
        boolean[] keep = new boolean[tok.length];
        int first = 0;   // index of the chunk's first word in weight
        for (List<int[]> cw : words) {
            double[] wordProb = new double[cw.size()];
            for (int w = 0; w < cw.size(); w++) {
                int[] wd = cw.get(w);
                double sum = 0;
                for (int k = wd[0]; k < wd[1]; k++) {
                    sum += k == wd[0] && wd[2] == 1 ? 1.0 : prob[k];
                }
                wordProb[w] = sum / (wd[1] - wd[0]);
            }
            boolean[] kept = select(wordProb, Arrays.copyOfRange(weight, first, first + cw.size()), reduce);
            for (int w = 0; w < cw.size(); w++) {
                if (kept[w]) {
                    Arrays.fill(keep, cw.get(w)[0], cw.get(w)[1], true);
                }
            }
            first += cw.size();
        }
        List<int[]> spans = new ArrayList<>();
        String out;
        if (tk.charStarts() != null) {
            for (int k = 0; k < tok.length; k++) {
                if (keep[k]) {
                    TextUtil.addSpan(spans, tk.charStarts()[k], tk.charEnds()[k]);
                }
            }
            out = TextUtil.join(ctx, spans);
        } else {
            StringBuilder sb = new StringBuilder();
            for (int k = 0; k < tok.length; ) {
                int e = k;
                while (e < tok.length && keep[e] == keep[k]) {
                    e++;
                }
                if (keep[k]) {
                    sb.append(tokens.piecesText(tok, k, e));
                }
                k = e;
            }
            out = sb.toString().strip();
        }
        int compressed = target.count(out);
        double secs = (System.nanoTime() - t0) / 1e9;
        return new CompressionResult(req.instruction(), out, req.question(), spans, original, compressed, budget,
                (double) original / budget, CompressionResult.rate(original, compressed), compressed <= budget, secs, device,
                name(), tok.length);
    }

    /**
     * Each word's length in target tokens: with char offsets, one tokenization of the context with each token counted
     * in the word where it starts (whitespace before a word is the word's); without, each word's pieces.
     */
    private int[] targetTokens(String ctx, ModelTokens.Tokenized tk, List<List<int[]>> words, int nWords) {
        int[] out = new int[nWords];
        int i = 0;
        if (tk.charStarts() == null) {
            for (List<int[]> cw : words) {
                for (int[] wd : cw) {
                    out[i++] = target.count(tokens.piecesText(tk.tokens(), wd[0], wd[1]));
                }
            }
            return out;
        }
        int[] bounds = new int[nWords + 1];
        for (List<int[]> cw : words) {
            for (int[] wd : cw) {
                bounds[i] = i == 0 ? 0 : tk.charStarts()[wd[0]];
                i++;
            }
        }
        bounds[nWords] = ctx.length();
        return target.countSpans(ctx, bounds);
    }

    /**
     * Token ranges [from, to) of at most the encoder's length each, as LLMLingua-2's {@code __chunk_context}: a chunk
     * ends at the last "." or "\n" token within the limit, or at the limit when it holds none.
     */
    List<int[]> chunks(int[] tok) {
        int max = encoder.maxSequenceTokens();
        List<int[]> out = new ArrayList<>();
        int st = 0;
        while (st < tok.length) {
            if (st + max >= tok.length) {
                out.add(new int[] {st, tok.length});
                break;
            }
            int ed = st + max - 1;
            for (int j = ed; j > st; j--) {
                if (chunkEnd[tok[j]]) {
                    ed = j;
                    break;
                }
            }
            out.add(new int[] {st, ed + 1});
            st = ed + 1;
        }
        return out;
    }

    /** Each token's keep probability, the chunks encoded in batches of up to batchTokens / maxSequences. */
    private float[] keepProbabilities(int[] tok, List<int[]> chunks) {
        float[] prob = new float[tok.length];
        int special = encoder.specialTokens();
        List<int[]> batch = new ArrayList<>();
        List<int[]> ranges = new ArrayList<>();
        int used = 0;
        for (int c = 0; c <= chunks.size(); c++) {
            int[] ch = c < chunks.size() ? chunks.get(c) : null;
            int len = ch == null ? 0 : ch[1] - ch[0] + special;
            if (!batch.isEmpty() && (ch == null || used + len > options.batchTokens() || batch.size() == options.maxSequences())) {
                List<int[]> r = List.copyOf(ranges);
                encoder.encode(batch, (s, k, h) -> prob[r.get(s)[0] + k] = keep(h));
                batch.clear();
                ranges.clear();
                used = 0;
            }
            if (ch != null) {
                batch.add(Arrays.copyOfRange(tok, ch[0], ch[1]));
                ranges.add(ch);
                used += len;
            }
        }
        return prob;
    }

    /** softmax(W h + b)[keep] = sigmoid((w_keep - w_drop) . h + b_keep - b_drop). */
    private float keep(float[] h) {
        double z = biasDiff;
        for (int i = 0; i < headDiff.length; i++) {
            z += headDiff[i] * h[i];
        }
        return (float) (1.0 / (1.0 + Math.exp(-z)));
    }

    /**
     * Words of tokens [from, to) as {start, end, forced}: a word starts at the chunk's first token, at a space-led or
     * punctuation token, or at a force token (matched against the piece without its leading space).
     */
    private List<int[]> words(int[] tok, int from, int to, Set<String> force) {
        List<int[]> out = new ArrayList<>();
        for (int k = from; k < to; k++) {
            boolean forced = !force.isEmpty() && force.contains(pieceText(tok[k]));
            if (k == from || wordStart[tok[k]] || forced) {
                out.add(new int[] {k, k + 1, forced ? 1 : 0});
            } else {
                out.getLast()[1] = k + 1;
            }
        }
        return out;
    }

    private String pieceText(int token) {
        byte[] p = tokens.pieces()[token];
        int s = p.length > 0 && p[0] == ' ' ? 1 : 0;
        return new String(p, s, p.length - s, StandardCharsets.UTF_8);
    }

    /**
     * LLMLingua-2's selection in one chunk: the threshold is the {@code int(100 x reduce + 1)}-th percentile (numpy's
     * linear interpolation, capped at 100) of the word probabilities each repeated {@code weight} times; a word is kept
     * when its probability is above it, or equal to it when it is exactly 1.0.
     */
    static boolean[] select(double[] wordProb, int[] weight, double reduce) {
        int n = 0;
        for (int w : weight) {
            n += Math.max(0, w);
        }
        boolean[] kept = new boolean[wordProb.length];
        if (n == 0) {
            return kept;
        }
        double[] values = new double[n];
        int i = 0;
        for (int w = 0; w < wordProb.length; w++) {
            for (int r = 0; r < weight[w]; r++) {
                values[i++] = wordProb[w];
            }
        }
        double threshold = percentile(values, Math.min(100, (int) (100 * reduce + 1)));
        for (int w = 0; w < wordProb.length; w++) {
            kept[w] = wordProb[w] > threshold || (threshold == 1.0 && wordProb[w] == threshold);
        }
        return kept;
    }

    /**
     * numpy.percentile(values, q) with its default method, linear, computed as numpy computes it (virtual index
     * n*q + (1 - q) - 1 for q in [0, 1], then its two-sided lerp); sorts {@code values}.
     */
    static double percentile(double[] values, double q) {
        Arrays.sort(values);
        int n = values.length;
        double quantile = q / 100.0;
        double virtual = n * quantile + (1 + quantile * (1 - 1 - 1)) - 1;
        double prev = Math.floor(virtual);
        double gamma = virtual - prev;
        int lo = (int) Math.clamp(prev, 0, n - 1);
        int hi = (int) Math.clamp(prev + 1, 0, n - 1);
        if (virtual < 0) {
            return values[0];
        }
        if (virtual >= n - 1) {
            return values[n - 1];
        }
        double a = values[lo];
        double b = values[hi];
        double diff = b - a;
        return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
    }

    @Override
    public void close() {
        try {
            encoder.close();
        } finally {
            if (ownsModel) {
                model.close();
            }
        }
    }
}
