package io.ctxbench.bench;

import io.ctxbench.CtxbenchException;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Charts of a sweep against context depth, one line per configuration (model, KV types, flash attention, ...):
 * decode and prefill tokens/s, and device memory used. PNG and/or SVG, drawn headless.
 */
public final class Charts {
    private Charts() {
    }

    /** The charts that were written (none when no configuration has two or more depths measured... or one). */
    public static List<Path> write(List<CellResult> results, Path dir, boolean png, boolean svg) {
        System.setProperty("java.awt.headless", "true");
        List<Path> out = new ArrayList<>();
        out.addAll(chart(results, dir, "decode-vs-depth", "Decode throughput vs context depth", "tokens/s",
                r -> r.decodeTokensPerSecond() == null ? Double.NaN : r.decodeTokensPerSecond().mean(), png, svg));
        out.addAll(chart(results, dir, "prefill-vs-depth", "Prefill throughput vs context depth", "tokens/s",
                r -> r.prefillTokensPerSecond() == null ? Double.NaN : r.prefillTokensPerSecond().mean(), png, svg));
        out.addAll(chart(results, dir, "memory-vs-depth", "Device memory used (peak) vs context depth", "GiB",
                r -> r.deviceUsedPeak() == null ? Double.NaN : r.deviceUsedPeak() / (double) (1L << 30), png, svg));
        return out;
    }

    private static List<Path> chart(List<CellResult> results, Path dir, String name, String title, String yLabel,
                                    ToDoubleFunction<CellResult> y, boolean png, boolean svg) {
        XYChart chart = new XYChartBuilder().width(960).height(600).title(title).xAxisTitle("context depth (tokens)")
                .yAxisTitle(yLabel).build();
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
        chart.getStyler().setMarkerSize(7);
        chart.getStyler().setXAxisDecimalPattern("#,##0");   // 131,072 rather than 1.3E5
        int series = 0;
        for (Map.Entry<String, List<CellResult>> e : SweepRunner.byConfiguration(results).entrySet()) {
            List<CellResult> ok = e.getValue().stream().filter(CellResult::ok).filter(r -> !Double.isNaN(y.applyAsDouble(r)))
                    .sorted(Comparator.comparingInt(r -> r.cell().depth())).toList();
            // one point per depth: the first test size measured there
            List<Double> xs = new ArrayList<>(), ys = new ArrayList<>();
            for (CellResult r : ok) {
                if (!xs.isEmpty() && xs.getLast() == r.cell().depth()) {
                    continue;
                }
                xs.add((double) r.cell().depth());
                ys.add(y.applyAsDouble(r));
            }
            if (xs.isEmpty()) {
                continue;
            }
            chart.addSeries(e.getKey(), xs, ys).setMarker(SeriesMarkers.CIRCLE);
            series++;
        }
        if (series == 0) {
            return List.of();
        }
        List<Path> out = new ArrayList<>();
        try {
            if (png) {
                Path p = dir.resolve(name + ".png");
                BitmapEncoder.saveBitmap(chart, p.toString(), BitmapEncoder.BitmapFormat.PNG);
                out.add(p);
            }
            if (svg) {
                Path p = dir.resolve(name + ".svg");
                VectorGraphicsEncoder.saveVectorGraphic(chart, p.toString(), VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
                out.add(p);
            }
        } catch (IOException | RuntimeException | LinkageError e) {
            throw new CtxbenchException("cannot draw the chart " + name + ": " + e);
        }
        return out;
    }
}
