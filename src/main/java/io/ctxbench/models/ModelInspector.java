package io.ctxbench.models;

import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.KvCacheType;
import io.ctxbench.gguf.GgmlType;
import io.ctxbench.gguf.GgufArray;
import io.ctxbench.gguf.GgufFile;
import io.ctxbench.gguf.GgufValue;
import io.ctxbench.gguf.ModelShape;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a model is, read from its GGUF metadata and tensor infos without loading any weights (or from a catalog shape,
 * without any file), and the study's memory formula.
 *
 * <h2>Memory formula</h2>
 * For a context of {@code C} prompt tokens and {@code M} new tokens, with KV cache type {@code t}:
 * <pre>
 *   weights = sum of the tensor data bytes of the file (what llama_model_size reports)
 *   kv      = (C + M) x kv_bytes_per_token(t),
 *             kv_bytes_per_token(t) = n_layer x (row_bytes(t, n_head_kv x head_dim_k) + row_bytes(t, n_head_kv x head_dim_v))
 *   logits  = n_vocab x 4 bytes (F32) x n_outputs, n_outputs = 1 (generation keeps the logits of the last position only)
 *   total   = weights + kv + logits
 * </pre>
 * Not included: llama.cpp's compute buffers (activations of one micro-batch, a few hundred MB for an 8B model at
 * n_ubatch 512), the CUDA context and allocator slack; these make the measured device memory somewhat larger. llama.cpp
 * may also pad the KV cache to a multiple of 256 cells.
 */
public final class ModelInspector {

    private ModelInspector() {
    }

    /** KV bytes per token for one cache type. */
    public record KvPerToken(String type, long bytesPerToken) {
    }

    /** The memory formula evaluated; all terms in bytes. */
    public record MemoryEstimate(int contextTokens, int newTokens, String kvType, long weightsBytes, long kvBytes,
                                 long logitsBytes, long totalBytes) {
    }

    /** Everything {@code models inspect} shows. */
    public record Report(String source, String architecture, String name, long fileBytes, int layers, int embedding,
                         int feedForward, int heads, int headsKv, int headDimK, int headDimV, int vocabSize,
                         int contextLength, long parameters, long tensorBytes, double bitsPerWeight,
                         Map<String, Long> tensorBytesByType, String tokenizerModel, String tokenizerPre,
                         boolean chatTemplate, String chatTemplateFirstLine, Map<String, Boolean> flags,
                         Map<String, Long> kvBytesPerToken) {

        public long kvBytesPerToken(KvCacheType t) {
            return ModelInspector.kvBytesPerToken(layers, headsKv, headDimK, headDimV, t, t);
        }

        /** The study's formula for {@code context + newTokens} tokens with a K and V cache of {@code kv}. */
        public MemoryEstimate estimate(int context, int newTokens, KvCacheType kv) {
            return estimate(context, newTokens, kv, kv);
        }

        /** The same with a K cache of {@code k} and a V cache of {@code v} (kvType "k/v" when they differ). */
        public MemoryEstimate estimate(int context, int newTokens, KvCacheType k, KvCacheType v) {
            if (context < 0 || newTokens < 0) {
                throw new CtxbenchException("context and new tokens must be >= 0");
            }
            long tokens = (long) context + newTokens;
            long kvBytes = Math.multiplyExact(tokens, ModelInspector.kvBytesPerToken(layers, headsKv, headDimK, headDimV, k, v));
            long logits = (long) vocabSize * Float.BYTES;
            return new MemoryEstimate(context, newTokens, k == v ? k.label() : k.label() + "/" + v.label(), tensorBytes,
                    kvBytes, logits, tensorBytes + kvBytes + logits);
        }
    }

    public static long kvBytesPerToken(int layers, int headsKv, int headDimK, int headDimV, KvCacheType k, KvCacheType v) {
        return (long) layers * (k.rowBytes((long) headsKv * headDimK) + v.rowBytes((long) headsKv * headDimV));
    }

    /** Reads a GGUF (validated; weights untouched). */
    public static Report inspect(Path file) {
        GgufFile f = Quantizer.open(file, "model");
        return inspect(f);
    }

