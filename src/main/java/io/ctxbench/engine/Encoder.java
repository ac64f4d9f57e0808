package io.ctxbench.engine;

import io.ctxbench.CtxbenchException;
import io.ctxbench.llama.ffi.llama_batch;
import io.ctxbench.llama.ffi.llama_context_params;
import io.ctxbench.llama.ffi.llama_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * A context on an encoder (arch bert and its kin: bidirectional attention, no KV cache) that gives each token's final
 * hidden state: embeddings on, pooling none. Several sequences go through one llama_decode (llama.cpp encodes a batch
 * in one micro-batch, masking attention between sequences), each wrapped in the vocabulary's special tokens (XLM-R:
 * {@code <s> ... </s>}) and positioned from 0. Close it before the model. Not thread-safe.
 */
public final class Encoder implements AutoCloseable {

    /**
     * @param batchTokens  tokens a llama_decode takes, special tokens included (n_batch = n_ubatch)
     * @param maxSequences sequences a llama_decode takes (n_seq_max)
     * @param threads      CPU threads, 0 = one per physical core
     */
    public record Params(int batchTokens, int maxSequences, int threads) {
        public Params {
            if (batchTokens < 8 || maxSequences < 1 || maxSequences > 256) {
                throw new CtxbenchException("an encoder batch needs >= 8 tokens and 1..256 sequences, got " + batchTokens
                        + " and " + maxSequences);
            }
            threads = Threads.resolve(threads);
        }
    }

    /** Gets, token by token, the final hidden state ({@link #embeddingSize()} floats, reused buffer). */
    @FunctionalInterface
    public interface HiddenStates {
        /** Token {@code token} (0-based, special tokens not counted) of sequence {@code sequence} of the call. */
        void accept(int sequence, int token, float[] hidden);
    }

    private final Model model;
    private final Params params;
    private final Arena arena;
    private MemorySegment ctx;
    private final MemorySegment batch;
    private final MemorySegment tokenBuf;
    private final MemorySegment posBuf;
    private final MemorySegment outputBuf;
    private final MemorySegment seqIdPtrs;
    private final MemorySegment seqIds;
    private final int nEmbd;
    private final int maxPositions;
    private final int[] prefix;
    private final int[] suffix;
    private final float[] hidden;

