package io.ctxbench.report;

import io.ctxbench.CtxbenchException;
import io.ctxbench.results.Bootstrap;
import io.ctxbench.results.EvalResults;
import io.ctxbench.results.FidelityRecord;
import io.ctxbench.results.Interval;
import io.ctxbench.results.Json;
import io.ctxbench.results.SampleRecord;
import io.ctxbench.results.Schema;
import io.ctxbench.results.Table;
import io.ctxbench.score.AnswerMatch;
import io.ctxbench.score.QaScore;
import io.ctxbench.tasks.Prompts;

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
import java.util.stream.Stream;

import static io.ctxbench.report.Column.ci;
import static io.ctxbench.report.Column.col;
import static io.ctxbench.report.Column.columns;
import static io.ctxbench.report.Column.map;
import static io.ctxbench.report.Column.text;

/**
 * Reads a run folder through {@link EvalResults} (results*.jsonl and fidelity*.jsonl of every shard; a key seen twice
 * counts once and is reported) and aggregates per model, method and task, every figure with its 95% confidence
 * interval by the percentile {@link Bootstrap} over samples: score (100 x mean of the task's metric, as LongBench
 * reports), QA F1 / precision / recall and ROUGE-L (100 x mean), exact match and contains-answer ({@link AnswerMatch},
 * 100 x share, for tasks with exact answers: see {@link #exactAnswers}), hallucination (mean share of hallucinated
 * elements), speed and memory ({@link Cost}), generated tokens (mean), compression time, fidelity (mean KL, top-1
 * agreement) against the baseline; prompts truncated; the score per LongBench-E length bucket. Differences from the
 * baseline method of the same model and task pair each record with the baseline's record of the same sample
 * ({@link Pairs}). Length-controlled records (RULER, the needle grid: {@link LengthResults#kindOf}) count in
 * {@link #records()} but are no task rows: {@link LengthResults} has them, by length. A model that eval's manifest lists
 * as synthetic (random weights) is labelled so wherever it is named.
 */
public final class Report {
    /** Below this many paired samples the report says the methods cannot be told apart. */
    static final int MIN_N = 5;
    /** A task whose every answer has at most this many words (normalized) has exact answers. */
    static final int SHORT_ANSWER_WORDS = 5;

    /**
     * One (model, method, task) cell of the tables. {@code cost}: speed and memory ({@link Cost}); {@code exactMatch}
     * and {@code contains} have no value for a task without exact answers; {@code truncated} is null when no record
     * says; {@code buckets} holds the score per LongBench-E bucket present.
     */
    public record Row(String model, String method, int level, String task, String metric, int n, Interval score,
                      Interval f1, Interval precision, Interval recall, Interval rougeL, Interval hallucination,
                      Interval exactMatch, Interval contains, Cost cost, Interval generatedTokens, Interval compressionMs,
                      int fidelityN, Interval klMean, Interval top1, boolean standIn, String kvPath, Integer truncated,
                      Map<String, Interval> buckets) {
    }

    /**
     * Against the baseline on the samples both have ({@code nPaired}; {@code nUnpaired} records of this method have no
     * baseline record of their sample and are left out): score difference in points, throughput x (ratio of the two
     * total-over-total decode rates), end-to-end speed-up x (baseline's total over this one's), each with its paired
     * bootstrap interval; memory saving x (baseline's peak over this one's, no interval).
     */
    public record Gain(String model, String method, String task, int nPaired, int nUnpaired, Interval scoreDelta,
                       Interval throughputX, double memorySavingX, Interval e2eSpeedupX) {
    }

