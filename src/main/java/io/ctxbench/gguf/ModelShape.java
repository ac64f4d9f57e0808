package io.ctxbench.gguf;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.ArrayList;
import java.util.List;

/**
 * The architecture shape of a model: enough to build a GGUF whose compute and memory cost match the real model
 * (cost is what matters). Two layouts: {@code llama}, a decoder (plain llama RoPE, no rope scaling factors), and
 * {@code bert}, an encoder as llama.cpp's arch {@code bert} runs it (learned positions, one token type, layer norms and
 * biases, GELU feed-forward; e.g. XLM-RoBERTa, whose 514 positions llama.cpp's converter cuts to 512). Field names in
 * JSON are snake_case.
 *
 * @param headDim       per-head dimension; 0 in JSON means {@code nEmbd / nHead}
 * @param nVocab        rows of token_embd/output; the tokenizer is padded with unused tokens up to this size
 * @param rmsNormEps    the norms' epsilon: RMS norm (llama), layer norm (bert; JSON also {@code layer_norm_eps})
 * @param tiedEmbeddings no output.weight: llama.cpp then reuses token_embd for the output projection (llama only)
 * @param vocab         file name of the llama.cpp vocab GGUF giving the tokenizer (e.g. ggml-vocab-llama-bpe.gguf)
 * @param chatTemplate  classpath resource under models/templates/ used when the vocab has no chat template, or null
 * @param source        where the numbers come from
 * @param classifierLabels bert: labels of a token-classification head stored as {@code cls.output} (n_embd x labels,
 *                      with a bias), written as {@code bert.classifier.output_labels}; empty for none
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ModelShape(
        @JsonProperty("name") String name,
        @JsonProperty("arch") String arch,
        @JsonProperty("n_layer") int nLayer,
        @JsonProperty("n_embd") int nEmbd,
        @JsonProperty("n_ff") int nFf,
        @JsonProperty("n_head") int nHead,
        @JsonProperty("n_head_kv") int nHeadKv,
        @JsonProperty("head_dim") int headDim,
        @JsonProperty("n_vocab") int nVocab,
        @JsonProperty("context_length") int contextLength,
        @JsonProperty("rope_freq_base") double ropeFreqBase,
        @JsonProperty("rms_norm_eps") @JsonAlias("layer_norm_eps") double rmsNormEps,
        @JsonProperty("tied_embeddings") boolean tiedEmbeddings,
        @JsonProperty("vocab") String vocab,
        @JsonProperty("chat_template") String chatTemplate,
        @JsonProperty("source") String source,
        @JsonProperty("classifier_labels") List<String> classifierLabels) {

    public static final String LLAMA = "llama";
    public static final String BERT = "bert";

    public ModelShape {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("shape needs a name");
        }
        if (arch == null) {
            arch = LLAMA;
        }
        if (!arch.equals(LLAMA) && !arch.equals(BERT)) {
            throw new IllegalArgumentException("shape " + name + ": arch must be 'llama' or 'bert', got '" + arch + "'");
        }
        classifierLabels = classifierLabels == null ? List.of() : List.copyOf(classifierLabels);
        if (!classifierLabels.isEmpty() && !arch.equals(BERT)) {
            throw new IllegalArgumentException("shape " + name + ": classifier_labels is for arch 'bert' only");
        }
        if (arch.equals(BERT) && nHeadKv != nHead) {
            throw new IllegalArgumentException("shape " + name + ": a bert shape has n_head_kv = n_head, got " + nHeadKv
                    + " and " + nHead);
        }
        positive(name, "n_layer", nLayer);
        positive(name, "n_embd", nEmbd);
        positive(name, "n_ff", nFf);
        positive(name, "n_head", nHead);
        positive(name, "n_head_kv", nHeadKv);
        positive(name, "n_vocab", nVocab);
        positive(name, "context_length", contextLength);
        if (headDim == 0) {
            if (nEmbd % nHead != 0) {
                throw new IllegalArgumentException("shape " + name + ": n_embd " + nEmbd + " is not divisible by n_head "
                        + nHead + "; give head_dim");
            }
            headDim = nEmbd / nHead;
        }
        positive(name, "head_dim", headDim);
        if (headDim % 2 != 0 && arch.equals(LLAMA)) {
            throw new IllegalArgumentException("shape " + name + ": head_dim " + headDim + " must be even for RoPE");
        }
        if (nHead % nHeadKv != 0) {
            throw new IllegalArgumentException("shape " + name + ": n_head " + nHead + " is not a multiple of n_head_kv "
                    + nHeadKv);
        }
        if ((arch.equals(LLAMA) && !(ropeFreqBase > 0)) || !(rmsNormEps > 0) || rmsNormEps >= 1) {
            throw new IllegalArgumentException("shape " + name + ": rope_freq_base must be > 0 and rms_norm_eps in (0,1)");
        }
        if (vocab == null || vocab.isBlank()) {
            throw new IllegalArgumentException("shape " + name + ": needs a tokenizer vocab file name");
        }
    }

    private static void positive(String name, String field, long v) {
        if (v <= 0) {
            throw new IllegalArgumentException("shape " + name + ": " + field + " must be > 0, got " + v);
        }
    }

    /** Rows of attn_q output: n_head * head_dim. */
    public long qDim() {
        return (long) nHead * headDim;
    }

    /** Rows of attn_k / attn_v output: n_head_kv * head_dim. */
    public long kvDim() {
        return (long) nHeadKv * headDim;
    }

    /**
     * One tensor of the layout; {@code norm} tensors are stored as F32 whatever the weight type: norm weights and biases
     * (1-D), and a bert's token-type row and classifier head (2-D, small, used by ops that take no F16).
     */
    public record Tensor(String name, long[] dims, boolean norm) {
        public long nElements() {
            long n = 1;
            for (long d : dims) n = Math.multiplyExact(n, d);
            return n;
        }
    }

    /** Whether this is an encoder (arch bert). */
    public boolean encoder() {
        return arch.equals(BERT);
    }

    /**
     * Tensors in file order, names and ggml dims as llama.cpp expects them: src/models/llama.cpp for llama,
     * src/models/bert.cpp (llama_model_bert::load_arch_tensors) for bert.
     */
    public List<Tensor> tensors() {
        return encoder() ? bertTensors() : llamaTensors();
    }

    private List<Tensor> llamaTensors() {
        List<Tensor> l = new ArrayList<>(3 + 9 * nLayer);
        l.add(new Tensor("token_embd.weight", new long[] {nEmbd, nVocab}, false));
        for (int i = 0; i < nLayer; i++) {
            String p = "blk." + i + ".";
            l.add(new Tensor(p + "attn_norm.weight", new long[] {nEmbd}, true));
            l.add(new Tensor(p + "attn_q.weight", new long[] {nEmbd, qDim()}, false));
            l.add(new Tensor(p + "attn_k.weight", new long[] {nEmbd, kvDim()}, false));
            l.add(new Tensor(p + "attn_v.weight", new long[] {nEmbd, kvDim()}, false));
            l.add(new Tensor(p + "attn_output.weight", new long[] {qDim(), nEmbd}, false));
            l.add(new Tensor(p + "ffn_norm.weight", new long[] {nEmbd}, true));
            l.add(new Tensor(p + "ffn_gate.weight", new long[] {nEmbd, nFf}, false));
            l.add(new Tensor(p + "ffn_up.weight", new long[] {nEmbd, nFf}, false));
            l.add(new Tensor(p + "ffn_down.weight", new long[] {nFf, nEmbd}, false));
        }
        l.add(new Tensor("output_norm.weight", new long[] {nEmbd}, true));
        if (!tiedEmbeddings) {
            l.add(new Tensor("output.weight", new long[] {nEmbd, nVocab}, false));
        }
        return l;
    }

    private List<Tensor> bertTensors() {
        List<Tensor> l = new ArrayList<>(7 + 16 * nLayer);
        l.add(new Tensor("token_embd.weight", new long[] {nEmbd, nVocab}, false));
        l.add(new Tensor("token_types.weight", new long[] {nEmbd, 1}, true));   // F32: bert.cpp adds its row as it is
        l.add(new Tensor("position_embd.weight", new long[] {nEmbd, contextLength}, false));
        l.add(new Tensor("token_embd_norm.weight", new long[] {nEmbd}, true));
        l.add(new Tensor("token_embd_norm.bias", new long[] {nEmbd}, true));
        for (int i = 0; i < nLayer; i++) {
            String p = "blk." + i + ".";
            for (String m : new String[] {"attn_q", "attn_k", "attn_v", "attn_output"}) {
                l.add(new Tensor(p + m + ".weight", new long[] {nEmbd, nEmbd}, false));
                l.add(new Tensor(p + m + ".bias", new long[] {nEmbd}, true));
            }
            l.add(new Tensor(p + "attn_output_norm.weight", new long[] {nEmbd}, true));
            l.add(new Tensor(p + "attn_output_norm.bias", new long[] {nEmbd}, true));
            l.add(new Tensor(p + "ffn_up.weight", new long[] {nEmbd, nFf}, false));
            l.add(new Tensor(p + "ffn_up.bias", new long[] {nFf}, true));
            l.add(new Tensor(p + "ffn_down.weight", new long[] {nFf, nEmbd}, false));
            l.add(new Tensor(p + "ffn_down.bias", new long[] {nEmbd}, true));
            l.add(new Tensor(p + "layer_output_norm.weight", new long[] {nEmbd}, true));
            l.add(new Tensor(p + "layer_output_norm.bias", new long[] {nEmbd}, true));
        }
        if (!classifierLabels.isEmpty()) {   // 2-D but tiny: F32, as llama.cpp's converter keeps small tensors
            l.add(new Tensor("cls.output.weight", new long[] {nEmbd, classifierLabels.size()}, true));
            l.add(new Tensor("cls.output.bias", new long[] {classifierLabels.size()}, true));
        }
        return l;
    }

    /** Number of stored parameters (tied output counted once), computed without writing anything. */
    public long parameterCount() {
        long s = 0;
        for (Tensor t : tensors()) s += t.nElements();
        return s;
    }

    /** Exact tensor data bytes (unpadded) when matrices are stored as {@code matrixType} and norms as F32. */
    public long tensorBytes(GgmlType matrixType) {
        long s = 0;
        for (Tensor t : tensors()) {
            s += (t.norm() ? GgmlType.F32 : matrixType).bytesFor(t.nElements());
        }
        return s;
    }

}
