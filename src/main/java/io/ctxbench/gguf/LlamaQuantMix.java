package io.ctxbench.gguf;

/**
 * The per-tensor types {@code llama-quantize} picks for a llama-architecture model at {@code Q4_K_M}
 * (LLAMA_FTYPE_MOSTLY_Q4_K_M = 15), restated from {@code src/llama-quant.cpp} of the pinned llama.cpp (de3ff815),
 * for the tensors a {@link ModelShape} has (no experts, no fused QKV, no Falcon), with no imatrix, no overrides and
 * not {@code --pure}:
 * <ul>
 *   <li>1-D tensors (norms) are not quantized (tensor_allows_quantization): they stay F32.</li>
 *   <li>{@code output.weight}, and {@code token_embd.weight} when there is no output.weight (tied embeddings:
 *       has_tied_embeddings): Q8_0 when a row is not a multiple of 256, else Q6_K.</li>
 *   <li>{@code token_embd.weight} (untied): the default type, Q4_K.</li>
 *   <li>{@code attn_v}: Q6_K when use_more_bits(i, n) over the attn_v tensors in layer order, else Q4_K; and when
 *       llama.cpp classifies the model as LLM_TYPE_70B (src/models/llama.cpp: 80 layers and n_head != n_head_kv),
 *       a Q4_K attn_v becomes Q5_K.</li>
 *   <li>{@code ffn_down}: Q6_K when use_more_bits(layer, n_layer), else Q4_K.</li>
 *   <li>everything else (attn_q, attn_k, attn_output, ffn_gate, ffn_up): Q4_K.</li>
 *   <li>then tensor_type_fallback: when a row (ne[0]) is not a multiple of the chosen type's block, Q4_K becomes
 *       Q5_0, Q5_K becomes Q5_1, Q6_K becomes Q8_0 (a 32-block type stays); if the row is not a multiple of that
 *       block either, F16.</li>
 * </ul>
 * use_more_bits(i, n) = {@code i < n/8 || i >= 7n/8 || (i - n/8) % 3 == 2} (integer division). llama-quantize
 * visits tensors in its weights_map order (by layer number, then name), so the i-th attn_v and ffn_down it meets
 * are those of layer i.
 */
final class LlamaQuantMix {
    private LlamaQuantMix() {
    }

    static boolean useMoreBits(int i, int n) {
        return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
    }

    /** llama.cpp's LLM_TYPE_70B for the llama architecture (no experts): 80 layers with grouped-query attention. */
    static boolean is70B(ModelShape s) {
        return s.arch().equals("llama") && s.nLayer() == 80 && s.nHead() != s.nHeadKv();
    }

    /** Layer number of a {@code blk.N.} tensor, -1 for the others. */
    static int layer(String name) {
        if (!name.startsWith("blk.")) {
            return -1;
        }
        int dot = name.indexOf('.', 4);
        return Integer.parseInt(name.substring(4, dot));
    }

    /** The type llama-quantize's Q4_K_M gives tensor {@code t} of shape {@code s}. */
    static GgmlType q4KM(ModelShape s, ModelShape.Tensor t) {
        if (t.norm() || t.dims().length < 2) {
            return GgmlType.F32;
        }
        String name = t.name();
        long ncols = t.dims()[0];
        int n = s.nLayer();
        GgmlType type;
        if (name.equals("output.weight") || (s.tiedEmbeddings() && name.equals("token_embd.weight"))) {
            type = ncols % GgmlType.Q4_K.blockSize() != 0 ? GgmlType.Q8_0 : GgmlType.Q6_K;
        } else if (name.endsWith(".attn_v.weight")) {
            type = useMoreBits(layer(name), n) ? GgmlType.Q6_K : GgmlType.Q4_K;
            if (is70B(s) && type == GgmlType.Q4_K) {
                type = GgmlType.Q5_K;
            }
        } else if (name.endsWith(".ffn_down.weight")) {
            type = useMoreBits(layer(name), n) ? GgmlType.Q6_K : GgmlType.Q4_K;
        } else {
            type = GgmlType.Q4_K;
        }
        return fallback(type, ncols);
    }

    /** tensor_type_fallback for the types the Q4_K_M mixture uses. */
    static GgmlType fallback(GgmlType type, long ncols) {
        if (ncols % type.blockSize() == 0) {
            return type;
        }
        GgmlType f = switch (type) {
            case Q4_K -> GgmlType.Q5_0;
            case Q5_K -> GgmlType.Q5_1;
            case Q6_K -> GgmlType.Q8_0;
            case Q8_0, Q5_0, Q5_1 -> type;
            default -> throw new IllegalArgumentException("no fallback for " + type);
        };
        return ncols % f.blockSize() == 0 ? f : GgmlType.F16;
    }
}