    private final List<Row> rows = new ArrayList<>();
    private final List<Gain> gains = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private String baseline;
    private LengthResults lengths = LengthResults.EMPTY;
    private List<String> synthetic = List.of();
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
        if (r.baseline == null) {
            r.baseline = methods.iterator().next();
        } else if (!methods.contains(r.baseline)) {
            r.notes.add("the run's baseline " + r.baseline + " has no records here, so there are no gains; choose one of "
                    + String.join(", ", methods) + " with --baseline");
        }
        Set<String> models = new LinkedHashSet<>();
        in.samples().forEach(n -> models.add(n.model()));
        r.synthetic = models.stream().filter(in.syntheticModels()::contains).toList();
        r.synthetic.forEach(m -> r.notes.add(m + " is a synthetic model (`ctxbench models synth`: its GGUF says "
                + "ctxbench.synthetic): its scores are meaningless: random weights. Its speed and memory are those of the "
                + "shape it imitates."));
        long quality = in.samples().stream().filter(x -> !x.costMeasured()).count();
        if (quality > 0) {
            r.notes.add("Scores are over every record; the cost figures (tokens/s, TTFT, E2E, memory and their ratios) "
                    + "only over the " + (in.samples().size() - quality) + " records of the batch-1 cost pass: the other "
                    + quality + " ran in eval's parallel quality pass (pass: quality), several sequences at once, with no "
                    + "per-sample timings.");
        }
        // length-controlled records (RULER, the needle grid) have their own tables, per length
        Set<String> lengthControlled = new java.util.HashSet<>();
        List<SampleRecord> longBench = new ArrayList<>();
        for (SampleRecord n : in.samples()) {
            if (LengthResults.kindOf(n) == null) {
                longBench.add(n);
            } else {
                lengthControlled.add(n.key());
            }
        }
        r.aggregate(longBench, in.fidelity().stream().filter(f -> !lengthControlled.contains(f.key())).toList());
        r.lengths = LengthResults.of(in.samples(), r.baseline, r.synthetic);
        return r;
    }

    /** The models whose GGUF says it is a synthetic model with random weights (the run's manifest records it). */
    public List<String> syntheticModels() {
        return synthetic;
    }

    /** A model as the headings name it: a synthetic one says that its scores are meaningless. */
    static String heading(String model, List<String> synthetic) {
        return synthetic.contains(model) ? model + " [random weights: scores are meaningless]" : model;
    }

    private void aggregate(Collection<SampleRecord> samples, Collection<FidelityRecord> fid) {
        Map<String, List<SampleRecord>> groups = new LinkedHashMap<>();
        Map<String, List<SampleRecord>> byTask = new LinkedHashMap<>();
        for (SampleRecord n : samples) {
            groups.computeIfAbsent(n.model() + "\u0000" + n.method() + "\u0000" + n.task(), k -> new ArrayList<>()).add(n);
            byTask.computeIfAbsent(n.model() + "\u0000" + n.task(), k -> new ArrayList<>()).add(n);
        }
        Map<String, List<FidelityRecord>> fidGroups = new LinkedHashMap<>();
        for (FidelityRecord n : fid) {
            fidGroups.computeIfAbsent(n.model() + "\u0000" + n.method() + "\u0000" + n.task(), k -> new ArrayList<>()).add(n);
        }
        Map<String, List<SampleRecord>> baselineOf = new LinkedHashMap<>();
        for (Map.Entry<String, List<SampleRecord>> e : groups.entrySet()) {
            List<SampleRecord> g = e.getValue();
            SampleRecord first = g.getFirst();
            if (first.method().equals(baseline)) {
                baselineOf.put(first.model() + "\u0000" + first.task(), g);
            }
            List<FidelityRecord> f = fidGroups.getOrDefault(e.getKey(), List.of()).stream()
                    .filter(n -> Cost.finite(n.klMean())).toList();
            boolean exact = exactAnswers(byTask.get(first.model() + "\u0000" + first.task()));
            Map<String, Interval> buckets = new LinkedHashMap<>();
            for (String b : buckets(g)) {
                buckets.put(b, Bootstrap.mean(values(g.stream().filter(x -> b.equals(x.bucket())).toList(),
                        x -> scores(x).score())).times(100));
            }
            long truncatedKnown = g.stream().filter(x -> x.truncated() != null).count();
            rows.add(new Row(first.model(), first.method(), first.level(), first.task(), first.metric(), g.size(),
                    percent(g, x -> scores(x).score()), percent(g, x -> scores(x).qaF1()),
                    percent(g, x -> scores(x).qaPrecision()), percent(g, x -> scores(x).qaRecall()),
                    percent(g, x -> scores(x).rougeLF()), Bootstrap.mean(values(g, x -> scores(x).hallucination())),
                    exact ? percent(g, x -> answered(x) ? AnswerMatch.exactMatch(x.prediction(), x.answers()) : null)
                            : Interval.none(0),
                    exact ? percent(g, x -> answered(x) ? AnswerMatch.contains(x.prediction(), x.answers()) : null)
                            : Interval.none(0),
                    Cost.of(g), Bootstrap.mean(values(g, x -> Cost.metrics(x).generatedTokens())),
                    Bootstrap.mean(values(g, x -> Cost.metrics(x).compressionMs())), f.size(),
                    Bootstrap.mean(values(f, FidelityRecord::klMean)), Bootstrap.mean(values(f, FidelityRecord::top1Agreement)),
                    g.stream().anyMatch(SampleRecord::weightsStandIn),
                    String.join("/", g.stream().map(n -> n.kvPath() == null ? "" : n.kvPath()).filter(x -> !x.isEmpty())
                            .distinct().toList()),
                    truncatedKnown == 0 ? null : (int) g.stream().filter(x -> Boolean.TRUE.equals(x.truncated())).count(),
                    buckets));
        }
        for (Row r : rows) {
            if (r.kvPath().contains("converted")) {
                notes.add(r.method() + " on " + r.task() + " ran with its K/V converted to f16 on every decode step (kv_path "
                        + "converted: the CUDA build has no flash-attention kernel for the pair), so its speed is that fallback's.");
            }
            if (r.kvPath().contains("host")) {
                notes.add(r.method() + " on " + r.task() + " ran its attention on the CPU (kv_path host: CUDA's flash "
                        + "attention takes no iq4_nl cache), so its speed is that fallback's.");
            }
        }
        if (rows.stream().anyMatch(Row::standIn)) {
            notes.add("Some methods ran the given weights in place of the F16/BF16 variant (weights_stand_in): their "
                    + "'FP16' is the file as given, not an F16 expansion.");
        }
        for (Row r : rows) {
            List<SampleRecord> base = baselineOf.get(r.model() + "\u0000" + r.task());
            if (base == null) {
                continue;
            }
            Gain g = gain(r, groups.get(r.model() + "\u0000" + r.method() + "\u0000" + r.task()), base,
                    rows.stream().filter(x -> x.model().equals(r.model()) && x.task().equals(r.task())
                            && x.method().equals(baseline)).findFirst().orElseThrow());
            gains.add(g);
            if (g.nUnpaired() > 0) {
                notes.add(r.method() + " on " + r.task() + ": " + g.nUnpaired() + " of " + r.n() + " records have no " + baseline
                        + " record of the same sample and are left out of its differences from " + baseline + ".");
            }
        }
        noteSmallN();
    }

    /** The paired comparison of one row's records with the baseline's records of the same model and task. */
    private static Gain gain(Row r, List<SampleRecord> g, List<SampleRecord> base, Row b) {
        Pairs p = Pairs.of(g, base);
        return new Gain(r.model(), r.method(), r.task(), p.n(), p.unpaired(),
                Bootstrap.meanDifference(values(p.mine(), x -> scores(x).score()),
                        values(p.theirs(), x -> scores(x).score())).times(100),
                Cost.throughputX(p), r.cost().memorySavingX(b.cost()), Cost.e2eSpeedupX(p));
    }

    /** Says so plainly, per model, when the samples are too few to separate the methods from the baseline. */
    private void noteSmallN() {
        for (String model : models()) {
            List<Gain> compared = gains.stream().filter(g -> g.model().equals(model) && !g.method().equals(baseline)).toList();
            if (compared.isEmpty()) {
                continue;
            }
            int min = compared.stream().mapToInt(Gain::nPaired).min().orElseThrow();
            int max = compared.stream().mapToInt(Gain::nPaired).max().orElseThrow();
            String on = models().size() > 1 ? model + ": " : "";
            String n = "n = " + (min == max ? "" + min : min + " to " + max) + " paired sample" + (max == 1 ? "" : "s")
                    + " per task";
            if (min < MIN_N) {
                notes.add(on + n + ", fewer than " + MIN_N + ": too few to separate the methods. The differences and ratios "
                        + "against " + baseline + " are not evidence either way; run more samples (eval --limit, "
                        + "--synthetic-count) before reading them.");
            } else if (compared.stream().noneMatch(g -> g.scoreDelta().excludesZero())) {
                notes.add(on + "no method's score differs from " + baseline + "'s beyond its 95% interval (" + n + "): at "
                        + "this n the methods are not separated on quality.");
            }
        }
    }

    /**
     * Whether a task's records have exact answers, so exact match and contains-answer mean something: its metric is a
     * QA F1 (qa_f1, qa_f1_zh), or every answer of every record has at most {@link #SHORT_ANSWER_WORDS} words after
     * normalization (a needle's number, a count, a class label, "Paragraph 3"); summaries and code do not.
     */
    static boolean exactAnswers(List<SampleRecord> task) {
        if (task.stream().allMatch(x -> x.metric().startsWith("qa_f1"))) {
            return true;
        }
        List<String> answers = task.stream().filter(Report::answered).flatMap(x -> x.answers().stream()).toList();
        return !answers.isEmpty() && answers.stream().allMatch(a -> QaScore.tokens(a).size() <= SHORT_ANSWER_WORDS);
    }

    private static boolean answered(SampleRecord x) {
        return x.prediction() != null && x.answers() != null && !x.answers().isEmpty();
    }

    /** The LongBench-E buckets of the records, in {@link Prompts#BUCKETS} order, then any other in order of appearance. */
    private static List<String> buckets(List<SampleRecord> g) {
        List<String> seen = g.stream().map(SampleRecord::bucket).filter(b -> b != null && !b.isEmpty()).distinct().toList();
        List<String> out = new ArrayList<>(Prompts.BUCKETS.stream().filter(seen::contains).toList());
        seen.stream().filter(b -> !out.contains(b)).forEach(out::add);
        return out;
    }

    // a record read back may lack its scores (hand-made, older): absent counts as not measured
    private static final SampleRecord.Scores NO_SCORES = new SampleRecord.Scores(null, null, null, null, null, null, null, null);

    private static SampleRecord.Scores scores(SampleRecord r) {
        return r.scores() == null ? NO_SCORES : r.scores();
    }

    /** One value per record, NaN where the record has none (the {@link Bootstrap} statistics leave those out). */
    static <T> double[] values(List<T> g, Function<T, ? extends Number> field) {
        double[] v = new double[g.size()];
        for (int i = 0; i < v.length; i++) {
            Number x = field.apply(g.get(i));
            v[i] = x == null ? Double.NaN : x.doubleValue();
        }
        return v;
    }

    /** 100 x the mean, with its interval. */
    private static Interval percent(List<SampleRecord> g, Function<SampleRecord, ? extends Number> field) {
        return Bootstrap.mean(values(g, field)).times(100);
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

    /** A difference with its interval, marked {@code *} where the interval excludes 0. */
    private static String delta(Interval d, int digits) {
        return d.format(digits) + (d.excludesZero() ? " *" : "");
    }

    /** A ratio with its interval, marked {@code *} where the interval excludes 1. */
    static String times(Interval x, int digits) {
        return x.format(digits) + (x.excludesOne() ? " *" : "");
    }

    /**
     * The study's layout in markdown, per model and task: quality (n, Score, EM and Contains where answers are exact,
     * F1/Prec/Recall or ROUGE-L, Hall., truncated prompts), cost (Tok/s total and median, prefill, TTFT, E2E, Mem, No.
     * Tok, compression, KL, Top-1, KV path), the score per length bucket when the task spans several; then the paired
     * differences from the baseline. Every figure as {@link Interval#format}.
     */
    public String markdown(String title) {
        StringBuilder sb = new StringBuilder();
        sb.append("# ").append(title).append("\n\n");
        sb.append("Baseline: **").append(baseline).append("**. Every figure is `estimate [low, high]`: its value over the ")
                .append("n samples and its 95% confidence interval, by the percentile bootstrap over samples (")
                .append(Bootstrap.RESAMPLES).append(" resamples, fixed seed; one sample gives no interval).\n\n");
        if (!rows.isEmpty()) {
            sb.append("- Score = 100 x mean of the task's LongBench metric; F1, Prec, Recall, ROUGE-L likewise. EM = exact ")
                    .append("match, Contains = the answer occurs in the prediction (100 x share of samples; SQuAD-normalized, ")
                    .append("best answer), for tasks with exact answers (QA F1 tasks, and tasks whose every answer has at most ")
                    .append(SHORT_ANSWER_WORDS).append(" words). Hall. = mean share of hallucinated answer elements (0..1). ")
                    .append("Truncated = prompts cut to the length budget, of n.\n");
        }
        sb.append("- Tok/s = decode tokens over decode seconds, both summed over the samples (a sample's decode seconds = ")
                .append("its decode steps / its decode_tps); Tok/s med. = median of the samples' rates. Prefill t/s = prompt ")
                .append("tokens over prefill seconds, summed likewise. TTFT, E2E, No. Tok (generated tokens), Compr. = means. ")
                .append("Mem = peak memory in GB, the largest over the samples (a maximum: no interval): device memory on a ")
                .append("GPU run, the process's peak RSS on a CPU run.\n");
        if (!rows.isEmpty()) {
            sb.append("- KL = mean per-token KL(baseline || method) in nats over the baseline's generation; Top-1 = share of ")
                    .append("positions where both pick the same token (over the fidelity samples).\n");
        }
        sb.append("- Differences from the baseline pair each sample with the baseline's run of the same sample; ")
                .append("Throughput x, Prefill x and E2E speed-up x are ratios of totals over the paired samples. `*` marks ")
                .append("a difference whose interval excludes 0, a ratio whose interval excludes 1.\n\n");
        for (String n : notes) {
            sb.append("> ").append(n).append("\n\n");
        }
        for (String model : models()) {
            sb.append("## ").append(heading(model, synthetic)).append("\n\n");
            for (String task : tasks()) {
                List<Row> rs = rows.stream().filter(r -> r.model().equals(model) && r.task().equals(task)).toList();
                if (rs.isEmpty()) {
                    continue;
                }
                Row any = rs.getFirst();
                boolean qa = any.metric().equals("qa_f1"), exact = rs.stream().anyMatch(r -> !Double.isNaN(r.exactMatch().estimate()));
                sb.append("### ").append(task).append(" (").append(any.metric()).append(")\n\n");
                List<String> head = new ArrayList<>(List.of("Method", "n", "Score"));
                if (exact) {
                    head.addAll(List.of("EM", "Contains"));
                }
                head.addAll(qa ? List.of("F1", "Prec", "Recall") : List.of("ROUGE-L", "F1"));
                head.addAll(List.of("Hall.", "Truncated"));
                Table quality = new Table("l" + "r".repeat(head.size() - 1), head);
                for (Row r : rs) {
                    List<String> c = new ArrayList<>(List.of(r.method(), "" + r.n(), r.score().format(2)));
                    if (exact) {
                        c.addAll(List.of(r.exactMatch().format(1), r.contains().format(1)));
                    }
                    c.addAll(qa ? List.of(r.f1().format(2), r.precision().format(2), r.recall().format(2))
                            : List.of(r.rougeL().format(2), r.f1().format(2)));
                    c.addAll(List.of(r.hallucination().format(3), r.truncated() == null ? "-" : r.truncated() + " of " + r.n()));
                    quality.row(c);
                }
                sb.append(quality.markdown()).append("\n");
                Table cost = new Table("lrrrrrrrrrrl", List.of("Method", "Tok/s", "Tok/s med.", "Prefill t/s", "TTFT (ms)",
                        "E2E (s)", "Mem (GB)", "No. Tok", "Compr. (ms)", "KL", "Top-1", "KV path"));
                for (Row r : rs) {
                    Cost c = r.cost();
                    cost.row(r.method(), c.decodeTps().format(1), c.decodeTpsMedian().format(1), c.prefillTps().format(0),
                            c.ttftMs().format(0), c.e2eMs().times(1e-3).format(2), gb(c.memBytes()),
                            r.generatedTokens().format(1), r.compressionMs().format(1), r.klMean().format(4),
                            r.top1().format(3), r.kvPath().isEmpty() ? "-" : r.kvPath());
                }
                sb.append(cost.markdown()).append("\n");
                List<String> buckets = rs.stream().flatMap(r -> r.buckets().keySet().stream()).distinct().toList();
                if (buckets.size() > 1) {
                    sb.append("Score by LongBench-E length bucket:\n\n");
                    List<String> bh = new ArrayList<>(List.of("Method"));
                    bh.addAll(buckets);
                    Table bt = new Table("l" + "r".repeat(buckets.size()), bh);
                    for (Row r : rs) {
                        List<String> c = new ArrayList<>(List.of(r.method()));
                        for (String b : buckets) {
                            Interval i = r.buckets().get(b);
                            c.add(i == null ? "-" : i.format(2) + " (n=" + i.n() + ")");
                        }
                        bt.row(c);
                    }
                    sb.append(bt.markdown()).append("\n");
                }
            }
            sb.append("### Differences from ").append(baseline).append(" (paired by sample)\n\n");
            Table gt = new Table("llrrrrr", List.of("Task", "Method", "n paired", "Score delta", "Throughput x",
                    "Memory saving x", "E2E speed-up x"));
            for (Gain g : gains) {
                if (g.model().equals(model) && !g.method().equals(baseline)) {
                    gt.row(g.task(), g.method(), "" + g.nPaired(), delta(g.scoreDelta(), 2), times(g.throughputX(), 2),
                            f(g.memorySavingX(), 2), times(g.e2eSpeedupX(), 2));
                }
            }
            sb.append(gt.markdown()).append("\n");
        }
        sb.append(lengths.markdown());
        return sb.toString();
    }

    // ---------------------------------------------------------------- report.csv and report.json columns

    /** A row's columns; the score per LongBench-E bucket as score_0_4k, ... with its n (n_0_4k, ...). */
    private static final List<Column<Row>> ROW_COLUMNS = columns(col("model", Row::model), col("method", Row::method),
            col("level", Row::level), col("task", Row::task), col("metric", Row::metric), col("n", Row::n),
            ci("score", Row::score), ci("qa_f1", Row::f1), ci("qa_precision", Row::precision), ci("qa_recall", Row::recall),
            ci("rouge_l", Row::rougeL), ci("hallucination", Row::hallucination), ci("em", Row::exactMatch),
            ci("contains", Row::contains), Column.of(Row::cost, Cost.COLUMNS), ci("generated_tokens", Row::generatedTokens),
            ci("compression_ms", Row::compressionMs), col("fidelity_n", Row::fidelityN), ci("kl_mean", Row::klMean),
            ci("top1_agreement", Row::top1), col("weights_stand_in", Row::standIn), col("kv_path", Row::kvPath),
            col("truncated", Row::truncated),
            Prompts.BUCKETS.stream().flatMap(b -> {
                String name = b.replace("+", "_plus").replaceAll("[^A-Za-z0-9]+", "_");
                Function<Row, Interval> in = r -> r.buckets().getOrDefault(b, Interval.none(0));
                return columns(ci("score_" + name, in), col("n_" + name, r -> in.apply(r).n())).stream();
            }).toList());

    /** A gain's figures (report.csv appends them to its row; report.json's gains add model, method and task). */
    private static final List<Column<Gain>> GAIN_COLUMNS = columns(ci("score_delta", Gain::scoreDelta),
            ci("throughput_x", Gain::throughputX), col("memory_saving_x", Gain::memorySavingX),
            ci("e2e_speedup_x", Gain::e2eSpeedupX), col("n_paired", Gain::nPaired), col("n_unpaired", Gain::nUnpaired));

    /** One line per row with its gains (empty where the row has none); the columns are report.json's names. */
    public String csv() {
        List<String> head = Stream.concat(ROW_COLUMNS.stream(), GAIN_COLUMNS.stream()).map(Column::name).toList();
        Table t = new Table("l".repeat(head.size()), head);
        for (Row r : rows) {
            Gain g = gains.stream().filter(x -> x.model().equals(r.model()) && x.method().equals(r.method())
                    && x.task().equals(r.task())).findFirst().orElse(null);
            List<String> cells = new ArrayList<>(ROW_COLUMNS.stream().map(c -> text(c.value().apply(r))).toList());
            GAIN_COLUMNS.forEach(c -> cells.add(g == null ? "" : text(c.value().apply(g))));
            t.row(cells);
        }
        return t.csv();
    }

    /** report.json: snake_case, a figure that could not be computed is null. */
    public String json() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("schema", Schema.CURRENT);
        root.put("baseline", baseline);
        root.put("records", records);
        root.put("notes", notes);
        root.put("synthetic_models", synthetic);
        root.put("rows", rows.stream().map(r -> map(ROW_COLUMNS, r)).toList());
        List<Column<Gain>> named = columns(col("model", Gain::model), col("method", Gain::method), col("task", Gain::task),
                GAIN_COLUMNS);
        root.put("gains", gains.stream().map(g -> map(named, g)).toList());
        root.put("lengths", lengths.ruler());
        root.put("ruler", lengths.rulerJson());
        root.put("needle", lengths.needle());
        root.put("needle_means", lengths.needleMeans());
        root.put("length_costs", lengths.costsJson());
        return Json.pretty(root);
    }
}
