package io.ctxbench.report;

import io.ctxbench.report.chart.Chart;
import io.ctxbench.report.chart.Chart.Series;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The report's charts, by file base name: one radar chart per task (score, decode tokens/s, memory saving, prefill
 * tokens/s, 1 - hallucination, each axis divided by its largest value among the methods, so the best method reaches
 * the rim) and one bar chart of gains relative to the baseline (throughput x and memory saving x per method and task);
 * then the length-controlled ones ({@link LengthCharts}).
 */
public final class Charts {
    private static final List<String> AXES = List.of("Score", "Decode tok/s", "Memory saving", "Prefill tok/s", "1 - Hall.");

    private Charts() {
    }

    static Map<String, Chart> of(Report r) {
        Map<String, Chart> charts = new LinkedHashMap<>();
        for (String model : r.models()) {
            String prefix = r.models().size() > 1 ? safe(model) + "-" : "";
            for (String task : r.tasks()) {
                List<Report.Row> rs = r.rows().stream().filter(x -> x.model().equals(model) && x.task().equals(task)).toList();
                if (rs.isEmpty()) {
                    continue;
                }
                double[][] v = new double[rs.size()][];
                for (int i = 0; i < rs.size(); i++) {
                    Report.Row x = rs.get(i);
                    v[i] = new double[]{x.score().estimate(), x.cost().decodeTps().estimate(),
                            x.cost().memBytes() > 0 ? 1 / x.cost().memBytes() : Double.NaN, x.cost().prefillTps().estimate(),
                            1 - x.hallucination().estimate()};
                }
                for (int a = 0; a < AXES.size(); a++) {
                    double max = 0;
                    for (double[] row : v) {
                        max = Double.isNaN(row[a]) ? max : Math.max(max, row[a]);
                    }
                    for (double[] row : v) {
                        row[a] = max > 0 && !Double.isNaN(row[a]) ? Math.max(0, Math.min(1, row[a] / max)) : 0;
                    }
                }
                List<Series> series = new ArrayList<>();
                for (int i = 0; i < rs.size(); i++) {
                    series.add(Series.values(rs.get(i).method(), v[i]));
                }
                charts.put(prefix + "radar-" + safe(task), new Chart.RadarChart(task + " (" + Report.heading(model,
                        r.syntheticModels()) + ")", AXES, series, 640, 520));
            }
            List<Report.Gain> gs = r.gains().stream()
                    .filter(g -> g.model().equals(model) && !g.method().equals(r.baseline())).toList();
            if (!gs.isEmpty()) {
                List<String> cats = gs.stream().map(g -> g.method() + " / " + g.task()).toList();
                double[] tp = gs.stream().mapToDouble(g -> g.throughputX().estimate()).toArray();
                double[] mem = gs.stream().mapToDouble(Report.Gain::memorySavingX).toArray();
                charts.put(prefix + "gains", new Chart.BarChart("Gains relative to " + r.baseline() + " (" + model + ")",
                        "x baseline", cats, List.of(Series.values("Throughput x", tp), Series.values("Memory saving x", mem)),
                        1, 760, 480));
            }
        }
        Set<String> models = new LinkedHashSet<>(r.models());
        models.addAll(r.lengths().models());
        charts.putAll(LengthCharts.of(r.lengths(), models.size() > 1));
        return charts;
    }

    static String safe(String s) {
        return s.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
