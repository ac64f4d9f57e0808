package io.ctxbench.engine;

import io.ctxbench.CtxbenchException;
import io.ctxbench.llama.ffi.ggml_backend_sched_eval_callback;
import io.ctxbench.llama.ffi.llama_batch;
import io.ctxbench.llama.ffi.llama_context_params;
import io.ctxbench.llama.ffi.llama_h;
import io.ctxbench.llama.ffi.llama_perf_context_data;
import io.ctxbench.llama.ffi.llama_sampler_chain_params;
import io.ctxbench.llama.ffi.llama_sampler_seq_config;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A llama.cpp context ({@code llama_context*}) on a {@link Model}, with a greedy sampler chain: the KV cache,
 * compute buffers and everything one generation needs. Native memory that lives as long as the session
 * (batch struct, token buffer, piece buffer) is in the session's own arena; {@link #close()} frees the
 * context, the sampler and that arena. Not thread-safe.
 *
 * <p>The per-token loop in {@link #generate} makes only native calls that return primitives, writes into
 * buffers allocated up front, and allocates nothing on the Java heap.
 *
 * <p>{@link #position()} is the number of tokens in the KV cache whichever call put them there ({@link #generate},
 * {@link #evaluate}, {@link #prefill}, {@link #decodeStep}, {@link #restoreState}); the next token any of them
 * decodes goes at that position.
 */
public final class Session implements AutoCloseable {

    /**
     * Context settings. {@code threads} 0 means one per physical core ({@link Threads}). A quantized V cache needs
     * flash attention; it is refused with attention explicitly off. {@code kvRotation} off stores quantized K/V
     * unrotated ({@link KvRotation}); it is refused for an unquantized cache, where it would mean nothing.
     * {@code kvEviction} drops prompt tokens from the cache after prefill ({@link KvEviction}; default none).
     */
    public record Params(int contextSize, int batchSize, int ubatchSize, int threads, FlashAttention flashAttention,
                         KvCacheType typeK, KvCacheType typeV, KvRotation kvRotation, KvEviction kvEviction) {
        public Params {
            if (contextSize <= 0) {
                throw new CtxbenchException("context size must be positive, got " + contextSize);
            }
            if (batchSize <= 0 || ubatchSize <= 0) {
                throw new CtxbenchException("batch and micro-batch sizes must be positive, got " + batchSize + " / " + ubatchSize);
            }
            if (ubatchSize > batchSize) {
                throw new CtxbenchException("micro-batch size " + ubatchSize + " is larger than the batch size " + batchSize);
            }
            if (flashAttention == null) {
                flashAttention = FlashAttention.AUTO;
            }
            if (typeK == null) {
                typeK = KvCacheType.F16;
            }
            if (typeV == null) {
                typeV = KvCacheType.F16;
            }
            if (typeV.quantized() && flashAttention == FlashAttention.OFF) {
                throw new CtxbenchException("a quantized V cache (" + typeV + ") needs flash attention: use flash attention"
                        + " on or auto, or a V cache of f16/bf16");
            }
            if (kvRotation == null) {
                kvRotation = KvRotation.ON;
            }
            KvRotation.check(kvRotation, typeK, typeV);
            if (kvEviction == null) {
                kvEviction = KvEviction.NONE;
            }
            if (kvEviction.observesAttention() && flashAttention != FlashAttention.OFF) {
                throw new CtxbenchException("KV eviction " + kvEviction.label() + " reads attention weights, which llama.cpp"
                        + " computes only with flash attention off: use flash attention off (-fa off)");
            }
            threads = Threads.resolve(threads);
        }

        /** Without eviction. */
        public Params(int contextSize, int batchSize, int ubatchSize, int threads, FlashAttention flashAttention,
                      KvCacheType typeK, KvCacheType typeV, KvRotation kvRotation) {
            this(contextSize, batchSize, ubatchSize, threads, flashAttention, typeK, typeV, kvRotation, KvEviction.NONE);
        }

        /** f16 KV cache, flash attention auto, batch 2048 / micro-batch 512 (llama.cpp's defaults), rotation on. */
        public static Params of(int contextSize) {
            return new Params(contextSize, 2048, 512, 0, FlashAttention.AUTO, KvCacheType.F16, KvCacheType.F16, KvRotation.ON);
        }

        public Params withKv(KvCacheType k, KvCacheType v) {
            return new Params(contextSize, batchSize, ubatchSize, threads, flashAttention, k, v, kvRotation, kvEviction);
        }

        public Params withKvRotation(KvRotation r) {
            return new Params(contextSize, batchSize, ubatchSize, threads, flashAttention, typeK, typeV, r, kvEviction);
        }

        public Params withFlashAttention(FlashAttention fa) {
            return new Params(contextSize, batchSize, ubatchSize, threads, fa, typeK, typeV, kvRotation, kvEviction);
        }

        public Params withBatch(int batch, int ubatch) {
            return new Params(contextSize, batch, ubatch, threads, flashAttention, typeK, typeV, kvRotation, kvEviction);
        }

        public Params withThreads(int n) {
            return new Params(contextSize, batchSize, ubatchSize, n, flashAttention, typeK, typeV, kvRotation, kvEviction);
        }

        public Params withKvEviction(KvEviction e) {
            return new Params(contextSize, batchSize, ubatchSize, threads, flashAttention, typeK, typeV, kvRotation, e);
        }
    }

    private static final int PIECE_CAP = 256;

    private final Model model;
    private final Params params;
    private final Arena arena;
    private MemorySegment ctx;
    private MemorySegment sampler;
    private final MemorySegment vocab;
    private final MemorySegment batch;
    private final MemorySegment tokenBuf;
    private final MemorySegment pieceBuf;
    private final MemorySegment evalBatch;   // explicit positions and per-token output flags, for evaluate()
    private final MemorySegment evalPos;
    private final MemorySegment evalOutput;
    private final MemorySegment targetValues;   // one float per output row (NULL when targets == null)
    private final TargetLogProbs targets;
    // tokens in the KV cache (sequence 0 holds positions 0..position-1): every path that decodes adds what it
    // added, clear/truncate/restore set it, so evaluate() and decodeStep() continue where generate() left off
    private int position;
    private final boolean fixedShape;   // evaluate pads every call to n_batch tokens, all outputs (openFixedShape)
    private MemorySegment seqId;        // the sequence id every batch entry points to
    private long decodeNanos;   // evaluate: inside llama_decode (graph build, launches; on a GPU it returns before the work ends)
    private long outputNanos;   // evaluate: from llama_decode's return to the outputs handed over (waiting for the device, reading)
    private final int nCtx;
    private final int nBatch;
    private final List<Devices.Memory> memoryBefore;
    private final List<Devices.Memory> memoryAfter;
    private final KvPath kvPath;
    private final String kvRotation;
    private final int kvConversionsAtOpen;
    // SnapKV-style eviction: the observation window's attention per cell (summed over queries, heads, layers), filled by
    // the cb_eval callback while observing is set; null for the other evictions
    private float[] attention;
    private boolean observing;
    private RuntimeException observeError;   // an upcall must not throw: the error waits here for evictPrompt
    // how far the running generate() is, for a progress line from another thread (written per chunk and per token)
    private volatile int promptTotal, promptDone, generatedSoFar;

    private Session(Model model, Params params, TargetLogProbs targets, boolean fixedShape) {
        ContextMemory.requireFits(model, params);   // llama.cpp would take most of the memory before its bad_alloc
        if (fixedShape && params.batchSize() != params.ubatchSize()) {
            throw new CtxbenchException("fixed-shape evaluation needs one micro-batch a call: batch " + params.batchSize()
                    + " and micro-batch " + params.ubatchSize() + " differ");
        }
        this.targets = targets;
        this.fixedShape = fixedShape;
        this.model = model;
        this.params = params;
        this.vocab = model.vocab();
        this.memoryBefore = Devices.memory();
        LlamaLog.clear();
        Arena a = Arena.ofConfined();
        try {
            MemorySegment cp = llama_h.llama_context_default_params(a);
            llama_context_params.n_ctx(cp, params.contextSize());
            llama_context_params.n_batch(cp, params.batchSize());
            llama_context_params.n_ubatch(cp, params.ubatchSize());
            llama_context_params.n_threads(cp, params.threads());
            llama_context_params.n_threads_batch(cp, params.threads());
            llama_context_params.flash_attn_type(cp, params.flashAttention().value);
            llama_context_params.type_k(cp, params.typeK().ggmlType);
            llama_context_params.type_v(cp, params.typeV().ggmlType);
            llama_context_params.no_perf(cp, false);
            if (fixedShape) {   // room for a token of sequence 1 in the cache's last cell, in one cache with sequence 0's
                llama_context_params.n_seq_max(cp, 2);
                llama_context_params.kv_unified(cp, true);
            }
            if (targets != null) {
                if (targets.capacity() < params.batchSize()) {
                    throw new CtxbenchException("the target log-probabilities take " + targets.capacity()
                            + " rows a batch, fewer than n_batch " + params.batchSize());
                }
                MemorySegment cfg = llama_sampler_seq_config.allocate(a);
                llama_sampler_seq_config.seq_id(cfg, 0);
                llama_sampler_seq_config.sampler(cfg, targets.chain());
                llama_context_params.samplers(cp, cfg);
                llama_context_params.n_samplers(cp, 1);
                llama_context_params.n_outputs_max_per_seq(cp, params.batchSize());
            }
            if (params.kvEviction().observesAttention()) {
                if (model.params().gpuLayers() != 0 && Devices.hasAccelerator()) {
                    throw new CtxbenchException("KV eviction " + params.kvEviction().label() + " reads attention weights on"
                            + " the host: run the model on the CPU (-ngl 0) until it copies them from the device");
                }
                llama_context_params.cb_eval(cp, ggml_backend_sched_eval_callback.allocate(this::observe, a));
                llama_context_params.cb_eval_user_data(cp, MemorySegment.NULL);
            }
            MemorySegment c = KvRotation.createContext(model.handle(), cp, params.kvRotation());
            if (c.equals(MemorySegment.NULL)) {
                throw new CtxbenchException("llama.cpp could not create a context (n_ctx " + params.contextSize() + ", KV "
                        + params.typeK() + "/" + params.typeV() + ", flash attention " + params.flashAttention() + ")"
                        + LlamaLog.lastErrorHint());
            }
            this.kvRotation = KvRotation.observed(LlamaLog.recentLines(), params.typeK(), params.typeV());
            this.ctx = c;
            if (params.kvEviction().evicts()) {
                KvEviction.requireShift(llama_h.llama_get_memory(c));   // refused before a prompt is read, not after
            }
            MemorySegment sp = llama_h.llama_sampler_chain_default_params(a);
            llama_sampler_chain_params.no_perf(sp, false);
            this.sampler = llama_h.llama_sampler_chain_init(sp);
            llama_h.llama_sampler_chain_add(sampler, llama_h.llama_sampler_init_greedy());
            this.nCtx = llama_h.llama_n_ctx(c);
            this.attention = params.kvEviction().observesAttention() ? new float[nCtx] : null;
            this.nBatch = llama_h.llama_n_batch(c);
            this.batch = llama_batch.allocate(a);
            this.tokenBuf = a.allocate(ValueLayout.JAVA_INT, nBatch);
            this.pieceBuf = a.allocate(PIECE_CAP);
            llama_batch.token(batch, tokenBuf);
            this.evalBatch = llama_batch.allocate(a);
            this.evalPos = a.allocate(ValueLayout.JAVA_INT, nBatch);
            this.evalOutput = a.allocate(ValueLayout.JAVA_BYTE, nBatch);
            this.targetValues = targets == null ? MemorySegment.NULL : a.allocate(ValueLayout.JAVA_FLOAT, nBatch);
            MemorySegment nSeq = a.allocate(ValueLayout.JAVA_INT, nBatch);
            MemorySegment seqIds = a.allocate(ValueLayout.ADDRESS, nBatch);
            MemorySegment seq0 = a.allocate(ValueLayout.JAVA_INT);   // every token belongs to sequence 0 (the anchor aside)
            this.seqId = seq0;
            for (int i = 0; i < nBatch; i++) {
                nSeq.setAtIndex(ValueLayout.JAVA_INT, i, 1);
                seqIds.setAtIndex(ValueLayout.ADDRESS, i, seq0);
            }
            llama_batch.token(evalBatch, tokenBuf);
            llama_batch.pos(evalBatch, evalPos);
            llama_batch.n_seq_id(evalBatch, nSeq);
            llama_batch.seq_id(evalBatch, seqIds);
            llama_batch.logits(evalBatch, evalOutput);
            this.arena = a;
            if (fixedShape) {
                placeAnchor();
            }
        } catch (RuntimeException e) {
            if (sampler != null) {
                llama_h.llama_sampler_free(sampler);
            }
            if (ctx != null) {
                llama_h.llama_free(ctx);
            }
            a.close();
            throw e;
        }
        this.memoryAfter = Devices.memory();
        this.kvConversionsAtOpen = LlamaLog.kvConversions();
        this.kvPath = predictKvPath(model, params);
    }

    /** How attention will read the KV cache of a context just created with {@code params} (from llama.cpp's log of it). */
    static KvPath predictKvPath(Model model, Params params) {
        return KvPath.predict(flashAttentionResolved(params.flashAttention(), LlamaLog.recentLines()),
                params.typeK(), params.typeV(), model.params().gpuLayers() != 0 && Devices.list().stream()
                        .anyMatch(d -> d.name().startsWith("CUDA")), BackendFeatures.current().cudaFlashAttentionPairs());
    }

    /** Whether flash attention is on once llama.cpp resolved "auto" (it logs the outcome while creating the context). */
    static boolean flashAttentionResolved(FlashAttention asked, List<String> log) {
        if (asked != FlashAttention.AUTO) {
            return asked == FlashAttention.ON;
        }
        for (String l : log) {
            if (l.contains("Flash Attention not supported") || l.contains("flash_attn is not compatible")) {
                return false;
            }
        }
        return true;   // auto resolves to on unless llama.cpp said otherwise
    }

    /**
     * How attention reads this session's KV cache: predicted from the build's compiled kernel pairs and where the
     * layers run, and {@link KvPath#CONVERTED} once llama.cpp has said it converts the cache while this session was open.
     */
    public KvPath kvPath() {
        return LlamaLog.kvConversions() > kvConversionsAtOpen ? KvPath.CONVERTED : kvPath;
    }

    /**
     * Whether llama.cpp rotated this session's quantized K/V, as it logged it while building the cache ({@link
     * KvRotation#observed}): on, off, k or v; null for an unquantized cache.
     */
    public String kvRotation() {
        return kvRotation;
    }

    /**
     * Creates a context on the model, after checking that its estimated memory ({@link ContextMemory}) fits where it
     * goes. Close it before the model.
     */
    public static Session open(Model model, Params params) {
        return new Session(model, params, null, false);
    }

    /**
     * A session whose evaluate consumers get, per output row, one float: log p(target) computed in llama.cpp's graph
     * by {@code targets} (which says what each row predicts: {@link TargetLogProbs#expect}), not the row's logits.
     * {@code targets} must outlive the session.
     */
    public static Session open(Model model, Params params, TargetLogProbs targets) {
        return new Session(model, params, targets, false);
    }

    /**
     * A session whose {@link #evaluate(int[], int, LogitsRows)} calls all have one shape, so llama.cpp reuses its graph
     * from call to call (and a GPU backend replays it as a CUDA graph instead of launching each kernel): every
     * llama_decode takes n_batch tokens (a shorter evaluation is padded after its last token with copies of it, which
     * nothing before them attends to, and which are dropped from the cache after the call), all with outputs, and the
     * attention always spans the whole cache (a token of sequence 1 sits in its last cell, masked for sequence 0).
     * The cache must hold what the caller keeps plus one call of padding and that cell. {@code targets} may be null.
     */
    public static Session openFixedShape(Model model, Params params, TargetLogProbs targets) {
        return new Session(model, params, targets, true);
    }

    /** Graphs llama.cpp reused instead of building them, since the session opened. */
    public int graphsReused() {
        try (Arena a = Arena.ofConfined()) {
            return llama_perf_context_data.n_reused(llama_h.llama_perf_context(a, handle()));
        }
    }

    /**
     * Fills the cache with sequence-1 tokens and drops all but the one in the last cell: the cells in use then always
     * reach the end of the cache, so llama.cpp's attention span (n_kv) stays the same from call to call.
     */
    private void placeAnchor() {
        MemorySegment c = handle();
        seqId.set(ValueLayout.JAVA_INT, 0, 1);
        try {
            for (int p = 0; p < nCtx; p += nBatch) {
                int n = Math.min(nBatch, nCtx - p);
                for (int i = 0; i < n; i++) {
                    tokenBuf.setAtIndex(ValueLayout.JAVA_INT, i, 0);
                    evalPos.setAtIndex(ValueLayout.JAVA_INT, i, p + i);
                    evalOutput.set(ValueLayout.JAVA_BYTE, i, (byte) (i == n - 1 ? 1 : 0));
                }
                llama_batch.n_tokens(evalBatch, n);
                if (targets != null) {
                    targets.rows(0, 0);
                }
                int rc = llama_h.llama_decode(c, evalBatch);
                if (rc != 0) {
                    throw decodeFailed(rc, "filling the cache for fixed-shape calls at position " + p);
                }
            }
            if (!llama_h.llama_memory_seq_rm(llama_h.llama_get_memory(c), 1, 0, nCtx - 1)) {
                throw new CtxbenchException("llama.cpp could not clear the cache for fixed-shape calls");
            }
        } finally {
            seqId.set(ValueLayout.JAVA_INT, 0, 0);
        }
    }

    public Params params() {
        return params;
    }

    public Model model() {
        return model;
    }

    /** Context size llama.cpp actually allocated (the requested size rounded up to a multiple of 256). */
    public int contextSize() {
        return nCtx;
    }

    /**
     * Nanoseconds {@link #evaluate} calls have spent inside llama_decode (building the graph, launching it; on a GPU it
     * returns before the device is done) and after it (waiting for the device, reading the outputs, the consumers),
     * since the session opened.
     */
    public long[] evaluateNanos() {
        return new long[]{decodeNanos, outputNanos};
    }

    /** Tokens one llama_decode call takes (n_batch): longer evaluations are cut into calls of this size. */
    public int batchSize() {
        return nBatch;
    }

    /** Bytes of the K cache and of the V cache as allocated: n_ctx x layers x row size of the type. */
    public long kvBytesK() {
        return (long) nCtx * model.info().layers() * params.typeK().rowBytes(model.info().kvWidthK());
    }

    public long kvBytesV() {
        return (long) nCtx * model.info().layers() * params.typeV().rowBytes(model.info().kvWidthV());
    }

    /**
     * How far the generation running now (on another thread) is, for a progress line: "prefill 3,072 of 8,151 prompt
     * tokens" while it reads the prompt, then "8,151 prompt tokens, 57 new tokens".
     */
    public String progressLine() {
        int total = promptTotal, done = promptDone, gen = generatedSoFar;
        return done < total ? String.format(Locale.ROOT, "prefill %,d of %,d prompt tokens", done, total)
                : String.format(Locale.ROOT, "%,d prompt tokens, %,d new tokens", total, gen);
    }

    /** Device memory right before and right after the context was created. */
    public List<Devices.Memory> memoryBeforeContext() {
        return memoryBefore;
    }

    public List<Devices.Memory> memoryAfterContext() {
        return memoryAfter;
    }

    /**
     * Runs one greedy generation from a clean KV cache: prefill in n_batch chunks, the params' {@link KvEviction} (after
     * the prompt, before the first token is decoded; its time is in the TTFT), then one token at a time
     * until end-of-generation (unless ignored), a stop string, or {@code maxTokens}.
     */
    public Generation generate(int[] prompt, GenerationOptions opts) {
        MemorySegment c = handle();
        if (prompt.length == 0) {
            throw new CtxbenchException("the prompt is empty: at least one token is needed");
        }
        long needed = (long) prompt.length + opts.maxTokens() - 1;
        if (prompt.length > nCtx) {
            throw new CtxbenchException("the prompt has " + prompt.length + " tokens but the context holds " + nCtx
                    + ": raise the context size or shorten (truncate) the prompt");
        }
        if (needed > nCtx) {
            throw new CtxbenchException("the prompt (" + prompt.length + " tokens) plus " + opts.maxTokens()
                    + " new tokens needs a context of " + needed + " but it holds " + nCtx
                    + ": raise the context size or lower max tokens");
        }
        int vocabSize = model.vocabSize();
        for (int t : prompt) {
            if (t < 0 || t >= vocabSize) {
                throw new CtxbenchException("prompt token id " + t + " is outside the vocabulary (0.." + (vocabSize - 1) + ")");
            }
        }
        byte[][] stops = opts.stopStrings().stream().map(s -> s.getBytes(StandardCharsets.UTF_8)).toArray(byte[][]::new);
        int maxStop = 0;
        for (byte[] s : stops) {
            maxStop = Math.max(maxStop, s.length);
        }
        final int max = opts.maxTokens();
        final int[] out = new int[max];
        final long[] stepNs = new long[max];
        final long[] sampleNs = new long[max];
        byte[] text = new byte[Math.max(64, max * 8)];
        int textLen = 0;

        clear();
        promptTotal = prompt.length;
        promptDone = 0;
        generatedSoFar = 0;
        llama_h.llama_sampler_reset(sampler);
        llama_h.llama_perf_context_reset(c);
        MemorySampler mem = MemorySampler.start(opts.memorySampleMillis());
        Placement pl = model.params().placement();
        Watchdog dog = pl.usesRpc() ? Watchdog.start("generation over RPC " + pl.rpcServers(), pl.rpcTimeoutSeconds()) : null;
        long heap0 = ProcessMemory.threadAllocatedBytes();
        try {
            long t0 = System.nanoTime();
            // an eviction that reads the observation window's attention gets the window in calls of its own
            int observeFrom = params.kvEviction().observeFrom(prompt.length);
            for (int off = 0, n; off < prompt.length; off += n) {
                n = Math.min(nBatch, prompt.length - off);
                if (off < observeFrom && off + n > observeFrom) {
                    n = observeFrom - off;
                }
                if (off == observeFrom) {
                    observeAttention(true);
                }
                MemorySegment.copy(prompt, off, tokenBuf, ValueLayout.JAVA_INT, 0, n);
                llama_batch.n_tokens(batch, n);
                int rc = llama_h.llama_decode(c, batch);
                if (rc != 0) {
                    throw decodeFailed(rc, "prefill at token " + off);
                }
                position += n;
                promptDone = off + n;
                if (dog != null) {
                    dog.tick();
                }
            }
            llama_h.llama_synchronize(c);
            observing = false;
            long prefillNs = System.nanoTime() - t0;
            evictPrompt();   // the first token's logits are the full prompt's; every later token sees the kept cells
            int tok = llama_h.llama_sampler_sample(sampler, c, -1);
            long ttftNs = System.nanoTime() - t0;
            int count = 0;
            StopReason reason = StopReason.MAX_TOKENS;
            // ---- per-token loop: primitives and pre-allocated buffers only ----
            while (true) {
                if (!opts.ignoreEos() && llama_h.llama_vocab_is_eog(vocab, tok)) {
                    reason = StopReason.END_OF_GENERATION;
                    break;
                }
                out[count] = tok;
                if (stops.length > 0) {
                    int n = llama_h.llama_token_to_piece(vocab, tok, pieceBuf, PIECE_CAP, 0, false);
                    if (n > 0) {
                        if (textLen + n > text.length) {
                            text = Arrays.copyOf(text, Math.max(text.length * 2, textLen + n));
                        }
                        MemorySegment.copy(pieceBuf, ValueLayout.JAVA_BYTE, 0, text, textLen, n);
                        textLen += n;
                        int at = findStop(text, textLen, n + maxStop, stops);
                        if (at >= 0) {
                            textLen = at;
                            count++;
                            reason = StopReason.STOP_STRING;
                            break;
                        }
                    }
                }
                count++;
                generatedSoFar = count;
                if (count == max) {
                    break;
                }
                tokenBuf.set(ValueLayout.JAVA_INT, 0, tok);
                llama_batch.n_tokens(batch, 1);
                long s = System.nanoTime();
                int rc = llama_h.llama_decode(c, batch);
                if (rc != 0) {
                    throw decodeFailed(rc, "decode of token " + count);  // message built only on failure
                }
                position++;
                llama_h.llama_synchronize(c);   // the decode is done when the device is, as llama-bench times it
                long d = System.nanoTime();
                tok = llama_h.llama_sampler_sample(sampler, c, -1);
                stepNs[count - 1] = d - s;
                if (dog != null) {
                    dog.tick();
                }
                sampleNs[count - 1] = System.nanoTime() - d;
            }
            // ---- end of per-token loop ----
            long tEnd = System.nanoTime();
            long loopHeapBytes = ProcessMemory.threadAllocatedBytes() - heap0;
            // decode calls made: one after each kept token but the last, plus one more when EOG ended it
            int steps = reason == StopReason.END_OF_GENERATION ? count : count - 1;
            MemorySampler.Result peak = mem.stop();
            int[] tokens = Arrays.copyOf(out, count);
            String generated = stops.length > 0
                    ? new String(text, 0, textLen, StandardCharsets.UTF_8)
                    : model.detokenize(tokens, 0, count, false);
            return new Generation(tokens, generated, reason, new Generation.Timings(prompt.length, count, prefillNs,
                    ttftNs, Arrays.copyOf(stepNs, steps), Arrays.copyOf(sampleNs, steps), tEnd - t0, loopHeapBytes, llamaPerf()),
                    new Generation.Memory(model.sizeBytes(), kvBytesK(), kvBytesV(), params.typeK(), params.typeV(),
                            model.memoryBeforeLoad(), model.memoryAfterLoad(), memoryBefore, memoryAfter, peak.peakUsed(),
                            ProcessMemory.residentBytes(), ProcessMemory.peakResidentBytes()));
        } finally {
            observing = false;
            mem.stopQuietly();
            if (dog != null) {
                dog.close();
            }
        }
    }

    /** Receives the next-token logits after one position: a read-only view of {@code vocabSize} floats, valid only during the call. */
    @FunctionalInterface
    public interface LogitsConsumer {
        void accept(int position, MemorySegment logits);
    }

    /** Empties the KV cache: the next token goes at position 0. */
    public void clear() {
        if (fixedShape) {
            truncate(0);   // sequence 0 only: the anchor stays
            return;
        }
        llama_h.llama_memory_clear(llama_h.llama_get_memory(handle()), true);
        position = 0;
    }

    /** Number of tokens in the KV cache, whichever call decoded them; the next token goes at this position. */
    public int position() {
        return position;
    }

    /**
     * Applies this session's {@link KvEviction} to the prompt now in the cache (positions 0..position-1, the whole
     * prompt): drops the evicted cells and compacts the kept ones, so the next token goes at {@link KvEviction#kept}. Returns
     * the new position. Without eviction (or with a budget that keeps everything) it changes nothing.
     * {@link #generate} calls it after prefill; teacher forcing (the fidelity pass) calls it between prompt and continuation.
     */
    public int evictPrompt() {
        if (observeError != null) {
            RuntimeException e = observeError;
            observeError = null;
            throw new CtxbenchException("reading llama.cpp's attention weights failed: " + e);
        }
        if (params.kvEviction().kept(position) == position) {
            return position;   // nothing to evict: no native call, nothing allocated (generate's loop stays allocation-free)
        }
        position = params.kvEviction().apply(llama_h.llama_get_memory(handle()), 0, position, attention);
        return position;
    }

    /**
     * Starts ({@code on}: from zero) or stops capturing the attention that the tokens decoded meanwhile pay to each
     * cell, for an eviction that scores by it ({@link KvEviction#observesAttention()}); {@link #generate} does it for
     * the prompt's observation window, teacher forcing calls it around the window itself.
     */
    public void observeAttention(boolean on) {
        if (attention == null) {
            throw new IllegalStateException("this session's KV eviction (" + params.kvEviction().label() + ") reads no attention");
        }
        if (on) {
            Arrays.fill(attention, 0f);
        }
        observing = on;
    }

    /** The captured attention per cell (a copy), for tests. */
    float[] observedAttention() {
        return attention.clone();
    }

    /**
     * The cb_eval callback: asks for llama.cpp's attention weights ({@code kq_soft_max-<layer>}, F32,
     * [n_kv, n_tokens, n_head, n_stream], only without flash attention) while observing, and adds each cell's column
     * over tokens and heads into {@link #attention}. A fresh sequence fills cells from 0 in order, so cell j is position
     * j. Runs on the thread that called llama_decode; on the host only (checked when the session opens).
     */
    private boolean observe(MemorySegment tensor, boolean ask, MemorySegment userData) {
        if (!observing) {
            return !ask;   // asked: not wanted; told: go on
        }
        try {
            return observeTensor(tensor, ask);
        } catch (RuntimeException e) {
            observeError = e;
            observing = false;
            return !ask;
        }
    }

    private boolean observeTensor(MemorySegment tensor, boolean ask) {
        GgmlTensor t = new GgmlTensor(tensor);
        if (!t.name().startsWith("kq_soft_max-")) {
            return !ask;
        }
        if (ask) {
            return true;
        }
        if (t.type() != GgmlTensor.TYPE_F32) {
            return true;
        }
        MemorySegment d = t.data();
        long nKv = Math.min(t.ne(0), attention.length);
        for (long s = 0; s < t.ne(3); s++) {
            for (long h = 0; h < t.ne(2); h++) {
                for (long q = 0; q < t.ne(1); q++) {
                    long row = s * t.nb(3) + h * t.nb(2) + q * t.nb(1);
                    for (int j = 0; j < nKv; j++) {
                        attention[j] += d.get(ValueLayout.JAVA_FLOAT, row + (long) j * t.nb(0));
                    }
                }
            }
        }
        return true;
    }

    /** Drops every cached token from {@code position} on, so evaluation can continue from there. */
    public void truncate(int position) {
        if (position < 0 || position > this.position) {
            throw new CtxbenchException("cannot truncate the cache to position " + position + " (it holds " + this.position + ")");
        }
        if (!llama_h.llama_memory_seq_rm(llama_h.llama_get_memory(handle()), 0, position, -1)) {
            throw new CtxbenchException("llama.cpp could not drop cached tokens from position " + position);
        }
        this.position = position;
    }

    /**
     * Receives the next-token logits of consecutive positions of one decoded batch: {@code rows} x vocabSize floats,
     * row r being the logits after position {@code firstPosition + r}; a read-only view, valid only during the call.
     * In a session opened with {@link TargetLogProbs} each row is one float instead: log p(the row's target).
     */
    @FunctionalInterface
    public interface LogitsRows {
        void accept(int firstPosition, int rows, MemorySegment logits);
    }

    /**
     * Appends tokens to the KV cache (teacher forcing, no sampling) and hands the next-token logits after each
     * of them to {@code consumer} when it is not null; with a null consumer only the KV cache is filled. Used
     * for perplexity-style scoring (prompt compression) and for comparing distributions between methods.
     */
    public void evaluate(int[] tokens, LogitsConsumer consumer) {
        evaluate(tokens, 0, consumer == null ? null : (first, rows, logits) -> {
            long row = (long) model.vocabSize() * Float.BYTES;
            for (int r = 0; r < rows; r++) {
                consumer.accept(first + r, logits.asSlice(r * row, row));
            }
        });
    }

    /**
     * Appends tokens to the KV cache as {@link #evaluate(int[], LogitsConsumer)} does, asking llama.cpp for logits
     * only after {@code tokens[firstOutput..]} (and the last token, as every evaluation does): positions before it
     * cost no LM head and no copy. {@code consumer} gets them once per decoded batch (n_batch tokens), as rows.
     */
    public void evaluate(int[] tokens, int firstOutput, LogitsRows consumer) {
        MemorySegment c = handle();
        if ((long) position + tokens.length > nCtx) {
            throw new CtxbenchException("evaluating " + tokens.length + " more tokens after " + position
                    + " exceeds the context of " + nCtx);
        }
        int vocabSize = model.vocabSize();
        for (int t : tokens) {
            if (t < 0 || t >= vocabSize) {
                throw new CtxbenchException("token id " + t + " is outside the vocabulary (0.." + (vocabSize - 1) + ")");
            }
        }
        long rowBytes = (long) vocabSize * Float.BYTES;
        for (int off = 0; off < tokens.length; off += nBatch) {
            int n = Math.min(nBatch, tokens.length - off);
            int lo = consumer == null ? n : Math.clamp(firstOutput - off, 0, n);   // outputs wanted from index lo
            int size = fixedShape ? nBatch : n;   // tokens decoded: padded with copies of the last in fixed shape
            MemorySegment.copy(tokens, off, tokenBuf, ValueLayout.JAVA_INT, 0, n);
            for (int i = 0; i < size; i++) {
                if (i >= n) {
                    tokenBuf.setAtIndex(ValueLayout.JAVA_INT, i, tokens[off + n - 1]);
                }
                evalPos.setAtIndex(ValueLayout.JAVA_INT, i, position + i);
                evalOutput.set(ValueLayout.JAVA_BYTE, i, (byte) (fixedShape || i >= lo || off + i == tokens.length - 1 ? 1 : 0));
            }
            llama_batch.n_tokens(evalBatch, size);
            // the micro-batch's output rows: every index in fixed shape, else lo.. and the last; rows of indices lo..n-1
            // predict the next targets, the others none
            int firstRow = fixedShape ? 0 : lo;
            if (targets != null) {
                targets.rows(fixedShape ? lo : 0, lo < n ? n - lo : 0);
            }
            long t0 = System.nanoTime();
            int rc = llama_h.llama_decode(c, evalBatch);
            long t1 = System.nanoTime();
            decodeNanos += t1 - t0;
            if (rc != 0) {
                throw decodeFailed(rc, "evaluation at position " + position);
            }
            Throwable failed = targets == null ? null : targets.takeFailure();
            if (failed != null) {
                throw new CtxbenchException("the target log-probabilities failed in llama.cpp's graph at position " + position
                        + ": " + failed);
            }
            if (lo < n && targets != null) {
                // each micro-batch's first output row holds the values of all its rows (TargetLogProbs)
                for (int i = lo; i < n; ) {
                    MemorySegment v = llama_h.llama_get_sampled_logits_ith(c, firstRow);
                    int rows = llama_h.llama_get_sampled_logits_count_ith(c, firstRow);
                    if (v.equals(MemorySegment.NULL) || rows < 1 || firstRow + rows <= i) {
                        throw new CtxbenchException("llama.cpp returned no target log-probabilities for position " + (position + i)
                                + " (" + rows + " values from row " + firstRow + ")" + LlamaLog.lastErrorHint());
                    }
                    int end = Math.min(n, firstRow + rows);
                    MemorySegment.copy(v.reinterpret((long) rows * Float.BYTES), (long) (i - firstRow) * Float.BYTES,
                            targetValues, (long) (i - lo) * Float.BYTES, (long) (end - i) * Float.BYTES);
                    i = end;
                    firstRow = end;
                }
                consumer.accept(position + lo, n - lo, targetValues.asSlice(0, (long) (n - lo) * Float.BYTES).asReadOnly());
            } else if (lo < n) {
                // the outputs of one single-sequence batch are rows in batch order: row 0 is index lo's
                MemorySegment p = llama_h.llama_get_logits_ith(c, lo);
                if (p.equals(MemorySegment.NULL)) {
                    throw new CtxbenchException("llama.cpp returned no logits for position " + (position + lo) + LlamaLog.lastErrorHint());
                }
                consumer.accept(position + lo, n - lo, p.reinterpret((n - lo) * rowBytes).asReadOnly());
            }
            outputNanos += System.nanoTime() - t1;
            if (size > n && !llama_h.llama_memory_seq_rm(llama_h.llama_get_memory(c), 0, position + n, -1)) {
                throw new CtxbenchException("llama.cpp could not drop the padding at position " + (position + n));
            }
            position += n;
        }
    }

    /**
     * Appends {@code tokens} to the KV cache as {@link #evaluate} with no consumer does (in n_batch chunks,
     * logits only for the last token), then waits until the device is done ({@code llama_synchronize}) and
     * returns the elapsed nanoseconds: llama-bench's {@code test_prompt}, used for prefill throughput and for
     * filling the cache to a depth.
     */
    public long prefill(int[] tokens) {
        MemorySegment c = handle();
        long t0 = System.nanoTime();
        evaluate(tokens, null);
        llama_h.llama_synchronize(c);
        return System.nanoTime() - t0;
    }

    /**
     * Decodes one token at the next position (one {@code llama_decode} call of a one-token batch) and waits for
     * the device. No sampling, no logits read. Allocation-free: the per-token call of the benchmarks.
     */
    public void decodeStep(int token) {
        MemorySegment c = handle();
        if (position >= nCtx) {
            throw new CtxbenchException("decoding one more token after " + position + " exceeds the context of " + nCtx);
        }
        tokenBuf.set(ValueLayout.JAVA_INT, 0, token);
        evalPos.set(ValueLayout.JAVA_INT, 0, position);
        evalOutput.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        llama_batch.n_tokens(evalBatch, 1);
        int rc = llama_h.llama_decode(c, evalBatch);
        if (rc != 0) {
            throw decodeFailed(rc, "decode at position " + position);
        }
        llama_h.llama_synchronize(c);
        position++;
    }

    /**
     * Decodes {@code tokens} one per call ({@link #decodeStep}), each timed from the call until the device is
     * done, into {@code stepNs[i]}: llama-bench's {@code test_gen}. No sampling; allocates nothing.
     */
    public void decodeSteps(int[] tokens, long[] stepNs) {
        if (stepNs.length < tokens.length) {
            throw new IllegalArgumentException("stepNs holds " + stepNs.length + " times for " + tokens.length + " tokens");
        }
        if ((long) position + tokens.length > nCtx) {
            throw new CtxbenchException("decoding " + tokens.length + " tokens after " + position + " exceeds the context of " + nCtx);
        }
        int vocabSize = model.vocabSize();
        for (int t : tokens) {
            if (t < 0 || t >= vocabSize) {
                throw new CtxbenchException("token id " + t + " is outside the vocabulary (0.." + (vocabSize - 1) + ")");
            }
        }
        // ---- per-token loop: primitives and pre-allocated buffers only ----
        for (int i = 0; i < tokens.length; i++) {
            long s = System.nanoTime();
            decodeStep(tokens[i]);
            stepNs[i] = System.nanoTime() - s;
        }
    }

    /** Greedy pick of the next token from the logits of the last decoded position ({@code llama_sampler_sample}). */
    public int sampleNext() {
        return llama_h.llama_sampler_sample(sampler, handle(), -1);
    }

    /**
     * The {@code llama_context*} itself, for benchmarks that call llama.cpp directly to compare with the
     * engine's calls (the JMH FFM-overhead baselines). Valid until {@link #close()}; do not free it.
     */
    public MemorySegment nativeContext() {
        return handle();
    }

    /**
     * Copies the KV cache of the sequence ({@code llama_state_seq_get_data}) into native memory of {@code arena}, so
     * a later session with the same KV types can start at the same depth without recomputing it (as llama-bench
     * caches its depth run).
     */
    public MemorySegment saveState(Arena into) {
        MemorySegment c = handle();
        long size = llama_h.llama_state_seq_get_size(c, 0);
        MemorySegment buf = into.allocate(size, 64);
        long n = llama_h.llama_state_seq_get_data(c, buf, size, 0);
        if (n != size) {
            throw new CtxbenchException("llama.cpp wrote " + n + " bytes of a " + size + "-byte sequence state" + LlamaLog.lastErrorHint());
        }
        return buf;
    }

    /**
     * Replaces the cache with a state from {@link #saveState}; false (cache left empty) when llama.cpp finds it
     * incompatible with this context (other KV types or layout, too small). On success the next token goes
     * after the restored ones.
     */
    public boolean restoreState(MemorySegment state) {
        MemorySegment c = handle();
        clear();
        long n = llama_h.llama_state_seq_set_data(c, state, state.byteSize(), 0);
        if (n == 0) {
            clear();
            return false;
        }
        position = cachedPosition();
        return true;
    }

    /** Index in text where a stop string starts, looking only at the last {@code window} bytes; -1 if none. */
    static int findStop(byte[] text, int len, int window, byte[][] stops) {
        int from = Math.max(0, len - window);
        for (byte[] s : stops) {
            outer:
            for (int i = from; i + s.length <= len; i++) {
                for (int j = 0; j < s.length; j++) {
                    if (text[i + j] != s[j]) {
                        continue outer;
                    }
                }
                return i;
            }
        }
        return -1;
    }

    private Generation.LlamaPerf llamaPerf() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment d = llama_h.llama_perf_context(a, ctx);
            return new Generation.LlamaPerf(llama_perf_context_data.t_p_eval_ms(d), llama_perf_context_data.n_p_eval(d),
                    llama_perf_context_data.t_eval_ms(d), llama_perf_context_data.n_eval(d));
        }
    }

    /**
     * The error for a failed {@code llama_decode}. The position is read back from llama.cpp first: an aborted batch
     * may leave some of its micro-batches in the cache.
     */
    private CtxbenchException decodeFailed(int rc, String where) {
        position = cachedPosition();
        String what = switch (rc) {
            case 1 -> "no KV cache slot for the batch (context full)";
            case 2 -> "aborted";
            case -1 -> "invalid batch";
            default -> "error code " + rc;
        };
        return new CtxbenchException("llama_decode failed during " + where + ": " + what + LlamaLog.lastErrorHint());
    }

    /** llama.cpp's own count: one past the highest position of sequence 0 (0 when empty). */
    private int cachedPosition() {
        return llama_h.llama_memory_seq_pos_max(llama_h.llama_get_memory(handle()), 0) + 1;
    }

    /** The llama_context (package-private for tests that ask llama.cpp directly). */
    MemorySegment handle() {
        if (ctx == null) {
            throw new IllegalStateException("session is closed");
        }
        return ctx;
    }

    @Override
    public void close() {
        if (ctx != null) {
            llama_h.llama_sampler_free(sampler);
            llama_h.llama_free(ctx);
            ctx = null;
            sampler = null;
            arena.close();
        }
    }
}
