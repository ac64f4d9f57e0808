package io.ctxbench.report;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ctxbench.CtxbenchException;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads a run folder (results*.jsonl and fidelity*.jsonl of every shard; a key seen twice counts once and is
 * reported) and aggregates per model, method and task: score (100 x mean of the task's metric, as LongBench
 * reports), QA F1 / precision / recall (100 x mean), hallucination (mean share of hallucinated elements), decode
 * tokens/s (mean), prefill tokens/s, TTFT, end-to-end latency, peak memory (max over samples of the device peak,
 * or the process peak RSS on a CPU run), generated tokens (mean), compression time, and fidelity (mean KL, top-1
 * agreement) against the baseline. Gains are relative to the baseline method of the same model and task.
 */
public final class Report {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One (model, method, task) cell of the tables. */
    public record Row(String model, String method, int level, String task, String metric, int n, double score,
                      double f1, double precision, double recall, double rougeL, double hallucination,
                      double decodeTps, double prefillTps, double ttftMs, double e2eMs, double memBytes,
                      String memKind, double generatedTokens, double compressionMs, int fidelityN, double klMean,
                      double top1, boolean standIn, String kvPath) {
    }

    /** Ratios against the baseline: score difference (points), throughput x, memory saving x, latency x. */
    public record Gain(String model, String method, String task, double scoreDelta, double throughputX,
                       double memorySavingX, double e2eSpeedupX) {
    }

    private final List<Row> rows = new ArrayList<>();
    private final List<Gain> gains = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private String baseline;
    private int duplicates;
    private int records;

    public List<Row> rows() {
        return rows;
    }

    public List<Gain> gains() {
        return gains;
    }

    public List<String> notes() {
        return notes;
    }

    public String baseline() {
        return baseline;
    }

    public int records() {
        return records;
    }

    public int duplicates() {
        return duplicates;
    }

