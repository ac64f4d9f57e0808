package io.ctxbench.report.chart;

import java.util.List;

/**
 * What a chart shows, apart from how it is drawn: {@link Layout} turns each kind into a {@link Drawing} (shapes in
 * pixels), which the SVG and PNG backends render alike. A new kind (a heatmap of score by context length and needle
 * depth, say) is one more record here and one more method in Layout; the backends only draw shapes and stay as
 * they are.
 */
public sealed interface Chart permits Chart.LineChart, Chart.RadarChart, Chart.BarChart {
    String title();

    int width();

    int height();

    /** A named series: points (x[i], y[i]) of a line chart, or one value per axis / category ({@code x} null). */
    record Series(String name, double[] x, double[] y) {
        public Series {
            if (x != null && x.length != y.length) {
                throw new IllegalArgumentException("series " + name + ": " + x.length + " x values, " + y.length + " y values");
            }
        }

        public static Series values(String name, double... y) {
            return new Series(name, null, y);
        }
    }

    /**
     * Lines with markers over a numeric x. {@code log2X} spaces x by octaves, as context lengths are usually chosen
     * (4k, 8k, ..., 128k); 0 then sits one octave left of the smallest positive x.
     */
    record LineChart(String title, String xTitle, String yTitle, boolean log2X, List<Series> series, int width, int height)
            implements Chart {
    }

    /** One closed polygon per series over the axes; values in 0..1, 1 on the rim. */
    record RadarChart(String title, List<String> axes, List<Series> series, int width, int height) implements Chart {
    }

    /** Grouped bars, per category one bar per series (NaN: none); {@code reference} a horizontal line, NaN for none. */
    record BarChart(String title, String yTitle, List<String> categories, List<Series> series, double reference,
                    int width, int height) implements Chart {
    }
}
