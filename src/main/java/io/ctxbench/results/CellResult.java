package io.ctxbench.results;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What one cell gave. {@code status} is {@code ok}, {@code rejected} (the spec cannot run: bad type, quantized V
 * without flash attention, depth beyond the model's context, does not fit in device memory; {@code reason}
 * says which) or {@code failed} (llama.cpp refused or failed while running it).
 *
 * <p>Throughputs are means over repetitions of per-run tokens per second (as llama-bench's avg_ts): prefill =
 * {@code nPrompt} / time of the prefill calls until the device is done; decode = {@code nGen} / summed time of
 * the one-token decode calls (each until the device is done), no sampling. TTFT = prefill + one greedy sample.
 * Step percentiles pool every decode call of every repetition. Device memory is the accelerator's used bytes
 * (the host's for a CPU-only run): after the model loaded, after the context was created, and the highest seen
 * around the repetitions; {@code contextDeviceBytes} is what creating the context took (KV + compute buffers).
 * {@code kvPath} says how attention read the cache ({@link io.ctxbench.engine.KvPath}: fused, converted, no-fa), so a
 * pair that CUDA ran through its slow f16 conversion is never taken for that pair's own kernel. One line of a
 * sweep's sweep.jsonl, and an element of sweep.json's cells; {@code schema} as in {@link Schema}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CellResult(int schema, SweepCell cell, String configuration, String status, String reason,
                         String modelDescription, Long modelBytes, Long modelParameters, Integer contextSize,
                         Long kvBytes, String kvPath, Long estimatedContextBytes, String device,
                         Long deviceUsedAfterLoad, Long deviceUsedAfterContext, Long deviceUsedPeak, Long contextDeviceBytes,
                         Stat prefillTokensPerSecond, Stat decodeTokensPerSecond, Stat ttftMillis,
                         Double stepMillisP50, Double stepMillisP90, Double stepMillisP99,
                         NativeResult llamaBench) {

    public static final String OK = "ok";
    public static final String REJECTED = "rejected";
    public static final String FAILED = "failed";
    public static final String SKIPPED = "skipped";

    /** llama-bench's figures for the same cell, from the same build, and Java / native ratios. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record NativeResult(Stat prefillTokensPerSecond, Stat decodeTokensPerSecond, Double prefillRatio,
                               Double decodeRatio, String error) {
    }

    public static CellResult rejected(SweepCell c, String reason) {
        return withoutFigures(c, REJECTED, reason);
    }

    public static CellResult skipped(SweepCell c, String reason) {
        return withoutFigures(c, SKIPPED, reason);
    }

    public static CellResult failed(SweepCell c, String reason) {
        return withoutFigures(c, FAILED, reason);
    }

    private static CellResult withoutFigures(SweepCell c, String status, String reason) {
        return new CellResult(Schema.CURRENT, c, c.configuration(), status, reason, null, null, null, null, null, null, null, null, null,
                null, null, null, null, null, null, null, null, null, null);
    }

    public boolean ok() {
        return OK.equals(status);
    }

    public CellResult withNative(NativeResult n) {
        return new CellResult(schema, cell, configuration, status, reason, modelDescription, modelBytes, modelParameters,
                contextSize, kvBytes, kvPath, estimatedContextBytes, device, deviceUsedAfterLoad, deviceUsedAfterContext,
                deviceUsedPeak, contextDeviceBytes, prefillTokensPerSecond, decodeTokensPerSecond, ttftMillis,
                stepMillisP50, stepMillisP90, stepMillisP99, n);
    }
}
