package io.ctxbench.sweep;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.ctxbench.CtxbenchException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The printers of a sweep, one per format: markdown, CSV, JSON (manifest + cells), JSON lines (one cell a line). */
public final class Reports {
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .disable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private Reports() {
    }

    /** A markdown table: one row per cell, Java figures, llama-bench's and the ratios when present. */
    public static String markdown(List<CellResult> results) {
        boolean parity = results.stream().anyMatch(r -> r.llamaBench() != null);
        StringBuilder b = new StringBuilder();
        List<String> head = new ArrayList<>(List.of("configuration", "depth", "pp", "tg", "prefill t/s", "decode t/s",
                "TTFT ms", "step ms p50/p90/p99", "KV MiB", "KV path", "device used MiB (ctx/peak)"));
        if (parity) {
            head.addAll(List.of("llama-bench pp t/s", "ratio pp", "llama-bench tg t/s", "ratio tg"));
        }
        head.add("status");
        b.append("| ").append(String.join(" | ", head)).append(" |\n|");
        for (int i = 0; i < head.size(); i++) {
            b.append(i < 4 ? "---|" : i == head.size() - 1 ? "---|" : "---:|");
        }
        b.append('\n');
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
            b.append("| ").append(String.join(" | ", row.stream().map(s -> s.replace("|", "\\|")).toList())).append(" |\n");
        }
        return b.toString();
    }

    private static final String[] CSV_HEAD = {"index", "model", "gpu_layers", "type_k", "type_v", "flash_attn", "n_prompt",
            "n_gen", "depth", "batch", "ubatch", "threads", "status", "reason", "model_bytes", "context_size", "kv_bytes", "kv_path",
            "estimated_context_bytes", "device", "device_used_after_load", "device_used_after_context", "device_used_peak",
            "context_device_bytes", "prefill_tps_mean", "prefill_tps_stddev", "decode_tps_mean", "decode_tps_stddev",
            "ttft_ms_mean", "ttft_ms_stddev", "step_ms_p50", "step_ms_p90", "step_ms_p99", "llama_bench_prefill_tps_mean",
            "llama_bench_prefill_tps_stddev", "llama_bench_decode_tps_mean", "llama_bench_decode_tps_stddev",
            "prefill_ratio", "decode_ratio", "llama_bench_error"};

    public static String csv(List<CellResult> results) {
        StringBuilder b = new StringBuilder(String.join(",", CSV_HEAD)).append('\n');
        for (CellResult r : results) {
            SweepCell c = r.cell();
            CellResult.NativeResult n = r.llamaBench();
            Object[] v = {c.index(), c.model(), c.gpuLayers(), c.typeK(), c.typeV(), c.flashAttn(), c.nPrompt(), c.nGen(),
                    c.depth(), c.batch(), c.ubatch(), c.threads(), r.status(), r.reason(), r.modelBytes(), r.contextSize(),
                    r.kvBytes(), r.kvPath(), r.estimatedContextBytes(), r.device(), r.deviceUsedAfterLoad(), r.deviceUsedAfterContext(),
                    r.deviceUsedPeak(), r.contextDeviceBytes(), mean(r.prefillTokensPerSecond()), sd(r.prefillTokensPerSecond()),
                    mean(r.decodeTokensPerSecond()), sd(r.decodeTokensPerSecond()), mean(r.ttftMillis()), sd(r.ttftMillis()),
                    r.stepMillisP50(), r.stepMillisP90(), r.stepMillisP99(),
                    n == null ? null : mean(n.prefillTokensPerSecond()), n == null ? null : sd(n.prefillTokensPerSecond()),
                    n == null ? null : mean(n.decodeTokensPerSecond()), n == null ? null : sd(n.decodeTokensPerSecond()),
                    n == null ? null : n.prefillRatio(), n == null ? null : n.decodeRatio(), n == null ? null : n.error()};
            for (int i = 0; i < v.length; i++) {
                if (i > 0) {
                    b.append(',');
                }
                b.append(csvField(v[i]));
            }
            b.append('\n');
        }
        return b.toString();
    }

    /** One JSON object: the run manifest, the spec, and every cell. */
    public static String json(Map<String, Object> manifest, SweepSpec spec, List<CellResult> results) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("manifest", manifest);
        o.put("spec", spec);
        o.put("cells", results);
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the sweep as JSON", e);
        }
    }

    /** One cell as a single JSON line. */
    public static String jsonLine(CellResult r) {
        try {
            return MAPPER.writeValueAsString(r) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a cell as JSON", e);
        }
    }

    /**
     * Reads a sweep.jsonl back. A sweep writes each cell when it is done and, with llama-bench, the same cell again
     * with llama-bench's figures attached: such a repeat replaces the first line (they differ in nothing else);
     * every other line is kept, so files of several runs concatenated keep all their cells. A torn last line (a
     * sweep killed while writing it) is skipped and said to {@code warn}. Cells come back in first-seen order.
     */
    public static List<CellResult> readJsonl(Path jsonl, java.util.function.Consumer<String> warn) throws IOException {
        String text;
        try {
            text = Files.readString(jsonl, StandardCharsets.UTF_8);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new CtxbenchException(jsonl + " is not UTF-8 text, so not a sweep's JSON lines");
        }
        List<String> lines = text.lines().toList();
        Map<String, CellResult> cells = new LinkedHashMap<>();   // the line without llama-bench's figures -> the cell
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n);
            if (line.isBlank()) {
                continue;
            }
            try {
                if (!(MAPPER.readTree(line) instanceof com.fasterxml.jackson.databind.node.ObjectNode o)) {
                    throw new IOException("not a JSON object");
                }
                CellResult r = MAPPER.treeToValue(o, CellResult.class);
                if (r.cell() == null || r.cell().model() == null || r.cell().typeK() == null || r.cell().typeV() == null
                        || r.cell().flashAttn() == null || r.status() == null) {
                    throw new IOException("no cell with its model, KV types, flash attention and status");
                }
                o.remove("llama_bench");
                cells.put(o.toString(), r);
            } catch (IOException e) {
                if (n == lines.size() - 1 && !text.endsWith("\n")) {
                    warn.accept(jsonl + " line " + (n + 1) + " is incomplete (the sweep was stopped while writing it); skipped");
                    continue;
                }
                throw new CtxbenchException(jsonl + " line " + (n + 1) + ": not a sweep cell ("
                        + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + ")");
            }
        }
        return new ArrayList<>(cells.values());
    }

    private static Double mean(Stat s) {
        return s == null ? null : s.mean();
    }

    private static Double sd(Stat s) {
        return s == null ? null : s.stddev();
    }

    private static String csvField(Object o) {
        if (o == null) {
            return "";
        }
        String s = o instanceof Double d ? String.format(Locale.ROOT, "%.4f", d) : o.toString();
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
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