    private Encoder(Model model, Params params) {
        MemorySegment m = model.handle();
        if (llama_h.llama_model_has_decoder(m) && !llama_h.llama_model_has_encoder(m)
                && !model.info().architecture().contains("bert")) {
            throw new CtxbenchException(model.params().path().getFileName() + " is a decoder (arch "
                    + model.info().architecture() + "); a token classifier needs an encoder such as arch bert");
        }
        this.model = model;
        this.params = params;
        this.nEmbd = llama_h.llama_model_n_embd_out(m);
        this.maxPositions = llama_h.llama_model_n_ctx_train(m);
        MemorySegment v = model.vocab();
        this.prefix = llama_h.llama_vocab_get_add_bos(v) ? new int[] {llama_h.llama_vocab_bos(v)} : new int[0];
        this.suffix = llama_h.llama_vocab_get_add_eos(v) ? new int[] {llama_h.llama_vocab_eos(v)}
                : llama_h.llama_vocab_get_add_sep(v) ? new int[] {llama_h.llama_vocab_sep(v)} : new int[0];
        this.hidden = new float[nEmbd];
        if (maxSequenceTokens() < 1) {
            throw new CtxbenchException(model.params().path().getFileName() + " takes " + maxPositions + " positions (batch "
                    + params.batchTokens() + "), no room for a token beside its " + specialTokens() + " special tokens");
        }
        LlamaLog.clear();
        Arena a = Arena.ofConfined();
        try {
            MemorySegment cp = llama_h.llama_context_default_params(a);
            llama_context_params.n_ctx(cp, params.batchTokens());
            llama_context_params.n_batch(cp, params.batchTokens());
            llama_context_params.n_ubatch(cp, params.batchTokens());
            llama_context_params.n_seq_max(cp, params.maxSequences());
            llama_context_params.n_threads(cp, params.threads());
            llama_context_params.n_threads_batch(cp, params.threads());
            llama_context_params.embeddings(cp, true);
            llama_context_params.pooling_type(cp, llama_h.LLAMA_POOLING_TYPE_NONE());
            llama_context_params.attention_type(cp, llama_h.LLAMA_ATTENTION_TYPE_NON_CAUSAL());
            llama_context_params.no_perf(cp, false);
            MemorySegment c = llama_h.llama_init_from_model(m, cp);
            if (c.equals(MemorySegment.NULL)) {
                throw new CtxbenchException("llama.cpp could not create an encoder context (batch " + params.batchTokens()
                        + " tokens, " + params.maxSequences() + " sequences)" + LlamaLog.lastErrorHint());
            }
            this.ctx = c;
            int n = params.batchTokens();
            this.batch = llama_batch.allocate(a);
            this.tokenBuf = a.allocate(ValueLayout.JAVA_INT, n);
            this.posBuf = a.allocate(ValueLayout.JAVA_INT, n);
            this.outputBuf = a.allocate(ValueLayout.JAVA_BYTE, n);
            this.seqIdPtrs = a.allocate(ValueLayout.ADDRESS, n);
            this.seqIds = a.allocate(ValueLayout.JAVA_INT, params.maxSequences());
            MemorySegment nSeq = a.allocate(ValueLayout.JAVA_INT, n);
            for (int i = 0; i < n; i++) {
                nSeq.setAtIndex(ValueLayout.JAVA_INT, i, 1);
                outputBuf.set(ValueLayout.JAVA_BYTE, i, (byte) 1);
            }
            for (int s = 0; s < params.maxSequences(); s++) {
                seqIds.setAtIndex(ValueLayout.JAVA_INT, s, s);
            }
            llama_batch.token(batch, tokenBuf);
            llama_batch.pos(batch, posBuf);
            llama_batch.n_seq_id(batch, nSeq);
            llama_batch.seq_id(batch, seqIdPtrs);
            llama_batch.logits(batch, outputBuf);
            this.arena = a;
            reserveOutputs();
        } catch (RuntimeException e) {
            if (ctx != null) {
                llama_h.llama_free(ctx);
            }
            a.close();
            throw e;
        }
    }

    /** Creates the encoder context on {@code model} (which stays owned by the caller). */
    public static Encoder open(Model model, Params params) {
        return new Encoder(model, params);
    }

    public Params params() {
        return params;
    }

    /** Floats in a hidden state. */
    public int embeddingSize() {
        return nEmbd;
    }

    /** Special tokens wrapped around each sequence (BOS/CLS before, EOS/SEP after, as the vocabulary asks). */
    public int specialTokens() {
        return prefix.length + suffix.length;
    }

    /** The longest sequence a call takes, special tokens excluded: the model's positions, at most one batch. */
    public int maxSequenceTokens() {
        return Math.min(maxPositions, params.batchTokens()) - specialTokens();
    }

