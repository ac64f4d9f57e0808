package io.ctxbench.engine;

import java.util.Locale;
import java.util.Set;

/**
 * How attention reads the KV cache in a session, so that a figure measured on a slow fallback is never reported
 * as the cache type's own cost.
 * <ul>
 *   <li>{@link #FUSED}: flash attention reads the cached K and V types directly (the CPU backend does for every
 *       pair; CUDA for the pairs whose vector kernels the build compiled, see GGML_CUDA_FA_QUANTS);</li>
 *   <li>{@link #CONVERTED}: CUDA has no kernel for the pair and converts K and V to f16 on every decode step
 *       (llama.cpp logs once per process "converting K and V to f16 instead (slow)"); an f32 K or V is always
 *       converted (ggml-cuda's fattn.cu runs it through the f16 kernel);</li>
 *   <li>{@link #HOST}: CUDA's flash attention takes no iq4_nl K or V at all, so with flash attention on (which a
 *       quantized V needs) ggml's scheduler runs the attention op on the CPU and copies the cache there;</li>
 *   <li>{@link #NO_FA}: flash attention is off, attention runs as matrix products over the cache.</li>
 * </ul>
 */
public enum KvPath {
    FUSED, CONVERTED, HOST, NO_FA;

    /** The name in records and tables: fused, converted, host, no-fa. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    @Override
    public String toString() {
        return label();
    }

    /**
     * The path a session will take.
     *
     * @param flashAttention whether flash attention is on (after llama.cpp resolved "auto")
     * @param onCuda         whether attention of (some) layers runs on a CUDA device
     * @param cudaPairs      the K-V pairs the CUDA build compiled ({@link BackendFeatures#cudaFlashAttentionPairs()};
     *                       null = all)
     */
    public static KvPath predict(boolean flashAttention, KvCacheType k, KvCacheType v, boolean onCuda, Set<String> cudaPairs) {
        if (!flashAttention) {
            return NO_FA;
        }
        if (!onCuda) {
            return FUSED;
        }
        if (k == KvCacheType.IQ4_NL || v == KvCacheType.IQ4_NL) {
            return HOST;
        }
        if (k == KvCacheType.F32 || v == KvCacheType.F32) {
            return CONVERTED;
        }
        return cudaPairs == null || cudaPairs.contains(k.label() + "-" + v.label()) ? FUSED : CONVERTED;
    }
}
