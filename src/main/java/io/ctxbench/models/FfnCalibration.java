package io.ctxbench.models;

import io.ctxbench.engine.GgmlTensor;
import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.LlamaLog;
import io.ctxbench.engine.ModelFiles;
import io.ctxbench.engine.NativeLibrary;
import io.ctxbench.engine.Threads;
import io.ctxbench.llama.ffi.ggml_backend_sched_eval_callback;
import io.ctxbench.llama.ffi.llama_context_params;
import io.ctxbench.llama.ffi.llama_h;
import io.ctxbench.llama.ffi.llama_model_params;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * FFN neuron importance from activations, gathered through llama.cpp on a calibration text.
 *
 * <p>The context's {@code cb_eval} callback ({@code ggml_backend_sched_eval_callback}, the hook llama-imatrix uses)
 * asks for the tensors named {@code ffn_swiglu-<layer>} (llama.cpp's graph name for {@code silu(gate x) * up x}, the
 * input of {@code ffn_down}, shape [n_ff, n_tokens], F32). For each layer and neuron j the score is the root mean
 * square of that activation over all calibration tokens, as in Minitron's activation-based width importance (there:
 * mean over batch, L2 over the sequence). The model runs on the CPU (no offload), so tensor data is host memory.
 * The tensor's fields are read through {@link GgmlTensor}.
 */
final class FfnCalibration {
    static final String TENSOR_PREFIX = "ffn_swiglu-";

    private FfnCalibration() {
    }

    /** Per layer and neuron: RMS activation over the calibration tokens. */
    static double[][] importance(Path model, String text, int maxTokens, int nLayer, int nFf, int threads) {
        ModelFiles.checkGguf(model, false);   // this load bypasses Model.load
        NativeLibrary.ensureLoaded();
        double[][] sumSq = new double[nLayer][nFf];
        long[] count = new long[nLayer];
        String[] error = new String[1];
        LlamaLog.clear();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mp = llama_h.llama_model_default_params(arena);
            llama_model_params.n_gpu_layers(mp, 0);
            MemorySegment m = llama_h.llama_model_load_from_file(arena.allocateFrom(model.toString()), mp);
            if (m.equals(MemorySegment.NULL)) {
                throw new CtxbenchException("llama.cpp could not load " + model + " for calibration" + hint());
            }
            MemorySegment ctx = MemorySegment.NULL;
            try {
                MemorySegment vocab = llama_h.llama_model_get_vocab(m);
                MemorySegment toks = arena.allocateFrom(ValueLayout.JAVA_INT, Imatrix.tokenize(vocab, text, false, arena));
                int n = (int) Math.min(toks.byteSize() / Integer.BYTES, maxTokens);
                if (n < 8) {
                    throw new CtxbenchException("calibration text is too short (" + n + " tokens; give at least a paragraph)");
                }
                int batch = Math.min(n, 512);
                MemorySegment cb = ggml_backend_sched_eval_callback.allocate((tensor, ask, ud) -> {
                    GgmlTensor tt = new GgmlTensor(tensor);
                    String name = tt.name();
                    if (!name.startsWith(TENSOR_PREFIX)) {
                        return !ask ? true : false;
                    }
                    if (ask) {
                        return true;
                    }
                    try {
                        int layer = Integer.parseInt(name.substring(TENSOR_PREFIX.length()));
                        int type = tt.type();
                        long ne0 = tt.ne(0);
                        long ne1 = tt.ne(1);
                        long nb1 = tt.nb(1);
                        if (type != GgmlTensor.TYPE_F32 || ne0 != nFf || layer < 0 || layer >= nLayer) {
                            error[0] = "unexpected tensor " + name + " (type " + type + ", ne0 " + ne0 + ")";
                            return true;
                        }
                        MemorySegment data = tt.data(nb1 * ne1);
                        double[] acc = sumSq[layer];
                        for (long r = 0; r < ne1; r++) {
                            long base = r * nb1;
                            for (int j = 0; j < nFf; j++) {
                                float v = data.get(ValueLayout.JAVA_FLOAT, base + 4L * j);
                                acc[j] += (double) v * v;
                            }
                        }
                        count[layer] += ne1;
                    } catch (RuntimeException e) {
                        error[0] = e.toString();
                    }
                    return true;
                }, arena);
                ctx = observedContext(m, n, batch, batch, threads, cb, arena, "a calibration context");
                for (int off = 0; off < n; off += batch) {
                    int k = Math.min(batch, n - off);
                    MemorySegment b = llama_h.llama_batch_get_one(arena, toks.asSlice(4L * off), k);
                    int rc = llama_h.llama_decode(ctx, b);
                    if (rc != 0) {
                        throw new CtxbenchException("llama_decode failed (" + rc + ") during calibration" + hint());
                    }
                }
                llama_h.llama_synchronize(ctx);
            } finally {
                if (!ctx.equals(MemorySegment.NULL)) {
                    llama_h.llama_free(ctx);
                }
                llama_h.llama_model_free(m);
            }
        }
        if (error[0] != null) {
            throw new CtxbenchException("calibration failed: " + error[0]);
        }
        for (int l = 0; l < nLayer; l++) {
            if (count[l] == 0) {
                throw new CtxbenchException("calibration saw no " + TENSOR_PREFIX + l + " activations: this architecture's"
                        + " FFN is not a SwiGLU that llama.cpp names so; prune without --calibration (weight norms)");
            }
            for (int j = 0; j < nFf; j++) {
                sumSq[l][j] = Math.sqrt(sumSq[l][j] / count[l]);
            }
        }
        return sumSq;
    }

    /** The last llama.cpp errors as " (llama.cpp: ...)", or "". */
    /**
     * A context on the host that hands every tensor llama.cpp computes to {@code cb} (cb_eval; K/V and host ops kept
     * off the device, so each computed tensor is readable): for calibration and the importance matrix. Free it with
     * {@code llama_free}.
     */
    static MemorySegment observedContext(MemorySegment model, int nCtx, int nBatch, int nUbatch, int threads,
                                         MemorySegment cb, Arena arena, String what) {
        MemorySegment cp = llama_h.llama_context_default_params(arena);
        llama_context_params.n_ctx(cp, nCtx);
        llama_context_params.n_batch(cp, nBatch);
        llama_context_params.n_ubatch(cp, nUbatch);
        int th = Threads.resolve(threads);
        llama_context_params.n_threads(cp, th);
        llama_context_params.n_threads_batch(cp, th);
        llama_context_params.offload_kqv(cp, false);
        llama_context_params.op_offload(cp, false);
        llama_context_params.cb_eval(cp, cb);
        llama_context_params.cb_eval_user_data(cp, MemorySegment.NULL);
        MemorySegment ctx = llama_h.llama_init_from_model(model, cp);
        if (ctx.equals(MemorySegment.NULL)) {
            throw new CtxbenchException("llama.cpp could not create " + what + hint());
        }
        return ctx;
    }

    static String hint() {
        var e = LlamaLog.recentErrors();
        return e.isEmpty() ? "" : " (llama.cpp: " + String.join(" | ", e.subList(Math.max(0, e.size() - 3), e.size())) + ")";
    }
}
