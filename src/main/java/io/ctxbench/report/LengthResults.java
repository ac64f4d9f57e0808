package io.ctxbench.report;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.ctxbench.results.Bootstrap;
import io.ctxbench.results.Interval;
import io.ctxbench.results.SampleRecord;
import io.ctxbench.results.Table;
import io.ctxbench.score.RulerScore;
import io.ctxbench.tasks.ruler.RulerTask;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The length-controlled part of a report: RULER's tasks scored at each generated length, and the
 * needle-in-a-haystack grid (length x needle depth). Which records belong where is {@link #kindOf}. A score is 100 x
 * the mean of the records' {@code scores.score} (RULER's string-match term, 0..1) with its 95% bootstrap interval
 * over samples. Per model and length, the RULER average is the mean of the task scores ({@link RulerScore#average});
 * per method, the effective length is the longest length up to which that average stays at or above
 * {@link #THRESHOLD} ({@link RulerScore#effectiveLength}) and the first length below the baseline is where it falls
 * more than {@link #BELOW_BASELINE} (relative) under the baseline's ({@link RulerScore#firstLengthBelow}). What the
 * records cost is per model, method and length ({@link LengthCost}): RULER tasks and needle depths together, since
 * at one length they read prompts of the same size.
 */
public final class LengthResults {
    /** RULER's threshold for the effective length: Llama-2-7B's RULER average at 4k (NVIDIA/RULER's README). */
    public static final double THRESHOLD = 85.6;
    /** A method has fallen below the baseline at a length where its RULER average is more than this share lower. */
    public static final double BELOW_BASELINE = 0.05;

    public enum Kind { RULER, NEEDLE }

    private static final Set<String> RULER_TASKS = new LinkedHashSet<>(RulerTask.all().stream().map(RulerTask::name).toList());

    /**
     * Where a record belongs: a needle-grid sample has a target length and a depth; a RULER sample has a target
     * length, no depth (RULER places its needles at random) and a RULER task name; anything else (LongBench, the
     * older synthetic tasks) is neither, and null.
     */
    static Kind kindOf(SampleRecord r) {
        if (r.targetLength() == null) {
            return null;
        }
        if (r.depth() != null) {
            return Kind.NEEDLE;
        }
        return RULER_TASKS.contains(r.task()) ? Kind.RULER : null;
    }

    /**
     * One cell: a RULER task at a length ({@code depth} null), or a needle task at a length and depth. Its JSON names
     * are lengths.csv's columns.
     */
    public record Cell(String model, String method, String task, int length,
                       @JsonInclude(JsonInclude.Include.NON_NULL) Integer depth, int n, double score, double ciLow,
                       double ciHigh) {
    }

    /**
     * The RULER average of a method at a length over {@code tasks} tasks and {@code n} samples, and its difference
     * from the baseline's, paired by sample ({@code deltaN} pairs; NaN for the baseline itself or without pairs).
     */
    public record Average(String model, String method, int length, int tasks, int n, double score, double ciLow,
                          double ciHigh, double delta, double deltaLow, double deltaHigh, int deltaN) {
    }

    /**
     * What a method cost at a length: every length-controlled record of the model and method at that length (all RULER
     * tasks and needle depths; {@code n} of them), as {@link Cost}; against the baseline's records of the same samples
     * ({@code nPaired} pairs), decode and prefill throughput x and the end-to-end speed-up x with their paired intervals
     * (none for the baseline itself, or without pairs).
     */
    public record LengthCost(String model, String method, int length, int n, Cost cost, int nPaired, Interval throughputX,
                             Interval prefillX, Interval e2eSpeedupX) {
    }

    /** Per method: RULER's effective length (null: already below at the shortest) and the first length below the baseline. */
    public record Summary(String model, String method, Integer effectiveLength, boolean longestTested,
                          Integer belowBaselineFrom) {
    }

    public static final LengthResults EMPTY = new LengthResults("", List.of(), List.of(), List.of(), List.of(), List.of(),
            List.of(), List.of(), List.of());

    private final String baseline;
    private final List<String> synthetic;
    private final List<Cell> ruler;
    private final List<Average> averages;
    private final List<Summary> summaries;
    private final List<Cell> needle;
    private final List<Cell> needleMeans;
    private final List<LengthCost> costs;
    private final List<String> notes;

    private LengthResults(String baseline, List<String> synthetic, List<Cell> ruler, List<Average> averages,
                          List<Summary> summaries, List<Cell> needle, List<Cell> needleMeans, List<LengthCost> costs,
                          List<String> notes) {
        this.baseline = baseline;
        this.synthetic = synthetic;
        this.costs = costs;
        this.ruler = ruler;
        this.averages = averages;
        this.summaries = summaries;
        this.needle = needle;
        this.needleMeans = needleMeans;
        this.notes = notes;
    }

    public List<Cell> ruler() {
        return ruler;
    }

    public List<Average> averages() {
        return averages;
    }

    public List<Summary> summaries() {
        return summaries;
    }

    public List<Cell> needle() {
        return needle;
    }

    /** Per model, method, needle task and length: the mean over depths (each depth weighing the same), depth null. */
    public List<Cell> needleMeans() {
        return needleMeans;
    }

    public List<LengthCost> costs() {
        return costs;
    }

    public List<String> notes() {
        return notes;
    }

    public boolean isEmpty() {
        return ruler.isEmpty() && needle.isEmpty();
    }

    /**
     * Aggregates the length-controlled records among {@code samples}; {@code baseline} is the report's baseline method,
     * {@code synthetic} the models with random weights (their headings say so).
     */
    static LengthResults of(Collection<SampleRecord> samples, String baseline, List<String> synthetic) {
        List<SampleRecord> rs = samples.stream().filter(r -> kindOf(r) == Kind.RULER).toList();
        List<SampleRecord> ns = samples.stream().filter(r -> kindOf(r) == Kind.NEEDLE).toList();
        if (rs.isEmpty() && ns.isEmpty()) {
            return EMPTY;
        }
        List<Cell> ruler = new ArrayList<>(), needle = new ArrayList<>(), needleMeans = new ArrayList<>();
        List<Average> averages = new ArrayList<>();
        List<Summary> summaries = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        for (String model : distinct(rs, SampleRecord::model)) {
            List<SampleRecord> m = rs.stream().filter(r -> r.model().equals(model)).toList();
            Set<Integer> lengths = new TreeSet<>(distinct(m, SampleRecord::targetLength));
            List<String> tasks = RULER_TASKS.stream().filter(t -> m.stream().anyMatch(r -> r.task().equals(t))).toList();
            Map<String, SortedMap<Integer, Double>> curves = new LinkedHashMap<>();
            for (String method : distinct(m, SampleRecord::method)) {
                SortedMap<Integer, Double> curve = new TreeMap<>();
                for (int length : lengths) {
                    List<double[]> groups = new ArrayList<>(), deltas = new ArrayList<>();
                    Map<String, Double> taskScores = new LinkedHashMap<>();
                    for (String task : tasks) {
                        List<SampleRecord> g = select(m, method, task, length);
                        if (g.isEmpty()) {
                            continue;
                        }
                        Interval i = Bootstrap.mean(scores(g)).times(100);
                        ruler.add(new Cell(model, method, task, length, null, i.n(), i.estimate(), i.low(), i.high()));
                        if (i.n() > 0) {
                            groups.add(scores(g));
                            taskScores.put(task, i.estimate());
                            if (!method.equals(baseline)) {
                                deltas.add(pairedDifferences(g, select(m, baseline, task, length)));
                            }
                        }
                    }
                    if (taskScores.isEmpty()) {
                        continue;
                    }
                    long tasksHere = tasks.stream().filter(t -> m.stream().anyMatch(r -> r.task().equals(t)
                            && r.targetLength() == length)).count();
                    if (taskScores.size() < tasksHere) {
                        notes.add("The RULER average of " + method + " at " + length(length) + " is over " + taskScores.size()
                                + " of the " + tasksHere + " tasks " + model + " has at that length.");
                    }
                    double avg = RulerScore.average(taskScores);
                    Interval ci = Bootstrap.meanOfMeans(groups).times(100);
                    Interval d = deltas.isEmpty() ? Interval.none(0) : Bootstrap.meanOfMeans(deltas).times(100);
                    averages.add(new Average(model, method, length, taskScores.size(), ci.n(), avg, ci.low(), ci.high(),
                            d.estimate(), d.low(), d.high(), d.n()));
                    curve.put(length, avg);
                }
                if (!curve.isEmpty()) {
                    curves.put(method, curve);
                }
            }
            SortedMap<Integer, Double> base = curves.get(baseline);
            curves.forEach((method, curve) -> {
                OptionalInt eff = RulerScore.effectiveLength(curve, THRESHOLD);
                OptionalInt below = method.equals(baseline) || base == null ? OptionalInt.empty()
                        : RulerScore.firstLengthBelow(base, curve, 1 - BELOW_BASELINE);
                summaries.add(new Summary(model, method, eff.isPresent() ? eff.getAsInt() : null,
                        eff.isPresent() && eff.getAsInt() == curve.lastKey(), below.isPresent() ? below.getAsInt() : null));
            });
        }
        for (String model : distinct(ns, SampleRecord::model)) {
            List<SampleRecord> m = ns.stream().filter(r -> r.model().equals(model)).toList();
            for (String method : distinct(m, SampleRecord::method)) {
                for (String task : distinct(m, SampleRecord::task)) {
                    for (int length : new TreeSet<>(distinct(m, SampleRecord::targetLength))) {
                        List<double[]> byDepth = new ArrayList<>();
                        for (int depth : new TreeSet<>(distinct(m, SampleRecord::depth))) {
                            List<SampleRecord> g = m.stream().filter(r -> r.method().equals(method) && r.task().equals(task)
                                    && r.targetLength() == length && r.depth() == depth).toList();
                            if (!g.isEmpty()) {
                                Interval i = Bootstrap.mean(scores(g)).times(100);
                                needle.add(new Cell(model, method, task, length, depth, i.n(), i.estimate(), i.low(), i.high()));
                                byDepth.add(scores(g));
                            }
                        }
                        // one sample a depth (the usual grid): the depths are the samples, so they are what is resampled
                        Interval i = (byDepth.stream().allMatch(d -> d.length == 1)
                                ? Bootstrap.mean(byDepth.stream().mapToDouble(d -> d[0]).toArray())
                                : Bootstrap.meanOfMeans(byDepth)).times(100);
                        if (i.n() > 0) {
                            needleMeans.add(new Cell(model, method, task, length, null, i.n(), i.estimate(), i.low(), i.high()));
                        }
                    }
                }
            }
        }
        List<SampleRecord> all = samples.stream().filter(r -> kindOf(r) != null).toList();
        return new LengthResults(baseline, List.copyOf(synthetic), List.copyOf(ruler), List.copyOf(averages),
                List.copyOf(summaries), List.copyOf(needle), List.copyOf(needleMeans), costs(all, baseline),
                List.copyOf(notes));
    }

    /** Per model, method and length, in order of appearance and ascending length. */
    private static List<LengthCost> costs(List<SampleRecord> all, String baseline) {
        List<LengthCost> out = new ArrayList<>();
        for (String model : distinct(all, SampleRecord::model)) {
            List<SampleRecord> m = all.stream().filter(r -> r.model().equals(model)).toList();
            for (String method : distinct(m, SampleRecord::method)) {
                for (int length : new TreeSet<>(distinct(m, SampleRecord::targetLength))) {
                    List<SampleRecord> g = m.stream().filter(r -> r.method().equals(method) && r.targetLength() == length)
                            .toList();
                    if (g.isEmpty()) {
                        continue;
                    }
                    Pairs p = Pairs.of(g, method.equals(baseline) ? List.of()
                            : m.stream().filter(r -> r.method().equals(baseline) && r.targetLength() == length).toList());
                    out.add(new LengthCost(model, method, length, g.size(), Cost.of(g), p.n(), Cost.throughputX(p),
                            Cost.prefillX(p), Cost.e2eSpeedupX(p)));
                }
            }
        }
        return List.copyOf(out);
    }

    private static List<SampleRecord> select(List<SampleRecord> m, String method, String task, int length) {
        return m.stream().filter(r -> r.method().equals(method) && r.task().equals(task) && r.targetLength() == length)
                .toList();
    }

    private static double[] scores(List<SampleRecord> g) {
        return g.stream().mapToDouble(LengthResults::score).toArray();
    }

    /** A record's score, 0..1; NaN when it has none (left out of means). */
    private static double score(SampleRecord r) {
        return r.scores() == null || r.scores().score() == null ? Double.NaN : r.scores().score();
    }

    /** method - baseline for each sample both have (NaN where either lacks a score). */
    private static double[] pairedDifferences(List<SampleRecord> method, List<SampleRecord> baseline) {
        Pairs p = Pairs.of(method, baseline);
        double[] a = scores(p.mine()), b = scores(p.theirs()), d = new double[a.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = a[i] - b[i];
        }
        return d;
    }

    private static <T> List<T> distinct(List<SampleRecord> rs, Function<SampleRecord, T> f) {
        return rs.stream().map(f).filter(Objects::nonNull).distinct().toList();
    }

    // ---------------------------------------------------------------- per model, for the tables and charts

    List<String> models() {
        Set<String> m = new LinkedHashSet<>();
        ruler.forEach(c -> m.add(c.model()));
        needle.forEach(c -> m.add(c.model()));
        return List.copyOf(m);
    }

    static <T> List<T> where(List<T> xs, Predicate<T> p) {
        return xs.stream().filter(p).toList();
    }

    /** The lengths of a list of cells or averages, ascending. */
    static List<Integer> lengths(Collection<Integer> ls) {
        return List.copyOf(new TreeSet<>(ls));
    }

    /** "4,096": a length as the tables print it. */
    static String length(int tokens) {
        return String.format(Locale.ROOT, "%,d", tokens);
    }

    static String cell(double score, double low, double high, int n) {
        return n == 0 ? "-" : new Interval(score, low, high, n).format(1) + " n=" + n;
    }

    // ---------------------------------------------------------------- text formats

    /** The markdown section, empty when the run has no length-controlled records. */
    String markdown() {
        if (isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        sb.append("## Length-controlled results\n\n");
        sb.append("Score = 100 x mean of the sample scores (RULER's string match: the share of the expected values found "
                        + "in the answer), [95% bootstrap interval] and n = samples; lengths are target prompt lengths in the "
                        + "model's tokens. RULER average = mean over the tasks, as RULER reports it (its interval resamples "
                        + "within each task). Effective length = the longest length up to which the RULER average stays at "
                        + "or above ").append(f1(THRESHOLD)).append(" (RULER's threshold: Llama-2-7B's score at 4k); \"<\" ")
                .append("when the shortest length is already below, \">=\" when even the longest tested is not. Below ")
                .append(baseline).append(" from = the first length at which the RULER average is more than ")
                .append(String.format(Locale.ROOT, "%.0f", 100 * BELOW_BASELINE)).append("% (relative) below ")
                .append(baseline).append("'s. Costs by length: every RULER and needle sample of the method at that ")
                .append("length, figures as defined above; Tok/s x and Prefill x = the method's decode and prefill ")
                .append("tokens/s over ").append(baseline).append("'s on the same samples, E2E x = ").append(baseline)
                .append("'s end-to-end time over the method's (a compressed method's includes its compression): ratios of ")
                .append("totals, paired; `*` where the interval excludes 1.\n\n");
        for (String n : notes) {
            sb.append("> ").append(n).append("\n\n");
        }
        for (String model : models()) {
            rulerMarkdown(sb, model);
            needleMarkdown(sb, model);
            costMarkdown(sb, model);
        }
        return sb.toString();
    }

    private void rulerMarkdown(StringBuilder sb, String model) {
        List<Average> avg = where(averages, a -> a.model().equals(model));
        if (avg.isEmpty()) {
            return;
        }
        List<Integer> ls = lengths(avg.stream().map(Average::length).toList());
        List<String> methods = avg.stream().map(Average::method).distinct().toList();
        boolean hasBase = methods.contains(baseline);
        List<String> header = new ArrayList<>(List.of("Method"));
        ls.forEach(l -> header.add(length(l)));
        header.add("Effective length");
        if (hasBase) {
            header.add("Below " + baseline + " from");
        }
        Table t = new Table("l" + "r".repeat(header.size() - 1), header);
        for (String method : methods) {
            List<String> row = new ArrayList<>(List.of(method));
            for (int l : ls) {
                row.add(avg.stream().filter(a -> a.method().equals(method) && a.length() == l).findFirst()
                        .map(a -> cell(a.score(), a.ciLow(), a.ciHigh(), a.n())).orElse("-"));
            }
            Summary s = summaries.stream().filter(x -> x.model().equals(model) && x.method().equals(method)).findFirst()
                    .orElseThrow();
            row.add(s.effectiveLength() == null ? "< " + length(ls.getFirst())
                    : (s.longestTested() ? ">= " : "") + length(s.effectiveLength()));
            if (hasBase) {
                row.add(method.equals(baseline) ? "(baseline)" : s.belowBaselineFrom() == null ? "never"
                        : length(s.belowBaselineFrom()));
            }
            t.row(row);
        }
        sb.append("### ").append(heading(model)).append(": RULER average by length\n\n").append(t.markdown()).append("\n");
        List<String> others = methods.stream().filter(m -> hasBase && !m.equals(baseline)).toList();
        if (!others.isEmpty()) {
            List<String> dh = new ArrayList<>(List.of("Method"));
            ls.forEach(l -> dh.add(length(l)));
            Table d = new Table("l" + "r".repeat(ls.size()), dh);
            for (String method : others) {
                List<String> row = new ArrayList<>(List.of(method));
                for (int l : ls) {
                    row.add(avg.stream().filter(a -> a.method().equals(method) && a.length() == l && a.deltaN() > 0)
                            .findFirst().map(a -> {
                                Interval i = new Interval(a.delta(), a.deltaLow(), a.deltaHigh(), a.deltaN());
                                return i.format(1) + (i.excludesZero() ? " *" : "");
                            }).orElse("-"));
                }
                d.row(row);
            }
            sb.append("### ").append(heading(model)).append(": RULER average minus ").append(baseline)
                    .append(" (points, paired by sample; * the interval excludes 0)\n\n").append(d.markdown()).append("\n");
        }
        for (String method : methods) {
            List<Cell> cs = where(ruler, c -> c.model().equals(model) && c.method().equals(method));
            List<String> h = new ArrayList<>(List.of("Task"));
            ls.forEach(l -> h.add(length(l)));
            Table t2 = new Table("l" + "r".repeat(ls.size()), h);
            for (String task : cs.stream().map(Cell::task).distinct().toList()) {
                List<String> row = new ArrayList<>(List.of(task));
                for (int l : ls) {
                    row.add(cs.stream().filter(c -> c.task().equals(task) && c.length() == l).findFirst()
                            .map(c -> cell(c.score(), c.ciLow(), c.ciHigh(), c.n())).orElse("-"));
                }
                t2.row(row);
            }
            List<String> row = new ArrayList<>(List.of("**RULER average**"));
            for (int l : ls) {
                row.add(avg.stream().filter(a -> a.method().equals(method) && a.length() == l).findFirst()
                        .map(a -> "**" + cell(a.score(), a.ciLow(), a.ciHigh(), a.n()) + "**").orElse("-"));
            }
            t2.row(row);
            sb.append("### ").append(heading(model)).append(": RULER, ").append(method).append("\n\n").append(t2.markdown()).append("\n");
        }
    }

    private void needleMarkdown(StringBuilder sb, String model) {
        List<Cell> cs = where(needle, c -> c.model().equals(model));
        for (String method : cs.stream().map(Cell::method).distinct().toList()) {
            for (String task : cs.stream().filter(c -> c.method().equals(method)).map(Cell::task).distinct().toList()) {
                List<Cell> g = where(cs, c -> c.method().equals(method) && c.task().equals(task));
                List<Integer> ls = lengths(g.stream().map(Cell::length).toList());
                List<String> h = new ArrayList<>(List.of("Depth"));
                ls.forEach(l -> h.add(length(l)));
                Table t = new Table("l" + "r".repeat(ls.size()), h);
                for (int depth : lengths(g.stream().map(Cell::depth).toList())) {
                    List<String> row = new ArrayList<>(List.of(depth + "%"));
                    for (int l : ls) {
                        row.add(g.stream().filter(c -> c.depth() == depth && c.length() == l).findFirst()
                                .map(c -> cell(c.score(), c.ciLow(), c.ciHigh(), c.n())).orElse("-"));
                    }
                    t.row(row);
                }
                List<String> all = new ArrayList<>(List.of("**all depths**"));
                for (int l : ls) {
                    all.add(needleMeans.stream().filter(c -> c.model().equals(model) && c.method().equals(method)
                                    && c.task().equals(task) && c.length() == l).findFirst()
                            .map(c -> "**" + cell(c.score(), c.ciLow(), c.ciHigh(), c.n()) + "**").orElse("-"));
                }
                t.row(all);
                sb.append("### ").append(heading(model)).append(": needle in a haystack, ").append(method).append(" (").append(task)
                        .append("; rows: needle depth in % of the haystack, columns: length; all depths: the mean over "
                                + "the depths, its interval resampling within each depth, or the depths when each has one "
                                + "sample)\n\n").append(t.markdown())
                        .append("\n");
            }
        }
    }

    /**
     * Per model: what each method cost at each length (columns grouped by length: n, TTFT, prefill, decode total and
     * median, E2E, peak memory), then its decode and prefill throughput relative to the baseline, paired by sample.
     */
    private void costMarkdown(StringBuilder sb, String model) {
        List<LengthCost> cs = where(costs, c -> c.model().equals(model));
        List<Integer> ls = lengths(cs.stream().map(LengthCost::length).toList());
        List<String> methods = cs.stream().map(LengthCost::method).distinct().toList();
        List<String> h = new ArrayList<>(List.of("Method"));
        for (int l : ls) {
            for (String c : List.of("n", "TTFT (ms)", "Prefill t/s", "Tok/s", "Tok/s med.", "E2E (s)", "Mem (GB)")) {
                h.add(length(l) + ": " + c);
            }
        }
        Table t = new Table("l" + "r".repeat(h.size() - 1), h);
        for (String method : methods) {
            List<String> row = new ArrayList<>(List.of(method));
            for (int l : ls) {
                LengthCost lc = cost(cs, method, l);
                if (lc == null) {
                    row.addAll(java.util.Collections.nCopies(7, "-"));
                    continue;
                }
                Cost c = lc.cost();
                row.addAll(List.of("" + lc.n(), c.ttftMs().format(0), c.prefillTps().format(0), c.decodeTps().format(1),
                        c.decodeTpsMedian().format(1), c.e2eMs().times(1e-3).format(2), Report.gb(c.memBytes())));
            }
            t.row(row);
        }
        sb.append("### ").append(heading(model)).append(": cost by length\n\n").append(t.markdown()).append("\n");
        List<String> others = methods.stream().filter(m -> !m.equals(baseline)
                && cs.stream().anyMatch(c -> c.method().equals(m) && c.nPaired() > 0)).toList();
        if (others.isEmpty()) {
            return;
        }
        List<String> rh = new ArrayList<>(List.of("Method"));
        for (int l : ls) {
            rh.addAll(List.of(length(l) + ": Tok/s x", length(l) + ": Prefill x", length(l) + ": E2E x"));
        }
        Table r = new Table("l" + "r".repeat(rh.size() - 1), rh);
        for (String method : others) {
            List<String> row = new ArrayList<>(List.of(method));
            for (int l : ls) {
                LengthCost lc = cost(cs, method, l);
                boolean paired = lc != null && lc.nPaired() > 0;
                row.add(paired ? Report.times(lc.throughputX(), 2) + " n=" + lc.nPaired() : "-");
                row.add(paired ? Report.times(lc.prefillX(), 2) + " n=" + lc.nPaired() : "-");
                row.add(paired ? Report.times(lc.e2eSpeedupX(), 2) + " n=" + lc.nPaired() : "-");
            }
            r.row(row);
        }
        sb.append("### ").append(heading(model)).append(": cost relative to ").append(baseline)
                .append(" by length (paired by sample)\n\n").append(r.markdown()).append("\n");
    }

    private static LengthCost cost(List<LengthCost> cs, String method, int length) {
        return cs.stream().filter(c -> c.method().equals(method) && c.length() == length).findFirst().orElse(null);
    }

    /** A model as the headings and chart titles name it (a synthetic one: its scores are meaningless). */
    String heading(String model) {
        return Report.heading(model, synthetic);
    }

    private static String f1(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    /**
     * lengths.csv: one line per RULER task cell ({@code kind} ruler), RULER average (ruler_average, no task), needle
     * cell (needle, with its depth) and needle mean over depths (needle_mean); null when there are none.
     */
    String csv() {
        if (isEmpty()) {
            return null;
        }
        Table t = new Table("l".repeat(10), List.of("kind", "model", "method", "task", "length", "depth", "n", "score",
                "ci_low", "ci_high"));
        for (Cell c : ruler) {
            t.row("ruler", c.model(), c.method(), c.task(), "" + c.length(), "", "" + c.n(), num(c.score()),
                    num(c.ciLow()), num(c.ciHigh()));
        }
        for (Average a : averages) {
            t.row("ruler_average", a.model(), a.method(), "", "" + a.length(), "", "" + a.n(), num(a.score()),
                    num(a.ciLow()), num(a.ciHigh()));
        }
        for (Cell c : needle) {
            t.row("needle", c.model(), c.method(), c.task(), "" + c.length(), "" + c.depth(), "" + c.n(), num(c.score()),
                    num(c.ciLow()), num(c.ciHigh()));
        }
        for (Cell c : needleMeans) {
            t.row("needle_mean", c.model(), c.method(), c.task(), "" + c.length(), "", "" + c.n(), num(c.score()),
                    num(c.ciLow()), num(c.ciHigh()));
        }
        return t.csv();
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : Double.toString(v);
    }

    /** The columns of length-costs.csv and of report.json's "length_costs". */
    private static final List<Column<LengthCost>> COST_COLUMNS = Column.columns(Column.col("model", LengthCost::model),
            Column.col("method", LengthCost::method), Column.col("length", LengthCost::length), Column.col("n", LengthCost::n),
            Column.of(LengthCost::cost, Cost.COLUMNS), Column.col("n_paired", LengthCost::nPaired),
            Column.ci("throughput_x", LengthCost::throughputX), Column.ci("prefill_x", LengthCost::prefillX),
            Column.ci("e2e_speedup_x", LengthCost::e2eSpeedupX));

    /** length-costs.csv: one line per model, method and length; null when there are none. */
    String costsCsv() {
        return costs.isEmpty() ? null : Column.csv(COST_COLUMNS, costs);
    }

    /** report.json's "length_costs", named as length-costs.csv's columns. */
    List<Map<String, Object>> costsJson() {
        return costs.stream().map(c -> Column.map(COST_COLUMNS, c)).toList();
    }

    /** report.json's "ruler" section: the definitions used, the averages and the per-method summary. */
    Map<String, Object> rulerJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("threshold", THRESHOLD);
        m.put("below_baseline_relative", BELOW_BASELINE);
        m.put("baseline", baseline);
        m.put("averages", averages);
        m.put("methods", summaries);
        return m;
    }
}
