package io.ctxbench.report;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.ctxbench.CtxbenchException;
import io.ctxbench.results.EvalResults;
import io.ctxbench.results.FidelityRecord;
import io.ctxbench.results.Json;
import io.ctxbench.results.SampleRecord;
import io.ctxbench.results.Schema;
import io.ctxbench.results.Table;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads a run folder through {@link EvalResults} (results*.jsonl and fidelity*.jsonl of every shard; a key seen twice
 * counts once and is reported) and aggregates per model, method and task: score (100 x mean of the task's metric, as LongBench
 * reports), QA F1 / precision / recall (100 x mean), hallucination (mean share of hallucinated elements), decode
 * tokens/s (mean), prefill tokens/s, TTFT, end-to-end latency, peak memory (max over samples of the device peak,
 * or the process peak RSS on a CPU run), generated tokens (mean), compression time, and fidelity (mean KL, top-1
 * agreement) against the baseline. Gains are relative to the baseline method of the same model and task.
 */
public final class Report {

    /** One (model, method, task) cell of the tables; its JSON names are report.csv's columns. */
    public record Row(String model, String method, int level, String task, String metric, int n, double score,
                      @JsonProperty("qa_f1") double f1, @JsonProperty("qa_precision") double precision,
                      @JsonProperty("qa_recall") double recall, double rougeL, double hallucination,
                      double decodeTps, double prefillTps, double ttftMs, double e2eMs, double memBytes,
                      String memKind, double generatedTokens, double compressionMs, int fidelityN, double klMean,
                      @JsonProperty("top1_agreement") double top1, @JsonProperty("weights_stand_in") boolean standIn,
                      String kvPath) {
    }

    /** Ratios against the baseline: score difference (points), throughput x, memory saving x, latency x. */
    public record Gain(String model, String method, String task, double scoreDelta, double throughputX,
                       double memorySavingX, double e2eSpeedupX) {
    }

    private final List<Row> rows = new ArrayList<>();
    private final List<Gain> gains = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private String baseline;
    private LengthResults lengths = LengthResults.EMPTY;
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

    /** RULER by length and the needle grid (empty when the run has no length-controlled records). */
    public LengthResults lengths() {
        return lengths;
    }

    /** Reads and aggregates a run folder; {@code baseline} null means the manifest's baseline or the first method. */
    public static Report load(Path dir, String baseline) {
        EvalResults in = EvalResults.load(dir);
        Report r = new Report();
        r.records = in.samples().size();
        r.duplicates = in.duplicates();
        r.notes.addAll(in.notes());
        Set<String> methods = new LinkedHashSet<>();
        in.samples().forEach(n -> methods.add(n.method()));
        if (baseline != null && !methods.contains(baseline)) {
            throw new CtxbenchException("unknown baseline method '" + baseline + "': the records in " + dir + " hold "
                    + String.join(", ", methods));
        }
        r.baseline = baseline != null ? baseline : in.manifestBaseline();
        if (r.baseline != null && !methods.contains(r.baseline)) {
            r.notes.add("the run's baseline " + r.baseline + " has no records here, so there are no gains; choose one of "
                    + String.join(", ", methods) + " with --baseline");
        }
        r.aggregate(in.samples(), in.fidelity());
        r.lengths = LengthResults.of(in.samples(), r.baseline);
        return r;
    }