    /** Reads and aggregates a run folder; {@code baseline} null means the manifest's baseline or the first method. */
    public static Report load(Path dir, String baseline) {
        if (!Files.isDirectory(dir)) {
            throw new CtxbenchException("no run folder " + dir);
        }
        Report r = new Report();
        Map<String, JsonNode> samples = new LinkedHashMap<>();
        Map<String, JsonNode> fid = new LinkedHashMap<>();
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".jsonl")).sorted().toList();
        } catch (IOException e) {
            throw new CtxbenchException("cannot list " + dir + ": " + e.getMessage());
        }
        for (Path f : files) {
            String name = f.getFileName().toString();
            boolean isFid = name.startsWith("fidelity");
            if (!isFid && !name.startsWith("results")) {
                continue;
            }
            Map<String, JsonNode> target = isFid ? fid : samples;
            int lineNo = 0, torn = 0;
            try (BufferedReader in = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
                for (String line; (line = in.readLine()) != null; ) {
                    lineNo++;
                    if (line.isBlank()) {
                        continue;
                    }
                    if (torn > 0) {
                        throw new CtxbenchException(f + ":" + torn + ": not a complete JSON record, and records follow it "
                                + "(a torn write is only ever the last line): repair or remove that line");
                    }
                    JsonNode n = parse(line, f, lineNo);
                    if (n == null) {
                        torn = lineNo;
                        continue;
                    }
                    check(n, isFid, f, lineNo);
                    if (target.putIfAbsent(n.get("key").textValue(), n) != null) {
                        r.duplicates++;
                    }
                }
            } catch (MalformedInputException e) {
                throw new CtxbenchException(f + ":" + (lineNo + 1) + ": not UTF-8 text");
            } catch (IOException e) {
                throw new CtxbenchException("cannot read " + f + ": " + e.getMessage());
            }
            if (torn > 0) {
                r.notes.add(f + ":" + torn + ": unreadable line skipped (an interrupted run? resume it to repair)");
            }
        }
        if (samples.isEmpty()) {
            throw new CtxbenchException("no results in " + dir + " (results*.jsonl)");
        }
        r.records = samples.size();
        if (r.duplicates > 0) {
            r.notes.add(r.duplicates + " duplicate record(s) across shards were counted once");
        }
        Set<String> methods = new LinkedHashSet<>();
        samples.values().forEach(n -> methods.add(n.get("method").textValue()));
        if (baseline != null && !methods.contains(baseline)) {
            throw new CtxbenchException("unknown baseline method '" + baseline + "': the records in " + dir + " hold "
                    + String.join(", ", methods));
        }
        r.baseline = baseline != null ? baseline : manifestBaseline(dir);
        if (r.baseline != null && !methods.contains(r.baseline)) {
            r.notes.add("the run's baseline " + r.baseline + " has no records here, so there are no gains; choose one of "
                    + String.join(", ", methods) + " with --baseline");
        }
        r.aggregate(samples.values(), fid.values());
        return r;
    }

    /**
     * One line's JSON object, or null when the line is not complete JSON (a torn write of an interrupted run).
     * Text after the object is refused: two writers once glued two records on one line and the first was read alone.
     */
    private static JsonNode parse(String line, Path f, int lineNo) {
        JsonNode n;
        boolean more;
        try (JsonParser p = JSON.createParser(line)) {
            n = JSON.readTree(p);
            try {
                more = p.nextToken() != null;
            } catch (IOException e) {
                more = true;
            }
        } catch (IOException e) {
            return null;
        }
        if (more) {
            throw new CtxbenchException(f + ":" + lineNo + ": text after the JSON object (two records glued on one line?): "
                    + "put each record on a line of its own");
        }
        return n;
    }

    private static final List<String> SAMPLE_FIELDS = List.of("key", "model", "method", "task", "metric");
    private static final List<String> FIDELITY_FIELDS = List.of("key", "model", "method", "task");

    /**
     * Refuses a record eval would not have written: the tables group by these fields, and a record without one
     * made a row with no name (and a chart library crash). A sample's score must be a number. Eval always writes
     * one, so a missing or non-numeric score means a damaged or edited record; counting it as 0 would invent a
     * result and leaving it out would quietly change n and the mean (failures dropping out flatter a method), so
     * the researcher decides: repair the line, or remove it and resume the run to redo that sample. Other values
     * (F1, hallucination, timings) may legitimately be absent or "NaN" and are averaged over the records that have them.
     */
    private static void check(JsonNode n, boolean fidelity, Path f, int lineNo) {
        String where = f + ":" + lineNo + ": ";
        if (!n.isObject()) {
            throw new CtxbenchException(where + "not a JSON object");
        }
        for (String field : fidelity ? FIDELITY_FIELDS : SAMPLE_FIELDS) {
            JsonNode v = n.get(field);
            if (v == null || !v.isTextual() || v.textValue().isEmpty()) {
                throw new CtxbenchException(where + "the record has no \"" + field + "\" (a non-empty string); "
                        + "repair the line, or remove it and resume the run");
            }
        }
        if (!fidelity && !n.path("scores").path("score").isNumber()) {
            throw new CtxbenchException(where + "the record's scores.score is " + (n.path("scores").has("score")
                    ? n.get("scores").get("score").toString() : "missing") + ", not a number; repair the line, "
                    + "or remove it and resume the run to score that sample again");
        }
    }

    private static String manifestBaseline(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path m : s.filter(p -> p.getFileName().toString().startsWith("manifest") && p.toString().endsWith(".json")).toList()) {
                JsonNode b = JSON.readTree(m.toFile()).path("config").path("baseline");
                if (b.isTextual()) {
                    return b.asText();
                }
            }
        } catch (IOException e) {
            // no manifest: the first method is the baseline
        }
        return null;
    }

    private void aggregate(java.util.Collection<JsonNode> samples, java.util.Collection<JsonNode> fid) {
        Map<String, List<JsonNode>> groups = new LinkedHashMap<>();
        Set<String> methodsOrder = new LinkedHashSet<>();
        for (JsonNode n : samples) {
            groups.computeIfAbsent(n.path("model").asText() + "\u0000" + n.path("method").asText() + "\u0000" + n.path("task").asText(),
                    k -> new ArrayList<>()).add(n);
            methodsOrder.add(n.path("method").asText());
        }
        if (baseline == null) {
            baseline = methodsOrder.iterator().next();
        }
        Map<String, List<JsonNode>> fidGroups = new LinkedHashMap<>();
        for (JsonNode n : fid) {
            fidGroups.computeIfAbsent(n.path("model").asText() + "\u0000" + n.path("method").asText() + "\u0000" + n.path("task").asText(),
                    k -> new ArrayList<>()).add(n);
        }
        for (Map.Entry<String, List<JsonNode>> e : groups.entrySet()) {
            List<JsonNode> g = e.getValue();
            JsonNode first = g.getFirst();
            double mem = -1;
            String memKind = "device";
            for (JsonNode n : g) {
                mem = Math.max(mem, n.path("metrics").path("peak_device_bytes").asDouble(-1));
            }
            if (mem < 0) {
                memKind = "process peak RSS";
                for (JsonNode n : g) {
                    mem = Math.max(mem, n.path("metrics").path("process_peak_rss_bytes").asDouble(-1));
                }
            }
            List<JsonNode> f = fidGroups.getOrDefault(e.getKey(), List.of()).stream()
                    .filter(n -> n.path("kl_mean").isNumber()).toList();
            rows.add(new Row(first.path("model").asText(), first.path("method").asText(), first.path("level").asInt(),
                    first.path("task").asText(), first.path("metric").asText(), g.size(),
                    100 * mean(g, "scores", "score"), 100 * mean(g, "scores", "qa_f1"), 100 * mean(g, "scores", "qa_precision"),
                    100 * mean(g, "scores", "qa_recall"), 100 * mean(g, "scores", "rouge_l_f"), mean(g, "scores", "hallucination"),
                    mean(g, "metrics", "decode_tps"), mean(g, "metrics", "prefill_tps"), mean(g, "metrics", "ttft_ms"),
                    mean(g, "metrics", "e2e_ms"), mem, memKind, mean(g, "metrics", "generated_tokens"),
                    mean(g, "metrics", "compression_ms"), f.size(),
                    f.isEmpty() ? Double.NaN : f.stream().mapToDouble(n -> n.get("kl_mean").asDouble()).average().orElse(Double.NaN),
                    f.isEmpty() ? Double.NaN : f.stream().mapToDouble(n -> n.get("top1_agreement").asDouble()).average().orElse(Double.NaN),
                    g.stream().anyMatch(n -> n.path("weights_stand_in").asBoolean(false)),
                    String.join("/", g.stream().map(n -> n.path("kv_path").asText("")).filter(x -> !x.isEmpty()).distinct().toList())));
        }
        for (Row r : rows) {
            if (r.kvPath().contains("converted")) {
                notes.add(r.method() + " on " + r.task() + " ran with its K/V converted to f16 on every decode step (kv_path "
                        + "converted: the CUDA build has no flash-attention kernel for the pair), so its speed is that fallback's.");
            }
        }
        if (rows.stream().anyMatch(Row::standIn)) {
            notes.add("Some methods ran the given weights in place of the F16/BF16 variant (weights_stand_in): their "
                    + "'FP16' is the file as given, not an F16 expansion.");
        }
        for (Row r : rows) {
            Row b = rows.stream().filter(x -> x.model().equals(r.model()) && x.task().equals(r.task())
                    && x.method().equals(baseline)).findFirst().orElse(null);
            if (b == null) {
                continue;
            }
            gains.add(new Gain(r.model(), r.method(), r.task(), r.score() - b.score(), ratio(r.decodeTps(), b.decodeTps()),
                    ratio(b.memBytes(), r.memBytes()), ratio(b.e2eMs(), r.e2eMs())));
        }
    }

    private static double ratio(double a, double b) {
        return b > 0 && a > 0 ? a / b : Double.NaN;
    }

    private static double mean(List<JsonNode> g, String group, String field) {
        double s = 0;
        int n = 0;
        for (JsonNode x : g) {
            JsonNode v = x.path(group).path(field);
            if (v.isNumber()) {
                s += v.asDouble();
                n++;
            }
        }
        return n == 0 ? Double.NaN : s / n;
    }

    public List<String> tasks() {
        return rows.stream().map(Row::task).distinct().toList();
    }

    public List<String> models() {
        return rows.stream().map(Row::model).distinct().toList();
    }

    // ---------------------------------------------------------------- text formats

    static String f(double v, int digits) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%." + digits + "f", v);
    }

    static String gb(double bytes) {
        return bytes < 0 || Double.isNaN(bytes) ? "-" : String.format(Locale.ROOT, "%.2f", bytes / 1e9);
    }

    /** The study's layout in markdown: per task Score, Tok/s, Mem, No. Tok; QA tasks F1, Prec, Recall, Hall.; gains; fidelity. */
    public String markdown(String title) {
        StringBuilder sb = new StringBuilder();
        sb.append("# ").append(title).append("\n\n");
        sb.append("Baseline: **").append(baseline).append("**. Score = 100 x mean of the task's LongBench metric; ")
                .append("Tok/s = decode tokens/s (mean over samples); Mem = peak memory in GB; No. Tok = mean generated tokens; ")
                .append("Hall. = mean share of hallucinated answer elements (0..1); KL = mean per-token KL(baseline || method) in nats ")
                .append("over the baseline's generation; Top-1 = share of positions where both pick the same token.\n\n");
        for (String n : notes) {
            sb.append("> ").append(n).append("\n\n");
        }
        for (String model : models()) {
            sb.append("## ").append(model).append("\n\n");
            for (String task : tasks()) {
                List<Row> rs = rows.stream().filter(r -> r.model().equals(model) && r.task().equals(task)).toList();
                if (rs.isEmpty()) {
                    continue;
                }
                Row any = rs.getFirst();
                sb.append("### ").append(task).append(" (").append(any.metric()).append(", n=").append(any.n()).append(")\n\n");
                sb.append("| Method | Score | Tok/s | Mem (GB) | No. Tok | Prefill t/s | TTFT (ms) | E2E (s) | Compr. (ms) | KL | Top-1 | KV path |\n");
                sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
                for (Row r : rs) {
                    sb.append("| ").append(r.method()).append(" | ").append(f(r.score(), 2)).append(" | ").append(f(r.decodeTps(), 1))
                            .append(" | ").append(gb(r.memBytes())).append(" | ").append(f(r.generatedTokens(), 1))
                            .append(" | ").append(f(r.prefillTps(), 0)).append(" | ").append(f(r.ttftMs(), 0))
                            .append(" | ").append(f(r.e2eMs() / 1000, 2)).append(" | ").append(f(r.compressionMs(), 1))
                            .append(" | ").append(f(r.klMean(), 4)).append(" | ").append(f(r.top1(), 3))
                            .append(" | ").append(r.kvPath().isEmpty() ? "-" : r.kvPath()).append(" |\n");
                }
                sb.append("\n");
                if (any.metric().equals("qa_f1")) {
                    sb.append("| Method | F1 | Prec | Recall | Hall. |\n|---|---:|---:|---:|---:|\n");
                    for (Row r : rs) {
                        sb.append("| ").append(r.method()).append(" | ").append(f(r.f1(), 2)).append(" | ").append(f(r.precision(), 2))
                                .append(" | ").append(f(r.recall(), 2)).append(" | ").append(f(r.hallucination(), 3)).append(" |\n");
                    }
                } else {
                    sb.append("| Method | ROUGE-L | F1 | Hall. |\n|---|---:|---:|---:|\n");
                    for (Row r : rs) {
                        sb.append("| ").append(r.method()).append(" | ").append(f(r.rougeL(), 2)).append(" | ").append(f(r.f1(), 2))
                                .append(" | ").append(f(r.hallucination(), 3)).append(" |\n");
                    }
                }
                sb.append("\n");
            }
            sb.append("### Gains relative to ").append(baseline).append("\n\n");
            sb.append("| Task | Method | Score delta | Throughput x | Memory saving x | E2E speed-up x |\n|---|---|---:|---:|---:|---:|\n");
            for (Gain g : gains) {
                if (g.model().equals(model)) {
                    sb.append("| ").append(g.task()).append(" | ").append(g.method()).append(" | ").append(f(g.scoreDelta(), 2))
                            .append(" | ").append(f(g.throughputX(), 2)).append(" | ").append(f(g.memorySavingX(), 2))
                            .append(" | ").append(f(g.e2eSpeedupX(), 2)).append(" |\n");
                }
            }
            sb.append("\n");
        }
        return sb.toString();
    }

    public String csv() {
        StringBuilder sb = new StringBuilder("model,method,level,task,metric,n,score,qa_f1,qa_precision,qa_recall,rouge_l,"
                + "hallucination,decode_tps,prefill_tps,ttft_ms,e2e_ms,mem_bytes,mem_kind,generated_tokens,compression_ms,"
                + "fidelity_n,kl_mean,top1_agreement,weights_stand_in,kv_path,score_delta,throughput_x,memory_saving_x,e2e_speedup_x\n");
        for (Row r : rows) {
            Gain g = gains.stream().filter(x -> x.model().equals(r.model()) && x.method().equals(r.method())
                    && x.task().equals(r.task())).findFirst().orElse(null);
            sb.append(String.join(",", csvq(r.model()), csvq(r.method()), "" + r.level(), csvq(r.task()), r.metric(), "" + r.n(),
                    num(r.score()), num(r.f1()), num(r.precision()), num(r.recall()), num(r.rougeL()), num(r.hallucination()),
                    num(r.decodeTps()), num(r.prefillTps()), num(r.ttftMs()), num(r.e2eMs()), num(r.memBytes()), csvq(r.memKind()),
                    num(r.generatedTokens()), num(r.compressionMs()), "" + r.fidelityN(), num(r.klMean()), num(r.top1()),
                    "" + r.standIn(), csvq(r.kvPath()), g == null ? "" : num(g.scoreDelta()), g == null ? "" : num(g.throughputX()),
                    g == null ? "" : num(g.memorySavingX()), g == null ? "" : num(g.e2eSpeedupX()))).append('\n');
        }
        return sb.toString();
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : Double.toString(v);
    }

    private static String csvq(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    public String json() {
        ObjectNode root = JSON.createObjectNode();
        root.put("baseline", baseline);
        root.put("records", records);
        ArrayNode notesNode = root.putArray("notes");
        notes.forEach(notesNode::add);
        ArrayNode rs = root.putArray("rows");
        for (Row r : rows) {
            rs.add(JSON.valueToTree(r));
        }
        ArrayNode gs = root.putArray("gains");
        for (Gain g : gains) {
            gs.add(JSON.valueToTree(g));
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
