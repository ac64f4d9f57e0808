package io.ctxbench.experiment;

import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.FlashAttention;
import io.ctxbench.engine.KvCacheType;
import io.ctxbench.engine.KvEviction;
import io.ctxbench.engine.KvRotation;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * An optimization method as data (the study's Table 1): which weights variant of the model it runs
 * ({@code weights}: f16, bf16, q4_k_m, pruned, pruned_q4_k_m, a {@link #LOW_BIT_WEIGHTS} type, or "given" for the file
 * as the user gave it), the K and V cache types (any pair), whether llama.cpp rotates the quantized K/V
 * ({@link KvRotation}; off only with a quantized K or V), the prompt compressor and its rate (original/compressed),
 * flash attention, and which prompt tokens the KV cache keeps after prefill ({@link KvEviction}, level 3). Its parts
 * apply in the study's order: token dropping, then pruning, then weight quantization, then KV quantization, then KV
 * eviction (after prefill, on the quantized cache) ({@link #pipeline()}).
 */
public record Method(String name, int level, String weights, KvCacheType kvK, KvCacheType kvV, KvRotation kvRotation,
                     String compressor, double rate, FlashAttention flashAttention, String about, KvEviction kvEviction) {

    /**
     * Weights quantized beyond the study (level 3), each the llama-quantize file type of its name, made with an
     * importance matrix from the built-in calibration text where the type uses one ({@link QuantizeVariants}).
     */
    public static final List<String> LOW_BIT_WEIGHTS = List.of("q8_0", "q6_k", "q5_k_m", "iq4_xs", "q3_k_m", "iq3_xxs",
            "q2_k", "iq2_xs");

    public static final Set<String> WEIGHTS = java.util.stream.Stream.concat(
            java.util.stream.Stream.of("given", "f16", "bf16", "q4_k_m", "pruned", "pruned_q4_k_m"), LOW_BIT_WEIGHTS.stream())
            .collect(java.util.stream.Collectors.toUnmodifiableSet());

    public Method {
        if (name == null || name.isBlank()) {
            throw new CtxbenchException("a method needs a name");
        }
        if (weights == null || !WEIGHTS.contains(weights)) {
            throw new CtxbenchException("method " + name + ": weights must be one of " + new java.util.TreeSet<>(WEIGHTS)
                    + ", got " + weights);
        }
        kvK = kvK == null ? KvCacheType.F16 : kvK;
        kvV = kvV == null ? KvCacheType.F16 : kvV;
        kvRotation = kvRotation == null ? KvRotation.ON : kvRotation;
        if (kvRotation == KvRotation.OFF && !kvK.quantized() && !kvV.quantized()) {
            throw new CtxbenchException("method " + name + ": kv_rotation off needs a quantized K or V cache (llama.cpp "
                    + "rotates only quantized K/V), got K " + kvK + ", V " + kvV);
        }
        compressor = compressor == null || compressor.isBlank() ? Compressors.NONE : compressor;
        if (!compressor.equals(Compressors.NONE) && !(rate > 1.0)) {
            throw new CtxbenchException("method " + name + ": a compressor needs a rate > 1 (original/compressed), got " + rate);
        }
        if (compressor.equals(Compressors.NONE)) {
            rate = 1.0;
        }
        kvEviction = kvEviction == null ? KvEviction.NONE : kvEviction;
        if (kvEviction.observesAttention() && kvV.quantized()) {
            throw new CtxbenchException("method " + name + ": kv_evict " + kvEviction.policy().label + " reads attention"
                    + " weights, which need flash attention off, and a quantized V cache needs it on");
        }
        flashAttention = flashAttention == null ? (kvV.quantized() ? FlashAttention.ON
                : kvEviction.observesAttention() ? FlashAttention.OFF : FlashAttention.AUTO) : flashAttention;
        if (kvV.quantized() && flashAttention == FlashAttention.OFF) {
            throw new CtxbenchException("method " + name + ": a quantized V cache needs flash attention on or auto");
        }
        if (kvEviction.observesAttention() && flashAttention != FlashAttention.OFF) {
            throw new CtxbenchException("method " + name + ": kv_evict " + kvEviction.policy().label + " reads attention"
                    + " weights, which llama.cpp computes only with flash_attention off");
        }
        about = about == null ? "" : about;
    }

    /** A method that keeps every cached token. */
    public Method(String name, int level, String weights, KvCacheType kvK, KvCacheType kvV, KvRotation kvRotation,
                  String compressor, double rate, FlashAttention flashAttention, String about) {
        this(name, level, weights, kvK, kvV, kvRotation, compressor, rate, flashAttention, about, KvEviction.NONE);
    }

    public boolean compresses() {
        return !compressor.equals(Compressors.NONE);
    }

    public boolean quantizesKv() {
        return kvK.quantized() || kvV.quantized();
    }

    /**
     * The method with another compressor (only compressed methods change). When it differs from the method's own,
     * the name gets the suffix {@code :ID} (FP16_c with the perplexity compressor is {@code FP16_c:perplexity}), so
     * runs and report rows with different compressors are told apart; the records also carry {@code compressor}.
     */
    public Method withCompressor(String id) {
        if (!compresses() || id.equals(compressor)) {
            return this;
        }
        if (id.equals(Compressors.NONE)) {
            throw new CtxbenchException("method " + name + " compresses: its compressor cannot be '" + Compressors.NONE
                    + "' (run " + name.replaceAll("[_+]c$", "") + " for the uncompressed method)");
        }
        return new Method(name + ":" + id, level, weights, kvK, kvV, kvRotation, id, rate, flashAttention, about, kvEviction);
    }

    /**
     * The study's KV-Q methods (levels 1 and 2: KV-Q, KV-Q+c, W4A16+KVQ, ...) with K and V of type {@code t} (eval
     * --kvq-cache-type); the methods beyond the study (level 3: KV-Q8, KV-K8V4, ...) keep the types their names give.
     */
    public Method withKvQuant(KvCacheType t) {
        return quantizesKv() && level < 3
                ? new Method(name, level, weights, t, t, kvRotation, compressor, rate, flashAttention, about, kvEviction) : this;
    }

    public Method withWeights(String w) {
        return new Method(name, level, w, kvK, kvV, kvRotation, compressor, rate, flashAttention, about, kvEviction);
    }

    /** The stages in the order they apply. */
    public List<String> pipeline() {
        List<String> s = new ArrayList<>();
        if (compresses()) {
            s.add("token dropping (" + compressor + ", " + rate + "x)");
        }
        if (weights.startsWith("pruned")) {
            s.add("pruning (pruned model file)");
        }
        if (weights.endsWith("q4_k_m")) {
            s.add("weight quantization (Q4_K_M)");
        } else if (LOW_BIT_WEIGHTS.contains(weights)) {
            s.add("weight quantization (" + weights.toUpperCase(java.util.Locale.ROOT)
                    + (QuantizeVariants.usesImatrix(weights) ? ", importance matrix)" : ")"));
        } else if (weights.equals("f16") || weights.equals("bf16")) {
            s.add("weights " + weights.toUpperCase());
        } else if (weights.equals("given")) {
            s.add("weights as given");
        }
        if (quantizesKv()) {
            s.add("KV quantization (K " + kvK + ", V " + kvV + (kvRotation == KvRotation.OFF ? ", not rotated" : "") + ")");
        }
        if (kvEviction.evicts()) {
            s.add("KV eviction after prefill (" + kvEviction.label() + ")");
        }
        return s;
    }
}
