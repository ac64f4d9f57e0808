package io.ctxbench.results;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * One line of results.jsonl: one sample generated and scored by one method on one model. Written by eval, read
 * by the report and by eval's own resume and fidelity pass. Field names are the JSON names in snake_case. Numbers a
 * reader may find absent (hand-edited or older records) are boxed: absent is null, and averages leave it out.
 *
 * @param key           the {@link RecordKey} text, unique in a run; a resumed run skips the samples it names
 * @param weightsStandIn the given file ran in place of an F16/BF16 variant that was not made
 * @param kvPath        how attention read the KV cache ({@code fused}, {@code converted}, {@code host}, {@code no-fa})
 * @param kvRotation    whether llama.cpp rotated the quantized K/V ({@code on}, {@code off}, or {@code k}/{@code v}
 *                      when only that one), as it logged it; null (and left out of the JSON) for an unquantized cache and before schema 4
 * @param kvEvict       the KV eviction after prefill ({@code io.ctxbench.engine.KvEviction#label}, e.g.
 *                      {@code streaming 25% sinks 4}); null (and left out of the JSON) without eviction and before schema 5
 * @param kvKept        prompt tokens the cache kept after eviction (the rest of {@code metrics.prompt_tokens} evicted);
 *                      null (and left out of the JSON) without eviction and before schema 5
 * @param source        where the sample came from ("file:line" or a synthetic task's seed and index)
 * @param bucket        LongBench-E length bucket of the prompt before truncation
 * @param chatFormat    how the prompt was wrapped: {@code jinja} (the GGUF's template rendered as Jinja),
 *                      {@code llama.cpp-builtin}, or {@code none} (no chat template); null in records before schema 2
 * @param targetLength  a generated (length-controlled) sample's target prompt length in the model's tokens, else null
 * @param depth         a needle sample's depth in percent of the haystack (0 = start), else null
 * @param promptSha256  SHA-256 of the prompt's token ids (little-endian int32): same prompt, same hash
 * @param pass          {@link #COST_PASS} or {@link #QUALITY_PASS} (eval --parallel); null before schema 3 (batch 1)
 */
public record SampleRecord(int schema, String key, String kind, String model, String modelFile, String modelSha256,
                           boolean weightsStandIn, String method, int level, String weights, String kvK, String kvV,
                           String kvPath, @JsonInclude(JsonInclude.Include.NON_NULL) String kvRotation,
                           @JsonInclude(JsonInclude.Include.NON_NULL) String kvEvict,
                           @JsonInclude(JsonInclude.Include.NON_NULL) Integer kvKept, String compressor, Double rate, String task, String metric, String id,
                           String source, String bucket, Integer datasetLength, Integer rawPromptTokens, Boolean truncated,
                           String chatFormat, Integer targetLength, Integer depth, String promptSha256, String prediction, List<String> answers, int[] generatedTokenIds,
                           String stopReason, String pass, Scores scores, Metrics metrics, Costs costs, String finished) {

    public static final String KIND = "sample";
    /** {@code pass}: generated alone at batch 1; its timings and memory are the study's cost figures. */
    public static final String COST_PASS = "cost";
    /** {@code pass}: generated among other sequences (eval --parallel); scores only, no per-request costs. */
    public static final String QUALITY_PASS = "quality";

    /** Whether this record's timings are batch-1 costs (records before schema 3 have no pass: they all ran at batch 1). */
    public boolean costMeasured() {
        return !QUALITY_PASS.equals(pass);
    }

    /**
     * @param score the task's metric (QA-F1 or ROUGE-L), 0..1
     * @param hallucination share of the prediction's elements not found in the context, 0..1
     */
    public record Scores(Double score, Double qaF1, Double qaPrecision, Double qaRecall,
                         @JsonProperty("rouge_l_f") Double rougeLF, Double hallucination, Integer hallucinationElements,
                         Integer hallucinatedElements) {
    }

    /**
     * What the generation cost. Times in milliseconds; {@code e2eMs} includes the compression; the compression
     * fields are there only for a method that compresses; {@code peakDeviceBytes} is -1 on a CPU-only run.
     */
    public record Metrics(Integer promptTokens, Integer generatedTokens, Double decodeTps, Double prefillTps, Double ttftMs,
                          Double e2eMs, Double generationMs, Double compressionMs, Integer contextChars,
                          Integer compressedContextChars,
                          @JsonInclude(JsonInclude.Include.NON_NULL) Integer compressionOriginalTokens,
                          @JsonInclude(JsonInclude.Include.NON_NULL) Integer compressionKeptTokens,
                          @JsonInclude(JsonInclude.Include.NON_NULL) Double compressionAchievedRate,
                          @JsonInclude(JsonInclude.Include.NON_NULL) Boolean compressionTargetMet,
                          @JsonInclude(JsonInclude.Include.NON_NULL) String compressionDevice,
                          Long peakDeviceBytes, Long processPeakRssBytes, Long modelBytes, Long kvBytes) {
    }

    /** Time the harness spent on the sample, in milliseconds: all of it, and the scoring part. */
    public record Costs(Double sampleMs, Double scoringMs) {
    }
}
