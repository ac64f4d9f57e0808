package io.ctxbench.experiment;

import io.ctxbench.CtxbenchException;
import io.ctxbench.compress.PromptCompressor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Prompt compressors by id, for the "_c" and "+c" methods. Built in (the compressors of package io.ctxbench.compress,
 * opened over the target model's tokenizer by {@link CompressorAdapters}):
 * <ul>
 *   <li>{@code extractive} (the default of the built-in compressed methods): model-free, query-aware BM25 sentence
 *       selection to the budget; cheap, runs anywhere;</li>
 *   <li>{@code perplexity}: LLMLingua-style token dropping scored by a small causal LM run through the engine
 *       (default scoring model: SmolLM2-135M-Instruct, loaded once per run and model, released at the end);</li>
 *   <li>{@code perplexity-fixed}: the same compressor with every scoring call of one shape
 *       ({@link io.ctxbench.compress.PerplexityCompressor.Calls#FIXED}: llama.cpp reuses its graph), the device
 *       reduction; the same conditioning, for comparing its cost with {@code perplexity}'s in one run;</li>
 *   <li>{@code llmlingua2}: LLMLingua-2's token classifier (an encoder run once, a 2-way head, word-level percentile
 *       selection: {@link io.ctxbench.compress.TokenClassifierCompressor}); needs the classifier as the scoring
 *       model, there is no default.</li>
 * </ul>
 * {@code none} means no compression. Rates are measured in the evaluated model's tokens (its tokenizer is loaded
 * vocabulary-only by the compressor). More can be added with {@link #register}.
 */
public final class Compressors {
    public static final String NONE = "none";
    public static final String EXTRACTIVE = "extractive";
    public static final String PERPLEXITY = "perplexity";
    public static final String PERPLEXITY_FIXED = "perplexity-fixed";
    public static final String LLMLINGUA2 = "llmlingua2";
    /** The compressor of the built-in compressed methods (models/methods.json). */
    public static final String DEFAULT = EXTRACTIVE;

    /**
     * What a compressor may use. {@code targetModel}: the evaluated model's file (its tokenizer measures the rate);
     * {@code scoringModel}: the scoring LM of model-based compressors, null for the default (SmolLM2);
     * {@code threads}: CPU threads (0 = all); {@code gpuLayers}: scoring-model layers on the GPU (-1 all, 0 none).
     */
    public record Setup(Path targetModel, Path scoringModel, int threads, int gpuLayers) {
        public Setup {
            if (targetModel == null) {
                throw new CtxbenchException("a compressor needs the target model file (its tokenizer measures the rate)");
            }
        }
    }

    /** Opens a compressor for one target model; the caller closes it. */
    @FunctionalInterface
    public interface Factory {
        PromptCompressor open(Setup setup);
    }

    private static final Map<String, Factory> REGISTRY = new TreeMap<>();

    static {
        register(EXTRACTIVE, CompressorAdapters::extractive);
        register(PERPLEXITY, CompressorAdapters::perplexity);
        register(PERPLEXITY_FIXED, CompressorAdapters::perplexityFixed);
        register(LLMLINGUA2, CompressorAdapters::llmlingua2);
    }

    private Compressors() {
    }

    public static synchronized void register(String id, Factory factory) {
        if (id == null || id.isBlank() || id.equals(NONE) || id.contains(":") || id.contains("|")) {
            throw new CtxbenchException("a compressor id must be non-blank, not '" + NONE + "', and hold no ':' or '|', got '" + id + "'");
        }
        REGISTRY.put(id, factory);
    }

    public static synchronized boolean has(String id) {
        return REGISTRY.containsKey(id);
    }

    /** The registered ids, sorted. */
    public static synchronized List<String> ids() {
        return new ArrayList<>(REGISTRY.keySet());
    }

    /** Throws a user-facing error naming the available ids when {@code id} is not a compressor (nothing is loaded). */
    public static synchronized void check(String id) {
        if (!REGISTRY.containsKey(id)) {
            throw new CtxbenchException("unknown compressor '" + id + "': available are " + String.join(", ", REGISTRY.keySet())
                    + " (choose one with --compressor ID or a method name such as FP16_c:perplexity)");
        }
    }

    /** Opens compressor {@code id} for a target model; the caller closes it (it may hold a loaded scoring model). */
    public static PromptCompressor open(String id, Setup setup) {
        Factory f;
        synchronized (Compressors.class) {
            check(id);
            f = REGISTRY.get(id);
        }
        return f.open(setup);
    }
}
