package io.ctxbench.experiment;

import io.ctxbench.CtxbenchException;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The models of an evaluation's model-based compressors: one per compressor id where given ({@code llmlingua2} its
 * classifier, {@code perplexity} its scoring LM), else {@code fallback} (null: each compressor's default), so that one
 * run can compare compressors that need different models.
 */
public record CompressorModels(Path fallback, Map<String, Path> byId) {
    public static final CompressorModels NONE = new CompressorModels(null, Map.of());

    public CompressorModels {
        byId = Map.copyOf(byId);
    }

    /** Every model-based compressor uses {@code model} (null: their defaults). */
    public static CompressorModels of(Path model) {
        return new CompressorModels(model, Map.of());
    }

    /**
     * From {@code --compressor-model} values: {@code ID=GGUF} for compressor ID, or a plain GGUF for the others (at most
     * one). An ID must be a registered compressor's, so a file name holding "=" still reads as a file.
     */
    public static CompressorModels parse(List<String> values) {
        Path fallback = null;
        Map<String, Path> byId = new LinkedHashMap<>();
        for (String v : values) {
            int eq = v.indexOf('=');
            String id = eq > 0 ? v.substring(0, eq) : null;
            if (id != null && Compressors.has(id)) {
                if (byId.put(id, Path.of(v.substring(eq + 1))) != null) {
                    throw new CtxbenchException("--compressor-model gives compressor " + id + " two models");
                }
            } else if (fallback != null) {
                throw new CtxbenchException("--compressor-model gives two models for every compressor (" + fallback + ", " + v
                        + "): name the compressor of one, e.g. llmlingua2=" + v);
            } else {
                fallback = Path.of(v);
            }
        }
        return new CompressorModels(fallback, byId);
    }

    /** The model of compressor {@code id}: its own, else the fallback (null: its default). */
    public Path forId(String id) {
        return byId.getOrDefault(id, fallback);
    }
}