    /**
     * Encodes {@code sequences} (token ids, no special tokens; each at most {@link #maxSequenceTokens()}) in one
     * llama_decode: together with their special tokens they must fit one batch, and there may be at most
     * {@code maxSequences} of them. {@code out} gets every token's hidden state, sequences in order.
     */
    public void encode(List<int[]> sequences, HiddenStates out) {
        MemorySegment c = handle();
        if (sequences.size() > params.maxSequences()) {
            throw new CtxbenchException(sequences.size() + " sequences in one encoder call, above its " + params.maxSequences());
        }
        int vocabSize = model.vocabSize();
        int n = 0;
        for (int s = 0; s < sequences.size(); s++) {
            int[] seq = sequences.get(s);
            if (seq.length > maxSequenceTokens()) {
                throw new CtxbenchException("a sequence of " + seq.length + " tokens is longer than the encoder takes ("
                        + maxSequenceTokens() + ")");
            }
            if (n + seq.length + specialTokens() > params.batchTokens()) {
                throw new CtxbenchException("the sequences of one encoder call exceed its batch of " + params.batchTokens() + " tokens");
            }
            MemorySegment sid = seqIds.asSlice((long) s * Integer.BYTES, Integer.BYTES);
            int pos = 0;
            for (int t : prefix) {
                n = put(n, t, pos++, sid);
            }
            for (int t : seq) {
                if (t < 0 || t >= vocabSize) {
                    throw new CtxbenchException("token id " + t + " is outside the vocabulary (0.." + (vocabSize - 1) + ")");
                }
                n = put(n, t, pos++, sid);
            }
            for (int t : suffix) {
                n = put(n, t, pos++, sid);
            }
        }
        if (n == 0) {
            return;
        }
        llama_batch.n_tokens(batch, n);
        int rc = llama_h.llama_decode(c, batch);
        if (rc != 0) {
            throw new CtxbenchException("llama.cpp could not encode " + n + " tokens (llama_decode returned " + rc + ")"
                    + LlamaLog.lastErrorHint());
        }
        MemorySegment all = llama_h.llama_get_embeddings(c);
        if (all.equals(MemorySegment.NULL)) {
            throw new CtxbenchException("llama.cpp returned no hidden states" + LlamaLog.lastErrorHint());
        }
        all = all.reinterpret((long) n * nEmbd * Float.BYTES);
        int row = 0;
        for (int s = 0; s < sequences.size(); s++) {
            row += prefix.length;
            int len = sequences.get(s).length;
            for (int k = 0; k < len; k++, row++) {
                MemorySegment.copy(all, ValueLayout.JAVA_FLOAT, (long) row * nEmbd * Float.BYTES, hidden, 0, nEmbd);
                out.accept(s, k, hidden);
            }
            row += suffix.length;
        }
    }

    /**
     * Encodes one full batch of filler tokens once. llama.cpp sizes a context's output buffer for a logits row per
     * output even when the model has no LM head (XLM-R: 250,048 floats a token, 2 GB at 2048 tokens), and grows it
     * (pinned host memory on a GPU node, cleared) whenever a call has more outputs than any before: 1-2 s on the H200
     * for a text whose last chunks happened to fill a batch further (issue 17's first runs). Done here, at open, the
     * growing happens once and no compression pays for it.
     */
    private void reserveOutputs() {
        List<int[]> fill = new java.util.ArrayList<>();
        int left = params.batchTokens();
        int filler = llama_h.llama_vocab_bos(model.vocab());
        filler = filler >= 0 && filler < model.vocabSize() ? filler : 0;
        while (left > specialTokens() && fill.size() < params.maxSequences()) {
            int len = Math.min(maxSequenceTokens(), left - specialTokens());
            if (len < 1) {
                break;
            }
            int[] seq = new int[len];
            java.util.Arrays.fill(seq, filler);
            fill.add(seq);
            left -= len + specialTokens();
        }
        encode(fill, (s, k, h) -> { });
    }

    private int put(int i, int token, int pos, MemorySegment seqId) {
        tokenBuf.setAtIndex(ValueLayout.JAVA_INT, i, token);
        posBuf.setAtIndex(ValueLayout.JAVA_INT, i, pos);
        seqIdPtrs.setAtIndex(ValueLayout.ADDRESS, i, seqId);
        return i + 1;
    }

    private MemorySegment handle() {
        if (ctx == null) {
            throw new IllegalStateException("encoder is closed");
        }
        return ctx;
    }

    @Override
    public void close() {
        if (ctx != null) {
            llama_h.llama_free(ctx);
            ctx = null;
            arena.close();
        }
    }
}
