package io.ctxbench.report;

import io.ctxbench.report.chart.Chart;
import io.ctxbench.report.chart.Chart.Series;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The length-controlled charts, by file base name: per model, score vs length ({@code score-vs-length}: one line per
 * method for its RULER average and one for its needle mean over depths, with 95% interval bars, lengths spaced by
 * octaves), and per model, method and needle task a heatmap of score by length and needle depth
 * ({@code needle-METHOD}, {@code -TASK} added when a model has more than one needle task).
 */
final class LengthCharts {
    private LengthCharts() {
    }

    /** {@code prefixModels}: the report has more than one model, so each file name starts with its model's. */
    static Map<String, Chart> of(LengthResults r, boolean prefixModels) {
        Map<String, Chart> charts = new LinkedHashMap<>();
        for (String model : r.models()) {
            String prefix = prefixModels ? Charts.safe(model) + "-" : "";
            List<Series> series = new ArrayList<>();
            List<LengthResults.Average> avg = LengthResults.where(r.averages(), a -> a.model().equals(model));
            for (String method : avg.stream().map(LengthResults.Average::method).distinct().toList()) {
                List<LengthResults.Average> a = LengthResults.where(avg, x -> x.method().equals(method));
                series.add(new Series(method + ": RULER average", a.stream().mapToDouble(LengthResults.Average::length).toArray(),
                        a.stream().mapToDouble(LengthResults.Average::score).toArray(),
                        a.stream().mapToDouble(LengthResults.Average::ciLow).toArray(),
                        a.stream().mapToDouble(LengthResults.Average::ciHigh).toArray()));
            }
            List<LengthResults.Cell> means = LengthResults.where(r.needleMeans(), c -> c.model().equals(model));
            List<String> needleTasks = means.stream().map(LengthResults.Cell::task).distinct().toList();
            for (String method : means.stream().map(LengthResults.Cell::method).distinct().toList()) {
                for (String task : needleTasks) {
                    List<LengthResults.Cell> c = LengthResults.where(means,
                            x -> x.method().equals(method) && x.task().equals(task));
                    if (!c.isEmpty()) {
                        series.add(new Series(method + ": needle" + (needleTasks.size() > 1 ? " " + task : ""),
                                c.stream().mapToDouble(LengthResults.Cell::length).toArray(),
                                c.stream().mapToDouble(LengthResults.Cell::score).toArray(),
                                c.stream().mapToDouble(LengthResults.Cell::ciLow).toArray(),
                                c.stream().mapToDouble(LengthResults.Cell::ciHigh).toArray()));
                    }
                }
            }
            if (!series.isEmpty()) {
                charts.put(prefix + "score-vs-length", new Chart.LineChart("Score vs length (" + r.heading(model) + ")",
                        "target length (tokens)", "score (100 x mean, 95% CI)", true, series, 860, 520));
            }
            List<LengthResults.Cell> grid = LengthResults.where(r.needle(), c -> c.model().equals(model));
            for (String method : grid.stream().map(LengthResults.Cell::method).distinct().toList()) {
                for (String task : needleTasks) {
                    List<LengthResults.Cell> g = LengthResults.where(grid,
                            c -> c.method().equals(method) && c.task().equals(task));
                    if (g.isEmpty()) {
                        continue;
                    }
                    List<Integer> lengths = LengthResults.lengths(g.stream().map(LengthResults.Cell::length).toList());
                    List<Integer> depths = LengthResults.lengths(g.stream().map(LengthResults.Cell::depth).toList());
                    double[][] v = new double[depths.size()][lengths.size()];
                    for (double[] row : v) {
                        java.util.Arrays.fill(row, Double.NaN);
                    }
                    g.forEach(c -> v[depths.indexOf(c.depth())][lengths.indexOf(c.length())] = c.score());
                    String name = prefix + "needle-" + Charts.safe(method)
                            + (needleTasks.size() > 1 ? "-" + Charts.safe(task) : "");
                    charts.put(name, new Chart.Heatmap("Needle in a haystack: " + method + ", " + task + " (" + r.heading(model) + ")",
                            "context length (tokens)", "needle depth (% of the haystack)",
                            lengths.stream().map(LengthResults::length).toList(), depths.stream().map(d -> d + "%").toList(),
                            v, 0, 100, "score (100 x mean)", Math.max(520, 200 + 72 * lengths.size()),
                            Math.max(360, 150 + 34 * depths.size())));
                }
            }
        }
        return charts;
    }
}
