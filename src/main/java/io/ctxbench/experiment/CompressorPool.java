package io.ctxbench.experiment;

import io.ctxbench.compress.PromptCompressor;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The compressors opened for one model: one instance per id, opened on first use (a perplexity compressor's scoring
 * model loads once), reused by every method and sample of that model including the fidelity pass, closed together.
 */
final class CompressorPool implements AutoCloseable {
    private final EvalConfig cfg;
    private final ModelSpec model;
    private final PrintStream err;
    private final Map<String, PromptCompressor> open = new LinkedHashMap<>();

    CompressorPool(EvalConfig cfg, ModelSpec model, PrintStream err) {
        this.cfg = cfg;
        this.model = model;
        this.err = err;
    }

    PromptCompressor get(String id) {
        PromptCompressor c = open.get(id);
        if (c == null) {
            long t0 = System.nanoTime();
            c = Compressors.open(id, new Compressors.Setup(model.given(), cfg.compressorModels().forId(id), cfg.threads(),
                    cfg.gpuLayers()));
            open.put(id, c);
            err.printf(Locale.ROOT, "eval: compressor %s opened for %s in %.2f s%n", id, model.name(),
                    (System.nanoTime() - t0) / 1e9);
        }
        return c;
    }

    /** Closes every compressor, the last opened first; the first failure is thrown after all were tried. */
    @Override
    public void close() {
        RuntimeException first = null;
        List<PromptCompressor> cs = new ArrayList<>(open.values());
        open.clear();
        for (int i = cs.size() - 1; i >= 0; i--) {
            try {
                cs.get(i).close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