    private void aggregate(Collection<SampleRecord> samples, Collection<FidelityRecord> fid) {
        Map<String, List<SampleRecord>> groups = new LinkedHashMap<>();
        Set<String> methodsOrder = new LinkedHashSet<>();
        for (SampleRecord n : samples) {
            groups.computeIfAbsent(n.model() + "\u0000" + n.method() + "\u0000" + n.task(), k -> new ArrayList<>()).add(n);
            methodsOrder.add(n.method());
        }
        if (baseline == null) {
            baseline = methodsOrder.iterator().next();
        }
        Map<String, List<FidelityRecord>> fidGroups = new LinkedHashMap<>();
        for (FidelityRecord n : fid) {
            fidGroups.computeIfAbsent(n.model() + "\u0000" + n.method() + "\u0000" + n.task(), k -> new ArrayList<>()).add(n);
        }
        for (Map.Entry<String, List<SampleRecord>> e : groups.entrySet()) {
            List<SampleRecord> g = e.getValue();
            SampleRecord first = g.getFirst();
            String memKind = "device";
            double mem = max(g, m -> m.peakDeviceBytes());
            if (mem < 0) {
                memKind = "process peak RSS";
                mem = max(g, m -> m.processPeakRssBytes());
            }
            List<FidelityRecord> f = fidGroups.getOrDefault(e.getKey(), List.of()).stream()
                    .filter(n -> finite(n.klMean())).toList();
            rows.add(new Row(first.model(), first.method(), first.level(), first.task(), first.metric(), g.size(),
                    100 * mean(g, x -> scores(x).score()), 100 * mean(g, x -> scores(x).qaF1()),
                    100 * mean(g, x -> scores(x).qaPrecision()), 100 * mean(g, x -> scores(x).qaRecall()),
                    100 * mean(g, x -> scores(x).rougeLF()), mean(g, x -> scores(x).hallucination()),
                    mean(g, x -> metrics(x).decodeTps()), mean(g, x -> metrics(x).prefillTps()), mean(g, x -> metrics(x).ttftMs()),
                    mean(g, x -> metrics(x).e2eMs()), mem, memKind,
                    mean(g, x -> metrics(x).generatedTokens() == null ? null : metrics(x).generatedTokens().doubleValue()),
                    mean(g, x -> metrics(x).compressionMs()), f.size(), mean(f, FidelityRecord::klMean),
                    mean(f, FidelityRecord::top1Agreement),
                    g.stream().anyMatch(SampleRecord::weightsStandIn),
                    String.join("/", g.stream().map(n -> n.kvPath() == null ? "" : n.kvPath()).filter(x -> !x.isEmpty())
                            .distinct().toList())));
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

    // a record read back may lack a group or a value (hand-made, older): absent counts as not measured
    private static final SampleRecord.Scores NO_SCORES = new SampleRecord.Scores(null, null, null, null, null, null, null, null);
    private static final SampleRecord.Metrics NO_METRICS = new SampleRecord.Metrics(null, null, null, null, null, null, null,
            null, null, null, null, null, null, null, null, null, null, null, null);

    private static SampleRecord.Scores scores(SampleRecord r) {
        return r.scores() == null ? NO_SCORES : r.scores();
    }

    private static SampleRecord.Metrics metrics(SampleRecord r) {
        return r.metrics() == null ? NO_METRICS : r.metrics();
    }

    private static boolean finite(Double v) {
        return v != null && Double.isFinite(v);
    }

    /** The largest of a byte count over the group, -1 when no record has one. */
    private static double max(List<SampleRecord> g, Function<SampleRecord.Metrics, Long> field) {
        double m = -1;
        for (SampleRecord x : g) {
            Long v = field.apply(metrics(x));
            m = v == null ? m : Math.max(m, v);
        }
        return m;
    }

    private static double ratio(double a, double b) {
        return b > 0 && a > 0 ? a / b : Double.NaN;
    }

    /** The mean over the records that have a finite value; NaN when none has. */
    private static <T> double mean(List<T> g, Function<T, Double> field) {
        double s = 0;
        int n = 0;
        for (T x : g) {
            Double v = field.apply(x);
            if (finite(v)) {
                s += v;
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
                Table main = new Table("lrrrrrrrrrrl", List.of("Method", "Score", "Tok/s", "Mem (GB)", "No. Tok", "Prefill t/s",
                        "TTFT (ms)", "E2E (s)", "Compr. (ms)", "KL", "Top-1", "KV path"));
                for (Row r : rs) {
                    main.row(r.method(), f(r.score(), 2), f(r.decodeTps(), 1), gb(r.memBytes()), f(r.generatedTokens(), 1),
                            f(r.prefillTps(), 0), f(r.ttftMs(), 0), f(r.e2eMs() / 1000, 2), f(r.compressionMs(), 1),
                            f(r.klMean(), 4), f(r.top1(), 3), r.kvPath().isEmpty() ? "-" : r.kvPath());
                }
                sb.append(main.markdown()).append("\n");
                Table quality;
                if (any.metric().equals("qa_f1")) {
                    quality = new Table("lrrrr", List.of("Method", "F1", "Prec", "Recall", "Hall."));
                    rs.forEach(r -> quality.row(r.method(), f(r.f1(), 2), f(r.precision(), 2), f(r.recall(), 2),
                            f(r.hallucination(), 3)));
                } else {
                    quality = new Table("lrrr", List.of("Method", "ROUGE-L", "F1", "Hall."));
                    rs.forEach(r -> quality.row(r.method(), f(r.rougeL(), 2), f(r.f1(), 2), f(r.hallucination(), 3)));
                }
                sb.append(quality.markdown()).append("\n");
            }
            sb.append("### Gains relative to ").append(baseline).append("\n\n");
            Table gt = new Table("llrrrr", List.of("Task", "Method", "Score delta", "Throughput x", "Memory saving x",
                    "E2E speed-up x"));
            for (Gain g : gains) {
                if (g.model().equals(model)) {
                    gt.row(g.task(), g.method(), f(g.scoreDelta(), 2), f(g.throughputX(), 2), f(g.memorySavingX(), 2),
                            f(g.e2eSpeedupX(), 2));
                }
            }
            sb.append(gt.markdown()).append("\n");
        }
        sb.append(lengths.markdown());
        return sb.toString();
    }

    /** One line per row with its gains; the columns are report.json's row and gain names. */
    public String csv() {
        Table t = new Table("l".repeat(29), List.of("model", "method", "level", "task", "metric", "n", "score", "qa_f1",
                "qa_precision", "qa_recall", "rouge_l", "hallucination", "decode_tps", "prefill_tps", "ttft_ms", "e2e_ms",
                "mem_bytes", "mem_kind", "generated_tokens", "compression_ms", "fidelity_n", "kl_mean", "top1_agreement",
                "weights_stand_in", "kv_path", "score_delta", "throughput_x", "memory_saving_x", "e2e_speedup_x"));
        for (Row r : rows) {
            Gain g = gains.stream().filter(x -> x.model().equals(r.model()) && x.method().equals(r.method())
                    && x.task().equals(r.task())).findFirst().orElse(null);
            t.row(r.model(), r.method(), "" + r.level(), r.task(), r.metric(), "" + r.n(),
                    num(r.score()), num(r.f1()), num(r.precision()), num(r.recall()), num(r.rougeL()), num(r.hallucination()),
                    num(r.decodeTps()), num(r.prefillTps()), num(r.ttftMs()), num(r.e2eMs()), num(r.memBytes()), r.memKind(),
                    num(r.generatedTokens()), num(r.compressionMs()), "" + r.fidelityN(), num(r.klMean()), num(r.top1()),
                    "" + r.standIn(), r.kvPath(), g == null ? "" : num(g.scoreDelta()), g == null ? "" : num(g.throughputX()),
                    g == null ? "" : num(g.memorySavingX()), g == null ? "" : num(g.e2eSpeedupX()));
        }
        return t.csv();
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : Double.toString(v);
    }

    /** report.json: snake_case, a figure that could not be computed is null. */
    public String json() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("schema", Schema.CURRENT);
        root.put("baseline", baseline);
        root.put("records", records);
        root.put("notes", notes);
        root.put("rows", rows);
        root.put("gains", gains);
        root.put("lengths", lengths.ruler());
        root.put("ruler", lengths.rulerJson());
        root.put("needle", lengths.needle());
        root.put("needle_means", lengths.needleMeans());
        return Json.pretty(root);
    }
}
