package io.ctxbench.report.chart;

import java.util.List;

/**
 * What a chart shows, apart from how it is drawn: {@link Layout} turns each kind into a {@link Drawing} (shapes in
 * pixels), which the SVG and PNG backends render alike. A new kind is one more record here and one more method in
 * Layout (as the heatmap of score by context length and needle depth was); the backends only draw shapes and stay
 * as they are.
 */
public sealed interface Chart permits Chart.LineChart, Chart.RadarChart, Chart.BarChart, Chart.Heatmap {
    String title();

    int width();

    int height();

    /**
     * A named series: points (x[i], y[i]) of a line chart, or one value per axis / category ({@code x} null). A line
     * chart draws {@code low[i]..high[i]} as an error bar at each point where both are finite ({@code low} and
     * {@code high} null: none).
     */
    record Series(String name, double[] x, double[] y, double[] low, double[] high) {
        public Series {
            if (x != null && x.length != y.length) {
                throw new IllegalArgumentException("series " + name + ": " + x.length + " x values, " + y.length + " y values");
            }
            if ((low == null) != (high == null) || low != null && (low.length != y.length || high.length != y.length)) {
                throw new IllegalArgumentException("series " + name + ": error bars need low and high for each of "
                        + y.length + " values");
            }
        }

        public Series(String name, double[] x, double[] y) {
            this(name, x, y, null, null);
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

    /**
     * A grid of coloured cells, {@code values[row][column]} (NaN: no data, drawn grey), each cell's value printed in
     * it; the colour runs from red at {@code min} through yellow to green at {@code max}, explained by a scale at the
     * right titled {@code scaleTitle}. Rows are listed top to bottom, columns left to right.
     */
    record Heatmap(String title, String xTitle, String yTitle, List<String> columns, List<String> rows, double[][] values,
                   double min, double max, String scaleTitle, int width, int height) implements Chart {
        public Heatmap {
            if (values.length != rows.size()) {
                throw new IllegalArgumentException("heatmap " + title + ": " + values.length + " rows of values for "
                        + rows.size() + " row labels");
            }
            for (double[] r : values) {
                if (r.length != columns.size()) {
                    throw new IllegalArgumentException("heatmap " + title + ": a row of " + r.length + " values for "
                            + columns.size() + " columns");
                }
            }
            if (!(max > min)) {
                throw new IllegalArgumentException("heatmap " + title + ": colour scale " + min + ".." + max);
            }
        }
    }
}
