package io.ctxbench.engine;

import io.ctxbench.CtxbenchException;
import io.ctxbench.llama.ffi.llama_batch;
import io.ctxbench.llama.ffi.llama_context_params;
import io.ctxbench.llama.ffi.llama_h;
import io.ctxbench.llama.ffi.llama_sampler_seq_config;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Many greedy generations at once on one llama.cpp context: up to {@code parallel} sequences in flight, each in
 * its own KV sequence ({@code seq_id} = its slot), their decode steps batched into one {@code llama_decode} call.
 * The quality pass's engine: a decode step reads the weights once for all sequences in flight. Cost figures (TTFT,
 * per-token latency, memory) stay {@link Session}'s: here a step's time is shared by every sequence in it.
 *
 * <p>Each step is at most two calls: first the next prompt chunk of the oldest sequence still prefilling, alone
 * (n_batch tokens from where it stands, so a prompt's chunks are exactly {@link Session#generate}'s; on a GPU the
 * prompts still prefilling share the chunk, see {@link #packedPrefillChunk}), then one token of every decoding
 * sequence, in slot order. After each call, a sequence with an output row takes its greedy token from that row as
 * {@link Session}'s greedy sampler does (the first highest logit wins, {@link #argmax}, read in place; on a GPU llama.cpp's
 * graph makes that choice, see {@link #open(Model, Session.Params, int, boolean)}) and applies {@link Session#generate}'s
 * rules: end of generation
 * (not kept), stop strings (text cut where one starts), max tokens. A finished sequence drops its cells
 * ({@code llama_memory_seq_rm}) and the next queued request takes its slot at once (continuous batching). With a
 * {@link KvEviction} in the params, a sequence evicts from its own cells right after its first token is chosen (from
 * the full prompt's logits) and before that token is decoded, as {@link Session#generate} does; its decode positions
 * continue after the kept cells.
 *
 * <p>Why prompts are not packed together into shared n_batch chunks on the CPU: there, llama.cpp's flash attention picks its
 * kernel by the shape of each micro-batch (a tiled f32 kernel for 64 or more query rows per sequence, an f16
 * accumulating one below), so a prompt token that lands in a small shared micro-batch gets a different KV entry than
 * at batch 1 (measured on SmolLM2: logits up to 0.6 apart after the prompt). A prompt chunk alone is bit-identical to
 * {@link Session}'s, and costs nothing: llama.cpp splits a multi-sequence batch into per-sequence micro-batches anyway.
 * With flash attention off, or with one thread, outputs are bit-identical to {@link Session}'s; with flash attention
 * on and several threads, a decode step of several sequences takes the kernel that batch 1 takes with one thread
 * (batch 1 splits one query's KV range across the threads), so outputs differ from batch 1 exactly as batch 1's own
 * outputs differ between one and two threads (ParallelGeneratorTest measures both).
 *
 * <p>The KV cache is per sequence ({@code kv_unified = false}): llama.cpp gives each sequence its own stream of
 * {@code contextSize} cells, and attention of a sequence reads only its own stream. With a unified cache every
 * sequence's attention would span all sequences' cells (masked), a cost growing with {@code parallel} squared;
 * llama.h recommends per-sequence streams for sequences that share no prefix, which is the evaluation's case.
 *
 * <p>Native memory (the context, the batch arrays) lives as long as the generator, in its arena;
 * {@link #close()} frees it; close it before the model. The step loop writes into buffers allocated up front and
 * allocates on the Java heap only per request (its token and text buffers, its result). Not thread-safe.
 */
public final class ParallelGenerator implements AutoCloseable {

    /** llama.cpp's LLAMA_MAX_SEQ: the most sequences a context holds. */
    public static final int MAX_PARALLEL = 256;

    /** One generation to run: prompt tokens and what it may do ({@code memorySampleMillis} is not used here). */
    public record Request(int[] prompt, GenerationOptions options) {
        public Request {
            if (prompt == null || prompt.length == 0) {
                throw new CtxbenchException("the prompt is empty: at least one token is needed");
            }
            if (options == null) {
                throw new CtxbenchException("generation options are missing");
            }
        }
    }

    /**
     * One request's outcome: tokens, text and why it stopped, as in a {@link Generation}. Times in
     * nanoseconds: {@code waitNs} from the start of {@link #generate} until the request got a slot, {@code ttftNs}
     * from then until its first token was chosen (its prefill, interleaved with other sequences' steps), and
     * {@code endToEndNs} from then until it finished. They are latencies under load, not per-request costs.
     */
    public record Result(int[] tokens, String text, StopReason stopReason, int promptTokens, long waitNs, long ttftNs,
                         long endToEndNs) {
    }

    /**
     * Where a run stands: requests finished of all, sequences in flight, prompt tokens prefilled and tokens generated
     * so far, time since the start, and generated tokens per second since the previous report and overall.
     */
    public record Progress(int done, int requests, int inFlight, long promptTokens, long generatedTokens,
                           long elapsedNs, double recentTokensPerSecond, double tokensPerSecond) {
    }

    /** Hears about a run: each request when it finishes (in finishing order), and progress every few seconds. */
    public interface Listener {
        default void finished(int index, Result result) {
        }

        default void progress(Progress progress) {
        }
    }

    /**
     * A run: the results in request order, its wall time, the {@code llama_decode} calls made, the prompt and generated
     * tokens of all requests, and what the generating thread allocated on the Java heap from the first step to the last.
     * Where the time went: {@code prefillNs} in prompt-chunk calls and {@code decodeNs} in decode-step calls (each the
     * call and the choice of tokens after it), over {@code decodeSteps} decode steps that carried {@code decodeRows}
     * sequences in all; the rest of the wall time is the loop's own bookkeeping and the listener. {@code choicesInGraph}:
     * how many of the greedy choices llama.cpp made in its graph (backend sampling), the rest by the host argmax.
     */
    public record Run(List<Result> results, long wallNs, int decodeCalls, long promptTokens, long generatedTokens,
                      long loopHeapBytes, long prefillNs, long decodeNs, int decodeSteps, long decodeRows,
                      long choicesInGraph) {
        /** Generated tokens per second of wall time: the quality pass's throughput. */
        public double generatedTokensPerSecond() {
            return wallNs == 0 ? 0 : generatedTokens * 1e9 / wallNs;
        }

        /** One line: wall time, prefill and decode shares, decode steps and the mean sequences a step carried. */
        public String breakdown() {
            return String.format(java.util.Locale.ROOT, "%.1f s: prompt chunks %.1f s (%,d tokens, %.0f t/s), decode steps"
                            + " %.1f s (%,d steps of %.1f sequences on average, %.1f ms a step), other %.1f s", wallNs / 1e9,
                    prefillNs / 1e9, promptTokens, prefillNs == 0 ? 0 : promptTokens * 1e9 / prefillNs, decodeNs / 1e9,
                    decodeSteps, decodeSteps == 0 ? 0 : (double) decodeRows / decodeSteps,
                    decodeSteps == 0 ? 0 : decodeNs / 1e6 / decodeSteps, (wallNs - prefillNs - decodeNs) / 1e9)
                    + (choicesInGraph > 0 ? String.format(java.util.Locale.ROOT, "; %,d greedy choices in llama.cpp's graph",
                    choicesInGraph) : "");
        }
    }

    private static final int PIECE_CAP = 256;

    private final Model model;
    private final Session.Params params;
    private final int parallel;
    private final Arena arena;
    private MemorySegment ctx;
    private final MemorySegment vocab;
    private final MemorySegment batch;
    private final MemorySegment tokenBuf;
    private final MemorySegment posBuf;
    private final MemorySegment seqIdPtrs;   // per batch token: pointer to its sequence's id
    private final MemorySegment[] seqId;     // seqId[s]: one int holding s, what a token of sequence s points to
    private final MemorySegment outputBuf;   // per batch token: 1 when its logits are wanted
    private final MemorySegment pieceBuf;
    private final int nBatch;
    private final int nCtxSeq;
    private final KvPath kvPath;
    private final String kvRotation;
    private final int kvConversionsAtOpen;
    private final boolean packedPrefill;
    private final MemorySegment[] samplers;  // per slot: a greedy chain llama.cpp runs in the graph (backend sampling), or empty

    private ParallelGenerator(Model model, Session.Params params, int parallel, boolean onDevice) {
        if (params.kvEviction().observesAttention()) {
            throw new CtxbenchException("KV eviction " + params.kvEviction().label() + " reads the observation window's"
                    + " attention, which only a batch-1 session captures so far: run it without parallel sequences");
        }
        if (parallel < 1 || parallel > MAX_PARALLEL) {
            throw new CtxbenchException("parallel sequences must be 1.." + MAX_PARALLEL + ", got " + parallel);
        }
        long perSeq = (params.contextSize() + 255L) / 256 * 256;   // llama.cpp pads each sequence's stream to 256 cells
        long total = perSeq * parallel;
        if (total > Integer.MAX_VALUE) {
            throw new CtxbenchException(parallel + " sequences of " + perSeq + " tokens exceed the largest context llama.cpp takes");
        }
        ContextMemory.requireFits(model, new Session.Params((int) total, params.batchSize(), params.ubatchSize(),
                params.threads(), params.flashAttention(), params.typeK(), params.typeV(), params.kvRotation()));
        this.model = model;
        this.params = params;
        this.parallel = parallel;
        this.vocab = model.vocab();
        LlamaLog.clear();
        Arena a = Arena.ofConfined();
        MemorySegment[] chains = new MemorySegment[onDevice ? parallel : 0];
        try {
            MemorySegment cp = llama_h.llama_context_default_params(a);
            if (onDevice) {
                MemorySegment configs = llama_sampler_seq_config.allocateArray(parallel, a);
                for (int s = 0; s < parallel; s++) {
                    chains[s] = llama_h.llama_sampler_chain_init(llama_h.llama_sampler_chain_default_params(a));
                    llama_h.llama_sampler_chain_add(chains[s], llama_h.llama_sampler_init_greedy());
                    MemorySegment cfg = llama_sampler_seq_config.asSlice(configs, s);
                    llama_sampler_seq_config.seq_id(cfg, s);
                    llama_sampler_seq_config.sampler(cfg, chains[s]);
                }
                llama_context_params.samplers(cp, configs);
                llama_context_params.n_samplers(cp, parallel);
            }
            llama_context_params.n_ctx(cp, (int) total);
            llama_context_params.n_batch(cp, params.batchSize());
            llama_context_params.n_ubatch(cp, params.ubatchSize());
            llama_context_params.n_seq_max(cp, parallel);
            llama_context_params.kv_unified(cp, false);
            llama_context_params.n_threads(cp, params.threads());
            llama_context_params.n_threads_batch(cp, params.threads());
            llama_context_params.flash_attn_type(cp, params.flashAttention().value);
            llama_context_params.type_k(cp, params.typeK().ggmlType);
            llama_context_params.type_v(cp, params.typeV().ggmlType);
            MemorySegment c = KvRotation.createContext(model.handle(), cp, params.kvRotation());
            if (c.equals(MemorySegment.NULL)) {
                throw new CtxbenchException("llama.cpp could not create a context for " + parallel + " sequences of "
                        + perSeq + " tokens (KV " + params.typeK() + "/" + params.typeV() + ", flash attention "
                        + params.flashAttention() + ")" + LlamaLog.lastErrorHint());
            }
            this.ctx = c;
            if (params.kvEviction().evicts()) {
                KvEviction.requireShift(llama_h.llama_get_memory(c));
            }
            this.nBatch = llama_h.llama_n_batch(c);
            this.nCtxSeq = llama_h.llama_n_ctx_seq(c);
            this.batch = llama_batch.allocate(a);
            this.tokenBuf = a.allocate(ValueLayout.JAVA_INT, nBatch);
            this.posBuf = a.allocate(ValueLayout.JAVA_INT, nBatch);
            this.seqIdPtrs = a.allocate(ValueLayout.ADDRESS, nBatch);
            this.seqId = new MemorySegment[parallel];
            this.outputBuf = a.allocate(ValueLayout.JAVA_BYTE, nBatch);
            this.pieceBuf = a.allocate(PIECE_CAP);
            MemorySegment nSeq = a.allocate(ValueLayout.JAVA_INT, nBatch);
            for (int i = 0; i < nBatch; i++) {
                nSeq.setAtIndex(ValueLayout.JAVA_INT, i, 1);   // every token belongs to one sequence
            }
            for (int s = 0; s < parallel; s++) {
                seqId[s] = a.allocateFrom(ValueLayout.JAVA_INT, s);
            }
            llama_batch.token(batch, tokenBuf);
            llama_batch.pos(batch, posBuf);
            llama_batch.n_seq_id(batch, nSeq);
            llama_batch.seq_id(batch, seqIdPtrs);
            llama_batch.logits(batch, outputBuf);
            this.arena = a;
            this.kvConversionsAtOpen = LlamaLog.kvConversions();
            this.packedPrefill = onDevice;
            this.samplers = chains;
            this.kvPath = Session.predictKvPath(model, params);
            this.kvRotation = KvRotation.observed(LlamaLog.recentLines(), params.typeK(), params.typeV());
        } catch (RuntimeException e) {
            if (ctx != null) {
                llama_h.llama_free(ctx);
            }
            freeSamplers(chains);
            a.close();
            throw e;
        }
    }

    /**
     * Creates the context: {@code parallel} sequences of {@code params.contextSize()} tokens each (prompt plus new
     * tokens of the longest request), n_batch/n_ubatch, threads, flash attention and KV types from {@code params},
     * after checking that the whole context ({@code parallel} x the per-sequence size) fits ({@link ContextMemory}).
     */
    public static ParallelGenerator open(Model model, Session.Params params, int parallel) {
        return open(model, params, parallel, model.params().gpuLayers() != 0 && Devices.hasAccelerator());
    }

    /**
     * As {@link #open(Model, Session.Params, int)}, with the device's way ({@code onDevice}: a GPU's default) or the
     * CPU's: on a device, the prompts share prefill chunks, and the greedy choice is made in llama.cpp's graph
     * (backend sampling: an argmax over each output row where the logits are, so neither the logits rows are copied
     * to the host nor scanned there; llama.cpp's argmax, like its greedy sampler, keeps the first highest logit on
     * the CPU, while CUDA's reduction may pick another of exactly equal logits). A sequence llama.cpp could not give
     * a backend sampler falls back to the host argmax.
     */
    static ParallelGenerator open(Model model, Session.Params params, int parallel, boolean onDevice) {
        return new ParallelGenerator(model, params, parallel, onDevice);
    }

    private static void freeSamplers(MemorySegment[] chains) {
        for (MemorySegment c : chains) {
            if (c != null) {
                llama_h.llama_sampler_free(c);
            }
        }
    }

    public int parallel() {
        return parallel;
    }

    public Session.Params params() {
        return params;
    }

    /** How attention reads the KV cache, as {@link Session#kvPath()} says it for a session. */
    public KvPath kvPath() {
        return LlamaLog.kvConversions() > kvConversionsAtOpen ? KvPath.CONVERTED : kvPath;
    }

    /** Whether llama.cpp rotated the quantized K/V, as {@link Session#kvRotation()} says it for a session. */
    public String kvRotation() {
        return kvRotation;
    }

    /** Tokens each sequence holds (prompt plus new tokens), as llama.cpp allocated it. */
    public int contextSizePerSequence() {
        return nCtxSeq;
    }

    /** Runs every request; results in request order. */
    public Run generate(List<Request> requests) {
        return generate(requests, null, 0);
    }

    /**
     * Runs every request, at most {@link #parallel()} at a time, as slots free up, in {@link #admissionOrder}. {@code listener}
     * (may be null) hears each result as soon as it is done and, every {@code progressMillis} (0: none), how far the
     * run is. Requests are checked before anything runs: a prompt that does not fit a sequence with its max tokens,
     * or a token outside the vocabulary, is refused with the request's number.
     */
    public Run generate(List<Request> requests, Listener listener, long progressMillis) {
        MemorySegment c = handle();
        int vocabSize = model.vocabSize();
        for (int i = 0; i < requests.size(); i++) {
            Request r = requests.get(i);
            long needed = (long) r.prompt().length + r.options().maxTokens() - 1;
            if (needed > nCtxSeq) {
                throw new CtxbenchException("request " + i + ": the prompt (" + r.prompt().length + " tokens) plus "
                        + r.options().maxTokens() + " new tokens needs " + needed + " positions but each sequence holds "
                        + nCtxSeq + ": raise the context size or lower max tokens");
            }
            for (int t : r.prompt()) {
                if (t < 0 || t >= vocabSize) {
                    throw new CtxbenchException("request " + i + ": prompt token id " + t + " is outside the vocabulary (0.."
                            + (vocabSize - 1) + ")");
                }
            }
        }
        Listener hear = listener != null ? listener : new Listener() {
        };
        long progressNs = progressMillis * 1_000_000L;
        MemorySegment memory = llama_h.llama_get_memory(c);
        llama_h.llama_memory_clear(memory, true);
        Seq[] slots = new Seq[parallel];
        Result[] results = new Result[requests.size()];
        int[] order = admissionOrder(requests, parallel);
        int next = 0;
        int done = 0;
        int calls = 0;
        long promptTokens = 0;
        long generated = 0;
        long[] phaseNs = new long[2];
        int decodeSteps = 0;
        long decodeRows = 0;
        long inGraph = 0;
        Placement pl = model.params().placement();
        Watchdog dog = pl.usesRpc() ? Watchdog.start("generation over RPC " + pl.rpcServers(), pl.rpcTimeoutSeconds()) : null;
        long heap0 = ProcessMemory.threadAllocatedBytes();
        long t0 = System.nanoTime();
        long lastReport = t0;
        long lastGenerated = 0;
        try {
            while (done < results.length) {
                long now = System.nanoTime();
                for (int s = 0; s < parallel && next < results.length; s++) {
                    if (slots[s] == null) {
                        slots[s] = new Seq(order[next], next, requests.get(order[next]), t0, now);
                        next++;
                    }
                }
                // ---- one step: a prompt chunk of the oldest sequence still prefilling, alone in its call, then one
                // token of every decoding sequence in one call; each sequence with an output row chooses its token ----
                for (int phase = 0; phase < 2; phase++) {
                    int n = phase == 0 ? prefillChunk(slots) : decodeTokens(slots);
                    if (phase == 0) {
                        promptTokens += n;
                    }
                    if (n == 0) {
                        continue;
                    }
                    long p0 = System.nanoTime();
                    if (phase == 1) {
                        decodeSteps++;
                        decodeRows += n;
                    }
                    llama_batch.n_tokens(batch, n);
                    int rc = llama_h.llama_decode(c, batch);
                    if (rc != 0) {
                        throw decodeFailed(rc, calls);
                    }
                    calls++;
                    if (dog != null) {
                        dog.tick();
                    }
                    for (int s = 0; s < parallel; s++) {
                        Seq q = slots[s];
                        if (q == null || q.outputRow < 0) {
                            continue;
                        }
                        int tok = samplers.length > 0 ? llama_h.llama_get_sampled_token_ith(c, q.outputRow) : -1;
                        if (tok < 0) {
                            tok = argmax(llama_h.llama_get_logits_ith(c, q.outputRow), vocabSize);
                        } else {
                            inGraph++;
                        }
                        q.outputRow = -1;
                        if (q.firstNs == 0) {
                            q.firstNs = System.nanoTime();
                            // its prompt is in the cache and its first token chosen: evict before that token is decoded
                            q.kept = params.kvEviction().apply(memory, s, q.prompt.length, null);
                        }
                        if (accept(q, tok)) {
                            generated += q.count;
                            Result r = q.result(model, System.nanoTime());
                            results[q.index] = r;
                            if (!llama_h.llama_memory_seq_rm(memory, s, -1, -1)) {
                                throw new CtxbenchException("llama.cpp could not free the cache of sequence " + s);
                            }
                            slots[s] = null;
                            done++;
                            hear.finished(q.index, r);
                        }
                    }
                    phaseNs[phase] += System.nanoTime() - p0;
                }
                // ---- end of step ----
                long t = System.nanoTime();
                if (progressNs > 0 && t - lastReport >= progressNs) {
                    long sofar = generated;
                    int inFlight = 0;
                    for (Seq q : slots) {
                        if (q != null) {
                            sofar += q.count;
                            inFlight++;
                        }
                    }
                    hear.progress(new Progress(done, results.length, inFlight, promptTokens, sofar, t - t0,
                            (sofar - lastGenerated) * 1e9 / (t - lastReport), sofar * 1e9 / (t - t0)));
                    lastReport = t;
                    lastGenerated = sofar;
                }
            }
            long wall = System.nanoTime() - t0;
            return new Run(List.of(results), wall, calls, promptTokens, generated,
                    ProcessMemory.threadAllocatedBytes() - heap0, phaseNs[0], phaseNs[1], decodeSteps, decodeRows, inGraph);
        } finally {
            if (dog != null) {
                dog.close();
            }
            if (done < results.length) {
                llama_h.llama_memory_clear(memory, true);   // a failed run leaves nothing behind for the next
            }
        }
    }

    /**
     * The order requests take slots: window by window of {@link #ADMISSION_WINDOW} x {@code parallel} requests (in
     * request order), longest first within a window (prompt plus max new tokens; ties in request order). A decode
     * step's attention spans, in every sequence's stream, as many cells as the longest sequence in flight holds
     * (llama.cpp sizes the step's KV view by the largest stream), so sequences of like lengths should run together; and
     * the longest should not start last, which would leave a tail of few sequences. The window bounds how far a
     * request can be overtaken, so results finishing out of order wait only so long for those before them.
     */
    static int[] admissionOrder(List<Request> requests, int parallel) {
        Integer[] o = new Integer[requests.size()];
        Arrays.setAll(o, i -> i);
        int w = ADMISSION_WINDOW * parallel;
        for (int from = 0; from < o.length; from += w) {
            Arrays.sort(o, from, Math.min(o.length, from + w), java.util.Comparator.comparingInt(
                    (Integer i) -> requests.get(i).prompt().length + requests.get(i).options().maxTokens()).reversed());
        }
        return Arrays.stream(o).mapToInt(Integer::intValue).toArray();
    }

    /** Requests sorted together for {@link #admissionOrder}, in multiples of the sequences in flight. */
    static final int ADMISSION_WINDOW = 4;

    /**
     * Puts the next prompt chunk of the oldest sequence still prefilling into the batch, alone: n_batch tokens from
     * where it stands, so its chunks start where {@link Session#generate}'s do; the last prompt token gets an output
     * row. Returns the batch size (0: no sequence is prefilling).
     */
    private int prefillChunk(Seq[] slots) {
        if (packedPrefill) {
            return packedPrefillChunk(slots);
        }
        int s = -1;
        for (int i = 0; i < parallel; i++) {
            Seq q = slots[i];
            if (q != null && q.prefilled < q.prompt.length && (s < 0 || q.admission < slots[s].admission)) {
                s = i;
            }
        }
        if (s < 0) {
            return 0;
        }
        Seq q = slots[s];
        int n = Math.min(nBatch, q.prompt.length - q.prefilled);
        for (int i = 0; i < n; i++) {
            int p = q.prefilled + i;
            put(i, q.prompt[p], p, s, p == q.prompt.length - 1);
        }
        q.prefilled += n;
        q.outputRow = q.prefilled == q.prompt.length ? n - 1 : -1;
        return n;
    }

    /**
     * The greedy choice over one output row: the first highest logit, as llama.cpp's greedy sampler picks it (a strict
     * comparison from token 0 up), read in place from llama.cpp's logits buffer; no token array is built per row.
     */
    static int argmax(MemorySegment logitsRow, int vocabSize) {
        MemorySegment l = logitsRow.reinterpret((long) vocabSize * Float.BYTES);
        int best = 0;
        float max = l.getAtIndex(ValueLayout.JAVA_FLOAT, 0);
        for (int i = 1; i < vocabSize; i++) {
            float v = l.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            if (v > max) {
                max = v;
                best = i;
            }
        }
        return best;
    }

    /**
     * On a GPU: the prompts still prefilling share the call, in slot order, each from where it stands, up to n_batch
     * tokens in all; llama.cpp splits them into micro-batches with an equal share per sequence, taking sequences of
     * consecutive ids together (as llama-batched-bench's prefill; with one KV stream per sequence it needs increasing
     * ids). Each prompt that ends in it gets an output row.
     */
    private int packedPrefillChunk(Seq[] slots) {
        int n = 0;
        for (int s = 0; s < parallel && n < nBatch; s++) {
            Seq q = slots[s];
            if (q == null || q.prefilled == q.prompt.length) {
                continue;
            }
            int k = Math.min(nBatch - n, q.prompt.length - q.prefilled);
            for (int i = 0; i < k; i++) {
                int p = q.prefilled + i;
                put(n + i, q.prompt[p], p, s, p == q.prompt.length - 1);
            }
            q.prefilled += k;
            if (q.prefilled == q.prompt.length) {
                q.outputRow = n + k - 1;
            }
            n += k;
        }
        return n;
    }

    /** Puts the token each decoding sequence chose last into the batch, in slot order, each with an output row. */
    private int decodeTokens(Seq[] slots) {
        int n = 0;
        for (int s = 0; s < parallel; s++) {
            Seq q = slots[s];
            if (q != null && q.pending >= 0) {
                q.outputRow = n;
                put(n++, q.pending, q.kept + q.count - 1, s, true);
            }
        }
        return n;
    }

    /** Writes batch entry {@code i}: one token of sequence {@code seq} at {@code pos}. */
    private void put(int i, int token, int pos, int seq, boolean output) {
        tokenBuf.setAtIndex(ValueLayout.JAVA_INT, i, token);
        posBuf.setAtIndex(ValueLayout.JAVA_INT, i, pos);
        seqIdPtrs.setAtIndex(ValueLayout.ADDRESS, i, seqId[seq]);
        outputBuf.set(ValueLayout.JAVA_BYTE, i, (byte) (output ? 1 : 0));
    }

    /**
     * Takes a chosen token as {@link Session#generate} does: true when the sequence is done (end of generation, a
     * stop string, max tokens), else the token waits to be decoded in the next step.
     */
    private boolean accept(Seq q, int tok) {
        q.pending = -1;
        if (!q.options.ignoreEos() && llama_h.llama_vocab_is_eog(vocab, tok)) {
            q.reason = StopReason.END_OF_GENERATION;
            return true;
        }
        q.out[q.count] = tok;
        if (q.stops.length > 0) {
            int n = llama_h.llama_token_to_piece(vocab, tok, pieceBuf, PIECE_CAP, 0, false);
            if (n > 0) {
                if (q.textLen + n > q.text.length) {
                    q.text = Arrays.copyOf(q.text, Math.max(q.text.length * 2, q.textLen + n));
                }
                MemorySegment.copy(pieceBuf, ValueLayout.JAVA_BYTE, 0, q.text, q.textLen, n);
                q.textLen += n;
                int at = Session.findStop(q.text, q.textLen, n + q.maxStop, q.stops);
                if (at >= 0) {
                    q.textLen = at;
                    q.count++;
                    q.reason = StopReason.STOP_STRING;
                    return true;
                }
            }
        }
        q.count++;
        if (q.count == q.out.length) {
            q.reason = StopReason.MAX_TOKENS;
            return true;
        }
        q.pending = tok;
        return false;
    }

    /** A request in a slot: its prompt, how much of it is in the cache, the tokens and text chosen so far. */
    private static final class Seq {
        final int index;
        final int admission;   // place in the admission order: the oldest prefills first
        final int[] prompt;
        final GenerationOptions options;
        final byte[][] stops;
        final int maxStop;
        final int[] out;
        final long waitNs;
        final long admittedNs;
        byte[] text;
        int textLen;
        int count;
        int prefilled;
        int kept;             // prompt tokens left in the cache after eviction: the first generated token's position
        int pending = -1;     // chosen, not yet decoded
        int outputRow = -1;   // batch index of this sequence's logits in the current step
        long firstNs;
        StopReason reason;

        Seq(int index, int admission, Request r, long startNs, long now) {
            this.index = index;
            this.admission = admission;
            this.prompt = r.prompt();
            this.kept = prompt.length;
            this.options = r.options();
            this.stops = options.stopStrings().stream().map(s -> s.getBytes(StandardCharsets.UTF_8)).toArray(byte[][]::new);
            int m = 0;
            for (byte[] s : stops) {
                m = Math.max(m, s.length);
            }
            this.maxStop = m;
            this.out = new int[options.maxTokens()];
            this.text = new byte[stops.length > 0 ? Math.max(64, options.maxTokens() * 8) : 0];
            this.waitNs = now - startNs;
            this.admittedNs = now;
        }

        Result result(Model model, long now) {
            int[] tokens = Arrays.copyOf(out, count);
            String s = stops.length > 0
                    ? new String(text, 0, textLen, StandardCharsets.UTF_8)
                    : model.detokenize(tokens, 0, count, false);
            return new Result(tokens, s, reason, prompt.length, waitNs, firstNs - admittedNs, now - admittedNs);
        }
    }

    private static CtxbenchException decodeFailed(int rc, int step) {
        String what = switch (rc) {
            case 1 -> "no KV cache slot for the batch (context full)";
            case 2 -> "aborted";
            case -1 -> "invalid batch";
            default -> "error code " + rc;
        };
        return new CtxbenchException("llama_decode failed at parallel step " + step + ": " + what + LlamaLog.lastErrorHint());
    }

    private MemorySegment handle() {
        if (ctx == null) {
            throw new IllegalStateException("parallel generator is closed");
        }
        return ctx;
    }

    @Override
    public void close() {
        if (ctx != null) {
            llama_h.llama_free(ctx);
            ctx = null;
            freeSamplers(samplers);   // after the context, which uses them until it is freed
            arena.close();
        }
    }
}
