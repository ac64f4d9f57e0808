package io.ctxbench.experiment;

import io.ctxbench.CtxbenchException;
import io.ctxbench.compress.CompressionRequest;
import io.ctxbench.compress.CompressionResult;
import io.ctxbench.compress.CompressionTarget;
import io.ctxbench.compress.ExtractiveCompressor;
import io.ctxbench.compress.PerplexityCompressor;
import io.ctxbench.compress.PromptCompressor;
import io.ctxbench.compress.TokenCounter;
import io.ctxbench.engine.Model;
import io.ctxbench.models.PackagedModels;

import java.nio.file.Path;

/**
 * The evaluation's adapters over the real prompt compressors of package io.ctxbench.compress. Each owns a
 * vocabulary-only copy of the target model (its tokenizer measures the rate, so "2x" means half of the evaluated
 * model's context tokens); the perplexity adapter also owns its scoring model, loaded once when the adapter is
 * opened. {@link #close()} frees both, scoring model first.
 */
abstract class CompressorAdapters implements ContextCompressor {
    private final String id;
    private final Model targetVocab;
    private final PromptCompressor compressor;

    private CompressorAdapters(String id, Model targetVocab, PromptCompressor compressor) {
        this.id = id;
        this.targetVocab = targetVocab;
        this.compressor = compressor;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public Output compress(String instruction, String context, String question, double rate) {
        CompressionRequest req = CompressionRequest.of(instruction, context, question, CompressionTarget.rate(rate));
        CompressionResult r = compressor.compress(req);
        if (!r.question().equals(req.question()) || !r.instruction().equals(req.instruction())) {
            throw new IllegalStateException("compressor " + id + " changed the question or the instruction");
        }
        return new Output(r.context(), r.instruction(), r.question(), r.originalTokens(), r.compressedTokens(),
                r.achievedRate(), r.targetMet(), r.device());
    }

    /** Frees the compressor's own resources (the scoring model), then the target vocabulary. */
    @Override
    public void close() {
        try {
            if (compressor instanceof AutoCloseable c) {
                c.close();
            }
        } catch (Exception e) {
            throw new CtxbenchException("cannot close compressor " + id + ": " + e.getMessage(), e);
        } finally {
            targetVocab.close();
        }
    }

    static Model loadVocab(Path target) {
        return Model.load(Model.Params.of(target).withVocabOnly(true).withGpuLayers(0));
    }

    /** BM25 sentence selection ({@link ExtractiveCompressor}), no model beyond the target tokenizer. */
    static final class Extractive extends CompressorAdapters {
        private Extractive(Model vocab) {
            super(Compressors.EXTRACTIVE, vocab, new ExtractiveCompressor(TokenCounter.of(vocab)));
        }

        static ContextCompressor open(Compressors.Setup s) {
            Model vocab = loadVocab(s.targetModel());
            try {
                return new Extractive(vocab);
            } catch (RuntimeException e) {
                vocab.close();
                throw e;
            }
        }
    }

    /**
     * LLMLingua-style token dropping ({@link PerplexityCompressor}, default options: 2048-token scoring context,
     * 256-token segments, iterative, query-aware coarse stage) with the setup's scoring model, or SmolLM2-135M-Instruct.
     */
    static final class Perplexity extends CompressorAdapters {
        private Perplexity(Model vocab, PerplexityCompressor ppl) {
            super(Compressors.PERPLEXITY, vocab, ppl);
        }

        static ContextCompressor open(Compressors.Setup s) {
            Path scoring = s.scoringModel() != null ? s.scoringModel() : PackagedModels.ensure(PackagedModels.SMOLLM2);
            Model vocab = loadVocab(s.targetModel());
            try {
                PerplexityCompressor ppl = PerplexityCompressor.open(scoring, s.gpuLayers(), TokenCounter.of(vocab),
                        PerplexityCompressor.Options.defaults().withThreads(s.threads()));
                return new Perplexity(vocab, ppl);
            } catch (RuntimeException e) {
                vocab.close();
                throw e;
            }
        }
    }
}
