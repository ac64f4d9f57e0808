package io.ctxbench.sweep;

import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.Threads;
import io.ctxbench.results.SweepCell;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A sweep as llama-bench takes it: a list for every parameter, run as their product. Values stay as given
 * (strings for types) so that a bad value is reported on the cells it affects while the others still run.
 *
 * @param models        GGUF files (outermost loop: a model is loaded once for all its cells)
 * @param gpuLayers     layers to offload; -1 = all
 * @param kv            KV cache types: "t" (K and V both t) or "k/v"
 * @param kvRotation    rotation of a quantized K/V: on, off (io.ctxbench.engine.KvRotation)
 * @param flashAttn     on, off, auto
 * @param prompts       prefill sizes (pp); 0 = no prefill test
 * @param gens          decode lengths (tg); 0 = no decode test
 * @param depths        tokens already in the cache before pp/tg are measured
 * @param batches       logical batch sizes
 * @param ubatches      micro-batch sizes
 * @param threads       CPU threads; 0 = one per physical core ({@link Threads})
 * @param repetitions   measured runs per cell (memory cleared before each)
 * @param warmup        one unmeasured prefill + decode before the repetitions, as llama-bench does
 * @param memoryLimit   total bytes the device may use (weights + KV + compute); 0 = only its free memory
 * @param seed          seed of the random token ids
 * @param beyondTrainedContext run depths past the model's trained context (llama.cpp allows it) instead of rejecting them
 */
public record SweepSpec(List<String> models, List<Integer> gpuLayers, List<String> kv, List<String> kvRotation,
                        List<String> flashAttn,
                        List<Integer> prompts, List<Integer> gens, List<Integer> depths, List<Integer> batches,
                        List<Integer> ubatches, int threads, int repetitions, boolean warmup, long memoryLimit,
                        long seed, boolean beyondTrainedContext) {

    public SweepSpec {
        models = nonEmpty("model", models);
        gpuLayers = nonEmpty("gpu layers", gpuLayers);
        kv = nonEmpty("KV type", kv);
        kvRotation = nonEmpty("KV rotation", kvRotation);
        flashAttn = nonEmpty("flash attention", flashAttn);
        prompts = nonEmpty("prompt length", prompts);
        gens = nonEmpty("generation length", gens);
        depths = nonEmpty("depth", depths);
        batches = nonEmpty("batch size", batches);
        ubatches = nonEmpty("micro-batch size", ubatches);
        if (repetitions <= 0) {
            throw new CtxbenchException("repetitions must be positive, got " + repetitions);
        }
        if (memoryLimit < 0) {
            throw new CtxbenchException("memory limit must be >= 0, got " + memoryLimit);
        }
        threads = Threads.resolve(threads);   // 0: one per physical core, llama-bench's own default; llama-bench is given it too
    }

    /** One model, llama-bench's defaults otherwise: pp512, tg128, depth 0, f16 KV, flash attention on, 3 repetitions. */
    public static SweepSpec of(String model) {
        return new SweepSpec(List.of(model), List.of(-1), List.of("f16"), List.of("on"), List.of("on"), List.of(512), List.of(128),
                List.of(0), List.of(2048), List.of(512), 0, 3, true, 0, 42, false);
    }

    /**
     * Every cell in run order: model outermost (so it is loaded once), then GPU layers, KV types, KV rotation, flash
     * attention, batch, micro-batch, depth, prompt and generation length.
     */
    public List<SweepCell> expand() {
        List<SweepCell> out = new ArrayList<>();
        for (String m : models) {
            for (int ngl : gpuLayers) {
                for (String t : kv) {
                    String[] kvPair = splitKv(t);
                    for (String rot : kvRotation) {
                    for (String fa : flashAttn) {
                        for (int b : batches) {
                            for (int ub : ubatches) {
                                for (int d : depths) {
                                    for (int p : prompts) {
                                        for (int g : gens) {
                                            if (p == 0 && g == 0) {
                                                continue;
                                            }
                                            out.add(new SweepCell(out.size(), m, ngl, kvPair[0], kvPair[1],
                                                    rot.strip().toLowerCase(Locale.ROOT), fa.strip().toLowerCase(Locale.ROOT),
                                                    p, g, d, b, ub, threads));
                                        }
                                    }
                                }
                            }
                        }
                    }
                    }
                }
            }
        }
        if (out.isEmpty()) {
            throw new CtxbenchException("the sweep has no cells: every prompt and generation length pair is 0/0");
        }
        return out;
    }

    static String[] splitKv(String s) {
        String t = s.strip().toLowerCase(Locale.ROOT);
        int slash = t.indexOf('/');
        return slash < 0 ? new String[]{t, t} : new String[]{t.substring(0, slash).strip(), t.substring(slash + 1).strip()};
    }

    private static <T> List<T> nonEmpty(String what, List<T> l) {
        if (l == null || l.isEmpty()) {
            throw new CtxbenchException("the sweep needs at least one " + what);
        }
        return List.copyOf(l);
    }

    /** Parses a token count: 512, 4k (4096), 32K, 128k (131072), 1m. Negative values are refused. */
    public static int parseTokens(String s) {
        String t = s.strip().toLowerCase(Locale.ROOT);
        long mul = 1;
        if (t.endsWith("k")) {
            mul = 1024;
            t = t.substring(0, t.length() - 1);
        } else if (t.endsWith("m")) {
            mul = 1024 * 1024;
            t = t.substring(0, t.length() - 1);
        }
        try {
            long v = Long.parseLong(t.strip()) * mul;
            if (v < 0 || v > Integer.MAX_VALUE) {
                throw new CtxbenchException("token count '" + s + "' is out of range (0.." + Integer.MAX_VALUE + ")");
            }
            return (int) v;
        } catch (NumberFormatException e) {
            throw new CtxbenchException("'" + s + "' is not a token count (e.g. 512, 4k, 32k, 128k)");
        }
    }

    /** Parses a byte size: 40GiB, 40G, 512MiB, 1024 (bytes). */
    public static long parseBytes(String s) {
        String t = s.strip().toLowerCase(Locale.ROOT).replace("ib", "").replace("b", "");
        long mul = 1;
        if (!t.isEmpty()) {
            switch (t.charAt(t.length() - 1)) {
                case 'k' -> mul = 1L << 10;
                case 'm' -> mul = 1L << 20;
                case 'g' -> mul = 1L << 30;
                case 't' -> mul = 1L << 40;
                default -> mul = 1;
            }
            if (mul > 1) {
                t = t.substring(0, t.length() - 1);
            }
        }
        try {
            double v = Double.parseDouble(t.strip());
            if (!(v >= 0)) {
                throw new NumberFormatException();
            }
            return (long) (v * mul);
        } catch (NumberFormatException e) {
            throw new CtxbenchException("'" + s + "' is not a size (e.g. 40GiB, 512MiB)");
        }
    }
}
