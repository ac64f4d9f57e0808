package io.ctxbench.cli;

import io.ctxbench.engine.FlashAttention;
import io.ctxbench.engine.KvCacheType;
import io.ctxbench.engine.KvEviction;
import io.ctxbench.engine.KvRotation;
import io.ctxbench.engine.Session;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The engine options of the commands that open a model, declared once, with llama.cpp's names (common/arg.cpp and
 * llama-bench) and one default each. {@code @Mixin EngineOptions} gives all of them (generate); a command whose runs
 * fix some settings themselves mixes in only the groups that act in it: eval {@link Threads}, {@link Gpu} and
 * {@link Batch} (its methods choose the KV types and attention), compress {@link Threads} and {@link Gpu} (the
 * compressor sizes its own batches), the models commands {@link Threads}. The sweep takes comma-separated lists of the
 * same options, under the same names and defaults, with the descriptions below. OptionVocabularyTest keeps the names
 * and defaults equal across commands.
 */
final class EngineOptions {
    static final String THREADS = "CPU threads to compute with; 0 = one per physical core, as llama.cpp and "
            + "llama-bench default to (hyperthread siblings once, at most the processors this process may use) (default: "
            + "${DEFAULT-VALUE}).";
    static final String GPU_LAYERS = "Layers offloaded to the GPU: -1 = all (default), 0 = none (CPU only); the others "
            + "run on the CPU. A CPU build ignores it.";
    static final String BATCH = "Logical batch: the most prompt tokens handed to llama.cpp in one call (default: ${DEFAULT-VALUE}).";
    static final String UBATCH = "Physical micro-batch: the most tokens computed at once, at most -b; larger prefills faster "
            + "and needs more compute memory (default: ${DEFAULT-VALUE}).";
    static final String FLASH_ATTN = "Flash attention: on, off or auto (default: ${DEFAULT-VALUE}: llama.cpp turns it on "
            + "where the backend has it). A quantized V cache needs on or auto.";
    static final String KV_ROTATION = "on (default) or off: llama.cpp rotates a quantized K and V cache (a Hadamard "
            + "transform of each head's row before it is quantized, where the head size is a multiple of 64), which "
            + "spreads outliers over the block; off stores them as they are (llama.cpp's LLAMA_ATTN_ROT_DISABLE=1, set "
            + "for the context only). Off needs a quantized K or V.";
    static final String KV_EVICT = "none (default), or 'streaming BUDGET [sinks S]': after prefill the KV cache keeps "
            + "only the first S tokens (attention sinks, default 4) and the most recent ones, BUDGET in all: a share of "
            + "the prompt ('25%' or 0.25) or a count ('2048 tokens') (StreamingLLM; the first new token still sees the "
            + "whole prompt). Kept tokens are renumbered from 0, as llama-server's context shift does.";
    static final String CACHE_TYPES = "f16 (default), f32, bf16, q8_0, q5_1, q5_0, q4_1, q4_0 or iq4_nl (llama.cpp's "
            + "list); the quantized types hold a context in 8.5 (q8_0) to 4.5 (q4_0, iq4_nl) bits a value instead of 16, "
            + "at some cost in quality.";

    @Mixin
    Threads threads = new Threads();

    @Mixin
    Gpu gpu = new Gpu();

    @Mixin
    Batch batch = new Batch();

    @Mixin
    Cache cache = new Cache();

    @Mixin
    PlacementOptions placement = new PlacementOptions();

    /** A session of {@code contextSize} cells with these options (checked: bad settings fail before a model loads). */
    Session.Params session(int contextSize, KvCacheType k, KvCacheType v) {
        return new Session.Params(contextSize, batch.size, batch.ubatch, threads.count, cache.flashAttention(), k, v,
                KvRotation.parse(cache.kvRotation)).withKvEviction(KvEviction.parse(cache.kvEvict));
    }

    /** -t: every command that computes (and the models commands that write files in parallel). */
    static final class Threads {
        @Option(names = {"-t", "--threads"}, defaultValue = "0", paramLabel = "N", converter = ThreadCount.class,
                description = THREADS)
        int count;
    }

    /**
     * -ngl: llama.cpp's names (llama-bench's --n-gpu-layers; llama-cli also takes --gpu-layers, this project's name
     * until now).
     */
    static final class Gpu {
        @Option(names = {"-ngl", "--n-gpu-layers", "--gpu-layers"}, defaultValue = "-1", paramLabel = "N", description = GPU_LAYERS)
        int layers;
    }

    /** -b, -ub: llama.cpp's defaults. */
    static final class Batch {
        @Option(names = {"-b", "--batch-size"}, defaultValue = "2048", paramLabel = "N", description = BATCH)
        int size;

        @Option(names = {"-ub", "--ubatch-size"}, defaultValue = "512", paramLabel = "N", description = UBATCH)
        int ubatch;
    }

    /** -c, -fa, -ctk, -ctv, --kv-rotation: the context a command creates with the user's settings. */
    static final class Cache {
        @Option(names = {"-c", "--ctx-size"}, paramLabel = "N", description = "Context size in tokens, the KV cache's "
                + "cells (default: the prompt plus -n, at least 512).")
        Integer ctxSize;

        // auto, as llama.cpp's own default for a context and llama-bench's: it turns flash attention on wherever the
        // backend has it, so the default never fails where "on" would, and a sweep compared with llama-bench runs the
        // same setting; what llama.cpp chose is recorded with every result (kv_path: fused, converted or no-fa)
        @Option(names = {"-fa", "--flash-attn"}, defaultValue = "auto", paramLabel = "on|off|auto", description = FLASH_ATTN)
        String flashAttn;

        @Option(names = {"-ctk", "--cache-type-k"}, defaultValue = "f16", paramLabel = "TYPE",
                description = "K cache type: " + CACHE_TYPES)
        String typeK;

        @Option(names = {"-ctv", "--cache-type-v"}, defaultValue = "f16", paramLabel = "TYPE",
                description = "V cache type: " + CACHE_TYPES + " A quantized V cache needs flash attention.")
        String typeV;

        // llama.cpp has no option for it (only the environment variable): the name says what is rotated, as the
        // records' kv_k, kv_v and kv_path name the cache
        @Option(names = "--kv-rotation", defaultValue = "on", paramLabel = "on|off", description = KV_ROTATION)
        String kvRotation;

        // llama.cpp has no eviction option (its context shift, --keep N, drops tokens only when the context is full)
        @Option(names = "--kv-evict", defaultValue = "none", paramLabel = "POLICY", description = KV_EVICT)
        String kvEvict;

        FlashAttention flashAttention() {
            return FlashAttention.parse(flashAttn);
        }
    }
}