    public static Report inspect(GgufFile f) {
        try {
            String arch = f.architecture();
            int layers = f.getInt(arch + ".block_count");
            int embd = f.getInt(arch + ".embedding_length");
            int ff = firstInt(f, arch + ".feed_forward_length");
            int heads = firstInt(f, arch + ".attention.head_count");
            int headsKv = f.has(arch + ".attention.head_count_kv") ? firstInt(f, arch + ".attention.head_count_kv") : heads;
            int hk = (int) f.getLong(arch + ".attention.key_length", heads > 0 ? embd / heads : 0);
            int hv = (int) f.getLong(arch + ".attention.value_length", hk);
            int vocab = f.has("tokenizer.ggml.tokens") ? f.getArray("tokenizer.ggml.tokens").length()
                    : (int) f.getLong(arch + ".vocab_size", 0);
            int ctx = (int) f.getLong(arch + ".context_length", 0);
            String tmpl = f.getString("tokenizer.chat_template", null);
            Map<String, Long> byType = new LinkedHashMap<>();
            for (Map.Entry<GgmlType, Long> e : f.tensorBytesByType().entrySet()) {
                byType.put(e.getKey().name(), e.getValue());
            }
            Map<String, Boolean> flags = new LinkedHashMap<>();
            for (String k : new String[] {"ctxbench.synthetic", "ctxbench.sparse", "ctxbench.pruned"}) {
                flags.put(k.substring(9), f.value(k).map(v -> v.type() == io.ctxbench.gguf.GgufValueType.BOOL && v.asBoolean()).orElse(false));
            }
            long params = f.parameterCount();
            long bytes = f.totalTensorBytes();
            return new Report(f.path().toString(), arch, f.getString("general.name", ""), f.fileSize(), layers, embd, ff,
                    heads, headsKv, hk, hv, vocab, ctx, params, bytes, params == 0 ? 0 : bytes * 8.0 / params, byType,
                    f.getString("tokenizer.ggml.model", null), f.getString("tokenizer.ggml.pre", null), tmpl != null,
                    tmpl == null ? null : firstLine(tmpl), flags, kvTable(layers, headsKv, hk, hv));
        } catch (CtxbenchException | ArithmeticException e) {
            throw new CtxbenchException("cannot inspect " + f.path() + ": " + e.getMessage(), e);
        }
    }

    /** A catalog shape, as if synthesized with 2-D weights of {@code weights} (norms F32); no file needed. */
    public static Report inspect(ModelShape s, GgmlType weights) {
        long bytes = s.tensorBytes(weights);
        long params = s.parameterCount();
        Map<String, Long> byType = new LinkedHashMap<>();
        long norms = 0;
        for (ModelShape.Tensor t : s.tensors()) {
            if (t.norm()) {
                norms += t.nElements() * 4;
            }
        }
        byType.put(GgmlType.F32.name(), norms);
        byType.merge(weights.name(), bytes - norms, Long::sum);
        Map<String, Boolean> flags = new LinkedHashMap<>();
        flags.put("synthetic", true);
        return new Report("shape:" + s.name(), s.arch(), s.name(), -1, s.nLayer(), s.nEmbd(), s.nFf(), s.nHead(),
                s.nHeadKv(), s.headDim(), s.headDim(), s.nVocab(), s.contextLength(), params, bytes, bytes * 8.0 / params,
                byType, null, null, s.chatTemplate() != null, s.chatTemplate(), flags,
                kvTable(s.nLayer(), s.nHeadKv(), s.headDim(), s.headDim()));
    }

    private static Map<String, Long> kvTable(int layers, int headsKv, int hk, int hv) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (KvCacheType t : KvCacheType.values()) {
            try {
                m.put(t.label(), kvBytesPerToken(layers, headsKv, hk, hv, t, t));
            } catch (CtxbenchException e) {
                m.put(t.label(), null); // row width not a multiple of the block size: llama.cpp cannot use this type
            }
        }
        return m;
    }

    /** A scalar, or the first element of a per-layer array (some architectures vary the value by layer). */
    private static int firstInt(GgufFile f, String key) {
        GgufValue v = f.value(key).orElseThrow(() -> new CtxbenchException("missing key '" + key + "'"));
        if (v.type() == io.ctxbench.gguf.GgufValueType.ARRAY) {
            GgufArray a = v.asArray();
            if (a.length() == 0) {
                throw new CtxbenchException("key '" + key + "' is an empty array");
            }
            long max = 0;
            for (long x : a.longs()) {
                max = Math.max(max, x);
            }
            return (int) max;
        }
        return (int) v.asLong();
    }

    private static String firstLine(String s) {
        String t = s.strip();
        int nl = t.indexOf('\n');
        String l = nl < 0 ? t : t.substring(0, nl);
        return l.length() > 120 ? l.substring(0, 117) + "..." : l;
    }
}
