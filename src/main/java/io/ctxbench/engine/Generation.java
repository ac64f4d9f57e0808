package io.ctxbench.engine;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.Arrays;
import java.util.List;

/** One generation: the tokens and text produced, why it stopped, its timings and memory readings. */
public record Generation(int[] tokens, String text, StopReason stopReason, Timings timings, Memory memory) {

    /**
     * Times in nanoseconds, from System.nanoTime around the native calls. {@code prefillNs} covers the prompt's
     * decode calls until the device is done ({@code llama_synchronize}); {@code ttftNs} adds the first sample
     * (time to first token from the start of prefill); {@code stepNs[i]} is one decode call of one token until
     * the device is done, as llama-bench times its tg test; {@code sampleNs[i]} is the greedy sample after it
     * (on the CPU, over the whole vocabulary).
     * {@code loopHeapBytes} is what the generating thread allocated on the Java heap from the start of prefill
     * to the end of the token loop (0 once the loop is compiled: it allocates nothing).
     */
    public record Timings(int promptTokens, int generatedTokens, long prefillNs, long ttftNs, long[] stepNs,
                          long[] sampleNs, long endToEndNs, long loopHeapBytes, LlamaPerf llamaPerf) {

        @JsonProperty
        public double prefillTokensPerSecond() {
            return prefillNs == 0 ? 0 : promptTokens * 1e9 / prefillNs;
        }

        /** Decode throughput: decode calls over their summed time, as llama-bench's tg figure counts it. */
        @JsonProperty
        public double decodeTokensPerSecond() {
            long sum = 0;
            for (long s : stepNs) {
                sum += s;
            }
            return sum == 0 ? 0 : stepNs.length * 1e9 / sum;
        }

        /** Tokens per second of the whole per-token step, decode plus sampling: what a user of the loop sees. */
        @JsonProperty
        public double generationTokensPerSecond() {
            long sum = 0;
            for (int i = 0; i < stepNs.length; i++) {
                sum += stepNs[i] + sampleNs[i];
            }
            return sum == 0 ? 0 : stepNs.length * 1e9 / sum;
        }

        /** Mean time of one greedy sample, in milliseconds. */
        @JsonProperty
        public double sampleMillisMean() {
            long sum = 0;
            for (long x : sampleNs) {
                sum += x;
            }
            return sampleNs.length == 0 ? 0 : sum / 1e6 / sampleNs.length;
        }

        @JsonProperty
        public double ttftMillis() {
            return ttftNs / 1e6;
        }

        @JsonProperty
        public double endToEndMillis() {
            return endToEndNs / 1e6;
        }

        /** Per-token decode latency percentiles in milliseconds: p50, p90, p99, max. */
        @JsonProperty
        public double[] stepMillisP50P90P99Max() {
            if (stepNs.length == 0) {
                return new double[0];
            }
            long[] s = stepNs.clone();
            Arrays.sort(s);
            return new double[]{pct(s, 0.50), pct(s, 0.90), pct(s, 0.99), s[s.length - 1] / 1e6};
        }

        private static double pct(long[] sorted, double q) {
            int i = (int) Math.ceil(q * sorted.length) - 1;
            return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
        }
    }

    /** llama.cpp's own counters for the same generation ({@code llama_perf_context}), for cross-checking. */
    public record LlamaPerf(double promptEvalMillis, int promptEvalTokens, double evalMillis, int evalTokens) {
    }

    /**
     * Memory: model weights and KV cache bytes as allocated, device memory snapshots before/after load, before/
     * after context creation, and the highest use seen per device while generating; the process's resident
     * memory after generating and its high-water mark (VmHWM; on a CPU run this is where weights and KV live).
     */
    public record Memory(long modelBytes, long kvBytesK, long kvBytesV, KvCacheType typeK, KvCacheType typeV,
                         List<Devices.Memory> beforeLoad, List<Devices.Memory> afterLoad,
                         List<Devices.Memory> beforeContext, List<Devices.Memory> afterContext,
                         List<Devices.Memory> peakDuringGeneration, long processResidentBytes,
                         long processPeakResidentBytes) {
        @JsonProperty
        public long kvBytes() {
            return kvBytesK + kvBytesV;
        }
    }
}
