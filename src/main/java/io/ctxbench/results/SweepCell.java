package io.ctxbench.results;

/**
 * One test of a sweep: a model with one setting of every parameter. Measured as llama-bench measures its
 * pp and tg tests at a depth: fill the cache to {@code depth}, time a prefill of {@code nPrompt} random tokens,
 * drop them again, then time {@code nGen} one-token decodes from the depth.
 */
public record SweepCell(int index, String model, int gpuLayers, String typeK, String typeV, String kvRotation,
                        String flashAttn, int nPrompt, int nGen, int depth, int batch, int ubatch, int threads) {

    /** {@code kvRotation}: on or off (io.ctxbench.engine.KvRotation); records before it have none, and ran with it on. */
    public SweepCell {
        kvRotation = kvRotation == null ? "on" : kvRotation;
    }

    /** Positions the cell needs: the depth plus the larger of the two tests (tg starts again at the depth). */
    public long contextNeeded() {
        return (long) depth + Math.max(nPrompt, nGen);
    }

    /** The cell's settings apart from depth and test sizes: one line on a chart. */
    public String configuration() {
        String name = java.nio.file.Path.of(model).getFileName().toString().replaceFirst("\\.gguf$", "");
        return name + " kv " + (typeK.equals(typeV) ? typeK : typeK + "/" + typeV) + (kvRotation.equals("off") ? " norot" : "")
                + " fa " + flashAttn
                + (gpuLayers >= 0 ? " ngl " + gpuLayers : "") + (batch != 2048 || ubatch != 512 ? " b " + batch + "/" + ubatch : "");
    }
}
