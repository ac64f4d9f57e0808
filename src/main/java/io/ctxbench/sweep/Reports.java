package io.ctxbench.sweep;

import io.ctxbench.results.CellResult;
import io.ctxbench.results.Stat;
import io.ctxbench.results.SweepCell;
import io.ctxbench.results.SweepResults;
import io.ctxbench.results.Table;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The tables of a sweep, printed through {@link Table}: markdown (formatted figures) and CSV (raw figures). Its JSON
 * and JSON lines are {@link SweepResults}'.
 */
public final class Reports {
    private Reports() {
    }

    /** A markdown table: one row per cell, Java figures, llama-bench's and the ratios when present. */
    public static String markdown(List<CellResult> results) {
        boolean parity = results.stream().anyMatch(r -> r.llamaBench() != null);
        List<String> head = new ArrayList<>(List.of("configuration", "depth", "pp", "tg", "prefill t/s", "decode t/s",
                "TTFT ms", "step ms p50/p90/p99", "KV MiB", "KV path", "device used MiB (ctx/peak)"));
        if (parity) {
            head.addAll(List.of("llama-bench pp t/s", "ratio pp", "llama-bench tg t/s", "ratio tg"));
        }
        head.add("status");
        Table t = new Table("llll" + "r".repeat(head.size() - 5) + "l", head);
        for (CellResult r : results) {
            SweepCell c = r.cell();
            List<String> row = new ArrayList<>(List.of(r.configuration(), String.valueOf(c.depth()), String.valueOf(c.nPrompt()),
                    String.valueOf(c.nGen()), pm(r.prefillTokensPerSecond()), pm(r.decodeTokensPerSecond()), pm(r.ttftMillis()),
                    r.stepMillisP50() == null ? "" : f(r.stepMillisP50()) + " / " + f(r.stepMillisP90()) + " / " + f(r.stepMillisP99()),
                    r.kvBytes() == null ? "" : f(r.kvBytes() / 1048576.0), r.kvPath() == null ? "" : r.kvPath(),
                    r.deviceUsedAfterContext() == null ? "" : f(r.deviceUsedAfterContext() / 1048576.0) + " / " + f(r.deviceUsedPeak() / 1048576.0)));
            if (parity) {
                CellResult.NativeResult n = r.llamaBench();
                if (n == null || n.error() != null && n.prefillTokensPerSecond() == null && n.decodeTokensPerSecond() == null) {
                    String e = n == null ? "" : n.error();
                    row.addAll(List.of(e, "", "", ""));
                } else {
                    row.addAll(List.of(pm(n.prefillTokensPerSecond()), ratio(n.prefillRatio()), pm(n.decodeTokensPerSecond()),
                            ratio(n.decodeRatio())));
                }
            }
            row.add(r.ok() ? "ok" : r.status() + ": " + r.reason());
            t.row(row);
        }
        return t.markdown();
    }

    private static final List<String> CSV_HEAD = List.of("index", "model", "gpu_layers", "type_k", "type_v", "kv_rotation", "flash_attn",
            "n_prompt", "n_gen", "depth", "batch", "ubatch", "threads", "status", "reason", "model_bytes", "context_size",
            "kv_bytes", "kv_path", "estimated_context_bytes", "device", "device_used_after_load", "device_used_after_context",
            "device_used_peak", "context_device_bytes", "prefill_tps_mean", "prefill_tps_stddev", "decode_tps_mean",
            "decode_tps_stddev", "ttft_ms_mean", "ttft_ms_stddev", "step_ms_p50", "step_ms_p90", "step_ms_p99",
            "llama_bench_prefill_tps_mean", "llama_bench_prefill_tps_stddev", "llama_bench_decode_tps_mean",
            "llama_bench_decode_tps_stddev", "prefill_ratio", "decode_ratio", "llama_bench_error");

    public static String csv(List<CellResult> results) {
        Table t = new Table("l".repeat(CSV_HEAD.size()), CSV_HEAD);
        for (CellResult r : results) {
            SweepCell c = r.cell();
            CellResult.NativeResult n = r.llamaBench();
            Object[] v = {c.index(), c.model(), c.gpuLayers(), c.typeK(), c.typeV(), c.kvRotation(), c.flashAttn(), c.nPrompt(), c.nGen(),
                    c.depth(), c.batch(), c.ubatch(), c.threads(), r.status(), r.reason(), r.modelBytes(), r.contextSize(),
                    r.kvBytes(), r.kvPath(), r.estimatedContextBytes(), r.device(), r.deviceUsedAfterLoad(), r.deviceUsedAfterContext(),
                    r.deviceUsedPeak(), r.contextDeviceBytes(), mean(r.prefillTokensPerSecond()), sd(r.prefillTokensPerSecond()),
                    mean(r.decodeTokensPerSecond()), sd(r.decodeTokensPerSecond()), mean(r.ttftMillis()), sd(r.ttftMillis()),
                    r.stepMillisP50(), r.stepMillisP90(), r.stepMillisP99(),
                    n == null ? null : mean(n.prefillTokensPerSecond()), n == null ? null : sd(n.prefillTokensPerSecond()),
                    n == null ? null : mean(n.decodeTokensPerSecond()), n == null ? null : sd(n.decodeTokensPerSecond()),
                    n == null ? null : n.prefillRatio(), n == null ? null : n.decodeRatio(), n == null ? null : n.error()};
            List<String> row = new ArrayList<>();
            for (Object o : v) {
                row.add(o == null ? null : o instanceof Double d ? String.format(Locale.ROOT, "%.4f", d) : o.toString());
            }
            t.row(row);
        }
        return t.csv();
    }

    private static Double mean(Stat s) {
        return s == null ? null : s.mean();
    }

    private static Double sd(Stat s) {
        return s == null ? null : s.stddev();
    }

    private static String pm(Stat s) {
        return s == null ? "" : f(s.mean()) + " ± " + f(s.stddev());
    }

    private static String ratio(Double d) {
        return d == null ? "" : "**" + String.format(Locale.ROOT, "%.3f", d) + "**";
    }

    static String f(double v) {
        return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%.1f" : "%.2f", v);
    }
}
