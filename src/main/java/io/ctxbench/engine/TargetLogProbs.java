package io.ctxbench.engine;

import io.ctxbench.llama.ffi.ggml_tensor;
import io.ctxbench.llama.ffi.llama_h;
import io.ctxbench.llama.ffi.llama_sampler_data;
import io.ctxbench.llama.ffi.llama_sampler_i;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The log-probability of a given next token at every output row, computed in llama.cpp's graph where the logits are
 * (on a GPU: no vocabulary-wide rows copied to the host and reduced there). A custom sampler for llama.cpp's backend
 * sampling interface ([EXPERIMENTAL] in llama.h: {@code llama_sampler_i.backend_apply}), written in Java: when the
 * graph is built it adds, for the micro-batch's output rows of sequence 0 at once, softmax over the vocabulary,
 * the probability at {@code row x n_vocab + target} (a row-gather from the flattened probabilities, the targets an
 * input tensor set before each micro-batch runs), clamped to at least FLT_MIN, and its log: one float a row, all of
 * them handed to llama.cpp as the sampled logits of the micro-batch's first output row (the other rows get none), so
 * one vector is copied out per micro-batch ({@code llama_get_sampled_logits_ith} of the first output, its length from
 * {@code llama_get_sampled_logits_count_ith}) instead of a vocabulary's worth of logits per row. A probability below
 * FLT_MIN (self-information above 87.3 nats) reads as 87.3.
 *
 * <p>A {@link Session} opened with one ({@link Session#open(Model, Session.Params, TargetLogProbs)}) hands its
 * evaluate consumers rows of one float; {@link #expect} says which tokens the next output rows predict. Lives as long
 * as the session it was given to and is closed after it. Not thread-safe.
 */
public final class TargetLogProbs implements AutoCloseable {
    private static final float FLT_MIN = Float.MIN_NORMAL;
    private final Arena arena = Arena.ofShared();   // upcall stubs and the interface struct; llama.cpp calls in on the decoding thread
    private final MemorySegment chain;
    private final MemorySegment hostTargets;
    private final int capacity;
    private long vocab;
    // the targets: tokens[from], tokens[from + 1], ... up to `to` (exclusive), handed out in order since the last expect
    private int[] tokens = new int[0];
    private int from;
    private int to;
    private int cursor;      // targets handed out before the current decode
    private int rowFirst;    // the current decode's output rows rowFirst .. rowFirst + rowCount - 1 take the next targets
    private int rowCount;
    private int rowsSeen;    // output rows of the current decode's micro-batches set so far
    // the graph now built: its target input, its result, its rows, the next row to hand out
    private MemorySegment input = MemorySegment.NULL;
    private MemorySegment result = MemorySegment.NULL;
    private long rows;
    private long nextRow;

    /** @param capacity the most output rows one micro-batch has (the session's n_batch) */
    public TargetLogProbs(int capacity) {
        NativeLibrary.ensureLoaded();
        this.capacity = capacity;
        this.hostTargets = arena.allocate(ValueLayout.JAVA_INT, capacity);
        MemorySegment iface = llama_sampler_i.allocate(arena);
        llama_sampler_i.name(iface, llama_sampler_i.name.allocate(s -> NAME, arena));
        llama_sampler_i.apply(iface, llama_sampler_i.apply.allocate((s, cur) -> { }, arena));   // host sampling: unused
        llama_sampler_i.backend_init(iface, llama_sampler_i.backend_init.allocate((s, buft, n) -> true, arena));
        llama_sampler_i.backend_apply(iface, llama_sampler_i.backend_apply.allocate((s, ctx, gf, data) -> {
            try {
                apply(ctx, data);
            } catch (Throwable t) {   // an exception must not leave an upcall (the JVM would stop): Session reports it
                failure = t;
            }
        }, arena));
        llama_sampler_i.backend_set_input(iface, llama_sampler_i.backend_set_input.allocate(s -> {
            try {
                setInput();
            } catch (Throwable t) {
                failure = t;
            }
        }, arena));
        llama_sampler_i.backend_reset(iface, llama_sampler_i.backend_reset.allocate(s -> reset(), arena));
        MemorySegment sampler = llama_h.llama_sampler_init(iface, MemorySegment.NULL);
        this.chain = llama_h.llama_sampler_chain_init(llama_h.llama_sampler_chain_default_params(arena));
        llama_h.llama_sampler_chain_add(chain, sampler);   // the chain owns it (its ctx is NULL: nothing to free)
    }

    private static final MemorySegment NAME = Arena.global().allocateFrom("ctxbench-target-logprob");

    /** The sampler chain to give llama.cpp for sequence 0. */
    MemorySegment chain() {
        return chain;
    }

    int capacity() {
        return capacity;
    }

    /**
     * The target rows of the next decodes predict {@code tokens[from]}, {@code tokens[from + 1]}, ... up to {@code to}
     * (exclusive; rows past it get token 0), in order; {@link Session} says before each decode which rows those are.
     */
    public void expect(int[] tokens, int from, int to) {
        this.tokens = tokens;
        this.from = from;
        this.to = to;
        this.cursor = 0;
        this.rowCount = 0;
    }

    /**
     * Of the next decode's output rows (over its micro-batches, in order), rows {@code first .. first + count - 1} take
     * the next {@code count} targets; the others are no target's (token 0, their values unread).
     */
    void rows(int first, int count) {
        cursor += rowCount;
        rowFirst = first;
        rowCount = count;
        rowsSeen = 0;
    }

    private void reset() {
        input = MemorySegment.NULL;
        result = MemorySegment.NULL;
        rows = 0;
        nextRow = 0;
    }

    /** What went wrong in a callback from llama.cpp since the last call, or null; clears it. */
    Throwable takeFailure() {
        Throwable t = failure;
        failure = null;
        return t;
    }

    private Throwable failure;

    private void apply(MemorySegment ctx, MemorySegment data) {
        MemorySegment logits = llama_sampler_data.logits(data).reinterpret(ggml_tensor.sizeof());
        if (result.equals(MemorySegment.NULL)) {
            vocab = ggml_tensor.ne(logits, 0);
            MemorySegment all = logits;
            rows = 1;
            MemorySegment src = ggml_tensor.view_src(logits);
            if (!src.equals(MemorySegment.NULL)) {
                // a row of llama.cpp's logits for the micro-batch (padded by one dummy row): take every row at once
                src = src.reinterpret(ggml_tensor.sizeof());
                rows = ggml_tensor.ne(src, 1) - 1;
                all = llama_h.ggml_view_2d(ctx, src, vocab, rows, ggml_tensor.nb(src, 1), ggml_tensor.view_offs(logits));
            }
            if (rows > capacity) {   // Session.open makes capacity >= n_batch, which bounds a micro-batch's rows
                throw new IllegalStateException(rows + " output rows in a micro-batch, more than " + capacity);
            }
            MemorySegment probs = llama_h.ggml_soft_max(ctx, all);
            MemorySegment flat = llama_h.ggml_reshape_2d(ctx, probs, 1, vocab * rows);
            input = llama_h.ggml_new_tensor_1d(ctx, llama_h.GGML_TYPE_I32(), rows);
            llama_h.ggml_set_input(input);
            MemorySegment picked = llama_h.ggml_get_rows(ctx, flat, input);
            result = llama_h.ggml_log(ctx, llama_h.ggml_clamp(ctx, picked, FLT_MIN, 1f));
            nextRow = 0;
        }
        // llama.cpp asks once per output row, hands each row a view of its logits as the result and copies whatever
        // result a row has to the host; the micro-batch's first row carries all rows' values (rows <= n_batch floats,
        // within a row's n_vocab stride), the others get none (left with the view, each would copy n_vocab floats):
        // one copy and one read per micro-batch (SessionTest.onlyTheFirstOutputRowIsCopiedOut)
        llama_sampler_data.logits(data, nextRow++ == 0 ? result : MemorySegment.NULL);
    }

    private void setInput() {
        for (int i = 0; i < rows; i++) {
            int g = rowsSeen + i - rowFirst;   // which of the decode's target rows this is, if it is one
            int k = g >= 0 && g < rowCount ? from + cursor + g : Integer.MAX_VALUE;
            int t = k < to && k < tokens.length ? tokens[k] : 0;
            hostTargets.setAtIndex(ValueLayout.JAVA_INT, i, (int) (i * vocab + t));
        }
        rowsSeen += (int) rows;
        llama_h.ggml_backend_tensor_set(input, hostTargets, 0, rows * Integer.BYTES);
    }

    @Override
    public void close() {
        llama_h.llama_sampler_free(chain);
        arena.close();
    }
}
