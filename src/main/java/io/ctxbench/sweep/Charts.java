package io.ctxbench.sweep;

import io.ctxbench.report.chart.Chart;
import io.ctxbench.results.CellResult;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Charts of a sweep against context depth, one line per configuration (model, KV types, flash attention, ...):
 * decode and prefill tokens/s, and device memory used. Depths spanning more than an octave are spaced by
 * octave (0, 4k, 8k, ..., 128k evenly).
 */
public final class Charts {
    private Charts() {
    }

    /** The charts by file base name; a chart with no measured point is left out. */
    public static Map<String, Chart> of(List<CellResult> results) {
        Map<String, Chart> charts = new LinkedHashMap<>();
        chart(charts, results, "decode-vs-depth", "Decode throughput vs context depth", "tokens/s",
                r -> r.decodeTokensPerSecond() == null ? Double.NaN : r.decodeTokensPerSecond().mean());
        chart(charts, results, "prefill-vs-depth", "Prefill throughput vs context depth", "tokens/s",
                r -> r.prefillTokensPerSecond() == null ? Double.NaN : r.prefillTokensPerSecond().mean());
        chart(charts, results, "memory-vs-depth", "Device memory used (peak) vs context depth", "GiB",
                r -> r.deviceUsedPeak() == null ? Double.NaN : r.deviceUsedPeak() / (double) (1L << 30));
        return charts;
    }

    private static void chart(Map<String, Chart> charts, List<CellResult> results, String name, String title, String yTitle,
                              ToDoubleFunction<CellResult> y) {
        List<Chart.Series> series = new ArrayList<>();
        for (Map.Entry<String, List<CellResult>> e : SweepRunner.byConfiguration(results).entrySet()) {
            List<CellResult> ok = e.getValue().stream().filter(CellResult::ok).filter(r -> !Double.isNaN(y.applyAsDouble(r)))
                    .sorted(Comparator.comparingInt(r -> r.cell().depth())).toList();
            // one point per depth: the first test size measured there
            List<CellResult> points = new ArrayList<>();
            for (CellResult r : ok) {
                if (points.isEmpty() || points.getLast().cell().depth() != r.cell().depth()) {
                    points.add(r);
                }
            }
            if (!points.isEmpty()) {
                series.add(new Chart.Series(e.getKey(), points.stream().mapToDouble(r -> r.cell().depth()).toArray(),
                        points.stream().mapToDouble(y).toArray()));
            }
        }
        if (series.isEmpty()) {
            return;
        }
        double[] depths = series.stream().flatMapToDouble(s -> Arrays.stream(s.x())).filter(d -> d > 0).toArray();
        boolean octaves = depths.length > 0
                && Arrays.stream(depths).max().getAsDouble() > 2 * Arrays.stream(depths).min().getAsDouble();
        charts.put(name, new Chart.LineChart(title, "context depth (tokens)", yTitle, octaves, series, 960, 600));
    }
}
