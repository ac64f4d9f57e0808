package io.ctxbench.gguf;

import io.ctxbench.CtxbenchException;

import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the pinned llama.cpp asserts on (aborting the process) when it loads or runs a model, checked on a parsed GGUF
 * before the native load, so that such a file ends in a message naming the key or tensor. Each check cites the code
 * it mirrors; {@link GgufFile#open} has already checked the format itself.
 */
public final class LoadChecks {
    /** LLAMA_MAX_LAYERS, src/llama-hparams.h. */
    public static final int MAX_LAYERS = 512;
    /** The tokenizer.ggml.model values llama_vocab::impl::load knows, less "none"/"no_vocab": no tokenizer at all. */
    static final List<String> TOKENIZERS = List.of("llama", "bert", "gpt2", "hybriddna", "whitespace", "t5", "rwkv",
            "test", "plamo2", "gemma4");
    /** Types without a vec_dot in ggml-cpu's type_traits_cpu: a matrix product or row lookup on them crashes. */
    private static final Set<GgmlType> NOT_COMPUTABLE = EnumSet.of(GgmlType.I8, GgmlType.I16, GgmlType.I32,
            GgmlType.I64, GgmlType.F64, GgmlType.Q8_1, GgmlType.Q8_K);

    private LoadChecks() {
    }

    /** What loading the weights needs: {@link #requireLayers}, {@link #requireNormEpsilons}, {@link #requireTensorTypes}. */
    public static void requireModel(GgufFile f) {
        requireLayers(f);
        requireNormEpsilons(f);
        requireTensorTypes(f);
    }

    /**
     * {@code <arch>.block_count} lies in 1..{@link #MAX_LAYERS} (llama_model_base::load_hparams asserts it) and
     * matches the layers whose tensors ({@code blk.N.*}) the file holds.
     */
    static void requireLayers(GgufFile f) {
        String key = f.architecture() + ".block_count";
        if (!f.has(key)) {
            return;   // llama.cpp says the key is missing, without aborting
        }
        long n = f.getLong(key);
        int present = 0;
        for (GgufTensorInfo t : f.tensors()) {
            present = Math.max(present, blockIndex(t.name()) + 1);
        }
        String have = present == 0 ? "the file has no layer tensors (blk.N.*)"
                : "the file has tensors for " + present + " layers (blk.0 to blk." + (present - 1) + ")";
        if (n < 1 || n > MAX_LAYERS) {
            throw fail(f, key + " is " + Long.toUnsignedString(n) + ", but llama.cpp loads 1 to " + MAX_LAYERS
                    + " layers; " + have);
        }
        if (present > 0 && n != present) {
            throw fail(f, key + " is " + n + ", but " + have);
        }
    }

    /** N of a tensor named {@code blk.N.*}, else -1. */
    private static int blockIndex(String name) {
        if (!name.startsWith("blk.")) {
            return -1;
        }
        int end = name.indexOf('.', 4);
        try {
            return end < 0 ? -1 : Integer.parseInt(name.substring(4, end));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Every {@code <arch>.*epsilon} is a finite number &gt;= 0: ggml's norm ops assert {@code eps >= 0.0f}
     * (ggml-cpu/ops.cpp), which a NaN fails, and an infinite one zeroes every activation.
     */
    static void requireNormEpsilons(GgufFile f) {
        String prefix = f.architecture() + ".";
        for (Map.Entry<String, GgufValue> e : f.metadata().entrySet()) {
            GgufValueType t = e.getValue().type();
            if (e.getKey().startsWith(prefix) && e.getKey().endsWith("epsilon")
                    && (t == GgufValueType.FLOAT32 || t == GgufValueType.FLOAT64)) {
                double eps = e.getValue().asDouble();
                if (!Double.isFinite(eps) || eps < 0) {
                    String shown = t == GgufValueType.FLOAT32 ? Float.toString((float) eps) : Double.toString(eps);
                    throw fail(f, e.getKey() + " is " + shown + ": a norm epsilon must be a finite number >= 0");
                }
            }
        }
    }

    /**
     * Every tensor has a type llama.cpp computes with: no integer, F64 or intermediate (Q8_1, Q8_K) type, and norm
     * weights and other 1-D tensors in F32, as every converter writes them: ggml's element-wise ops take an F32
     * operand with F32 activations only (ggml-cpu/binary-ops.cpp aborts on anything else).
     */
    static void requireTensorTypes(GgufFile f) {
        for (GgufTensorInfo t : f.tensors()) {
            if (NOT_COMPUTABLE.contains(t.type())) {
                throw fail(f, "tensor '" + t.name() + "' is stored as " + t.type()
                        + ", a type llama.cpp cannot compute with (weights are float or quantized)");
            }
            if ((t.nDims() == 1 || t.name().endsWith("norm.weight")) && t.type() != GgmlType.F32) {
                throw fail(f, "tensor '" + t.name() + "' is stored as " + t.type()
                        + ", but llama.cpp applies norm weights and 1-D tensors to F32 activations as F32 only");
            }
        }
    }

    /**
     * What loading the tokenizer needs (llama_vocab::impl::load): a tokenizer llama.cpp knows (not "none", which
     * leaves no tokenizer and aborts on the first tokenization), and token strings that are UTF-8 and distinct
     * (it asserts that every string maps to one id; an empty one counts as "[EMPTY_i]", as it renames it).
     */
    public static void requireVocab(GgufFile f) {
        String model = f.getString("tokenizer.ggml.model", null);
        if (model == null) {
            throw fail(f, "missing key 'tokenizer.ggml.model': the model has no tokenizer");
        }
        if (model.equals("none") || model.equals("no_vocab")) {
            throw fail(f, "tokenizer.ggml.model is '" + model + "': the model has no tokenizer to turn text into tokens");
        }
        if (!TOKENIZERS.contains(model)) {
            throw fail(f, "tokenizer.ggml.model '" + model + "' is not a tokenizer llama.cpp knows " + TOKENIZERS);
        }
        String key = "tokenizer.ggml.tokens";
        if (!f.has(key)) {
            return;   // llama.cpp says the vocab is missing, without aborting
        }
        f.invalidUtf8(key).ifPresent(i -> {
            throw fail(f, key + " element " + i + " is not valid UTF-8");
        });
        String[] tokens = f.getStringArray(key);
        Map<String, Integer> ids = new HashMap<>(tokens.length * 2);
        for (int i = 0; i < tokens.length; i++) {
            String s = tokens[i].isEmpty() ? "[EMPTY_" + i + "]" : tokens[i];
            Integer prev = ids.putIfAbsent(s, i);
            if (prev != null) {
                throw fail(f, key + " holds '" + s + "' twice (tokens " + prev + " and " + i
                        + "): llama.cpp needs every token string to be distinct");
            }
        }
    }

    private static CtxbenchException fail(GgufFile f, String msg) {
        return new CtxbenchException(msg + " : " + f.path());
    }
}
