package io.ctxbench.experiment;

import java.util.HashMap;
import java.util.Map;

/**
 * The weights file of every (model, method) of a run, resolved before anything runs: a given variant, one the
 * variant provider makes (or takes from its cache), or a clear error; every compressor id is checked too. So a
 * missing variant or an unknown compressor fails with nothing written.
 */
final class ResolvedWeights {
    /** A method on a model: the unit that shares one weights file and one session. */
    record ModelMethod(String model, String method) {
    }

    private final Map<ModelMethod, ModelSpec.Resolved> files = new HashMap<>();

    private ResolvedWeights() {
    }

    static ResolvedWeights resolve(EvalConfig cfg) {
        for (Method me : cfg.methods()) {
            if (me.compresses()) {
                Compressors.check(me.compressor());
            }
        }
        ResolvedWeights w = new ResolvedWeights();
        for (ModelSpec m : cfg.models()) {
            for (Method me : cfg.methods()) {
                w.files.put(new ModelMethod(m.name(), me.name()), m.resolve(me, cfg.variants()));
            }
        }
        return w;
    }

    ModelSpec.Resolved of(ModelSpec m, Method me) {
        return files.get(new ModelMethod(m.name(), me.name()));
    }
}
