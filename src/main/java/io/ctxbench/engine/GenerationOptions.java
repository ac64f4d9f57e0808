package io.ctxbench.engine;

import io.ctxbench.CtxbenchException;

import java.util.List;

/**
 * What one greedy generation may do. {@code ignoreEos} keeps decoding through end-of-generation tokens (for
 * benchmarks that need an exact token count); {@code memorySampleMillis} is the period of the device-memory
 * sampler that runs beside the loop (0 turns it off).
 */
public record GenerationOptions(int maxTokens, List<String> stopStrings, boolean ignoreEos, int memorySampleMillis) {
    public GenerationOptions {
        if (maxTokens <= 0) {
            throw new CtxbenchException("max tokens must be positive, got " + maxTokens);
        }
        stopStrings = stopStrings == null ? List.of() : List.copyOf(stopStrings);
        for (String s : stopStrings) {
            if (s.isEmpty()) {
                throw new CtxbenchException("a stop string must not be empty");
            }
        }
        if (memorySampleMillis < 0) {
            throw new CtxbenchException("memory sample period must be >= 0 ms, got " + memorySampleMillis);
        }
    }

    public static GenerationOptions of(int maxTokens) {
        return new GenerationOptions(maxTokens, List.of(), false, 20);
    }

    public GenerationOptions withStops(List<String> stops) {
        return new GenerationOptions(maxTokens, stops, ignoreEos, memorySampleMillis);
    }

    public GenerationOptions withIgnoreEos(boolean ignore) {
        return new GenerationOptions(maxTokens, stopStrings, ignore, memorySampleMillis);
    }
}
