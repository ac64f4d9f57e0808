package io.ctxbench.report;

import io.ctxbench.CtxbenchException;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.RadarChart;
import org.knowm.xchart.RadarChartBuilder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The report's charts, each written as PNG and SVG (XChart; headless AWT): one radar chart per task (score,
 * decode tokens/s, memory saving, prefill tokens/s, 1 - hallucination, each axis divided by its largest value
 * among the methods, so the best method reaches the rim) and one bar chart of gains relative to the baseline
 * (throughput x and memory saving x per method and task).
 */
public final class Charts {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Charts() {
    }

    /** Writes all charts into {@code dir}; returns the base names written (without extension). */
    public static List<String> write(Report r, Path dir) {
        List<String> names = new ArrayList<>();
        for (String model : r.models()) {
            String prefix = r.models().size() > 1 ? safe(model) + "-" : "";
            for (String task : r.tasks()) {
                List<Report.Row> rs = r.rows().stream().filter(x -> x.model().equals(model) && x.task().equals(task)).toList();
                if (rs.isEmpty()) {
                    continue;
                }
                RadarChart c = new RadarChartBuilder().width(640).height(520).title(task + " (" + model + ")").build();
                c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
                String[] axes = {"Score", "Decode tok/s", "Memory saving", "Prefill tok/s", "1 - Hall."};
                c.setRadiiLabels(axes);
                double[][] v = new double[rs.size()][];
                for (int i = 0; i < rs.size(); i++) {
                    Report.Row x = rs.get(i);
                    v[i] = new double[]{x.score(), x.decodeTps(), x.memBytes() > 0 ? 1 / x.memBytes() : Double.NaN,
                            x.prefillTps(), 1 - x.hallucination()};
                }
                for (int a = 0; a < axes.length; a++) {
                    double max = 0;
                    for (double[] row : v) {
                        if (!Double.isNaN(row[a])) {
                            max = Math.max(max, row[a]);
                        }
                    }
                    for (double[] row : v) {
                        row[a] = max > 0 && !Double.isNaN(row[a]) ? Math.max(0, Math.min(1, row[a] / max)) : 0;
                    }
                }
                for (int i = 0; i < rs.size(); i++) {
                    c.addSeries(rs.get(i).method(), v[i]);
                }
                String name = prefix + "radar-" + safe(task);
                save(c, dir, name);
                names.add(name);
            }
            List<Report.Gain> gs = r.gains().stream().filter(g -> g.model().equals(model) && !g.method().equals(r.baseline())).toList();
            if (!gs.isEmpty()) {
                CategoryChart c = new CategoryChartBuilder().width(760).height(480)
                        .title("Gains relative to " + r.baseline() + " (" + model + ")").yAxisTitle("x baseline").build();
                c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
                List<String> cats = new ArrayList<>();
                List<Double> tp = new ArrayList<>(), mem = new ArrayList<>();
                for (Report.Gain g : gs) {
                    cats.add(g.method() + " / " + g.task());
                    tp.add(Double.isNaN(g.throughputX()) ? 0 : g.throughputX());
                    mem.add(Double.isNaN(g.memorySavingX()) ? 0 : g.memorySavingX());
                }
                c.getStyler().setXAxisLabelRotation(30);
                c.addSeries("Throughput x", cats, tp);
                c.addSeries("Memory saving x", cats, mem);
                String name = prefix + "gains";
                save(c, dir, name);
                names.add(name);
            }
        }
        return names;
    }

    private static void save(Chart<?, ?> c, Path dir, String name) {
        try {
            BitmapEncoder.saveBitmap(c, dir.resolve(name + ".png").toString(), BitmapEncoder.BitmapFormat.PNG);
            VectorGraphicsEncoder.saveVectorGraphic(c, dir.resolve(name + ".svg").toString(),
                    VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        } catch (IOException e) {
            throw new CtxbenchException("cannot write chart " + name + " into " + dir + ": " + e.getMessage(), e);
        }
    }

    static String safe(String s) {
        return s.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
