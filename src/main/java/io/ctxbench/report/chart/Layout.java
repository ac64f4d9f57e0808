package io.ctxbench.report.chart;

import io.ctxbench.report.chart.Chart.Series;
import io.ctxbench.report.chart.Drawing.Anchor;
import io.ctxbench.report.chart.Drawing.Dot;
import io.ctxbench.report.chart.Drawing.Line;
import io.ctxbench.report.chart.Drawing.Poly;
import io.ctxbench.report.chart.Drawing.Rect;
import io.ctxbench.report.chart.Drawing.Shape;
import io.ctxbench.report.chart.Drawing.Text;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.DoubleStream;

/**
 * Places a chart's parts in pixels: title on top, legend at the bottom, plot in between. Text widths are estimated
 * from character classes, not measured, so that no font is needed (the SVG is written without AWT; the estimate is
 * on the wide side, and the PNG backend anchors its text with real metrics).
 */
final class Layout {
    /** Tableau's ten colours and two darker ones: distinct on white, readable as thin lines. */
    static final int[] PALETTE = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f,
            0xbcbd22, 0x17becf, 0x393b79, 0x843c39};
    private static final int INK = 0x222222, MUTED = 0x555555, GRID = 0xe4e4e4, AXIS = 0x999999;
    private static final double TICK = 11, LABEL = 12, ROW = 18;

    private final List<Shape> shapes = new ArrayList<>();
    private final int w, h;
    private final double right;   // the plot's right edge

    private Layout(int w, int h) {
        this.w = w;
        this.h = h;
        this.right = w - 24;
    }

    static Drawing of(Chart c) {
        Layout l = new Layout(c.width(), c.height());
        l.shapes.add(new Rect(0, 0, c.width(), c.height(), 0xffffff));
        double top = 14;
        if (!c.title().isEmpty()) {
            double size = Math.min(16, (c.width() - 20) / (BOLD * textWidth(c.title(), 1)));
            l.text(c.width() / 2.0, 14 + size, c.title(), size, true, Anchor.MIDDLE, 0, INK);
            top = 26 + size;
        }
        switch (c) {
            case Chart.LineChart x -> l.line(x, top);
            case Chart.RadarChart x -> l.radar(x, top);
            case Chart.BarChart x -> l.bars(x, top);
            case Chart.Heatmap x -> l.heatmap(x, top);
        }
        return new Drawing(c.width(), c.height(), List.copyOf(l.shapes));
    }

    private void line(Chart.LineChart c, double top) {
        double bottom = legend(c.series(), true) - 54;
        Axis y = Axis.linear(values(c.series(), 0), (int) ((bottom - top) / 55));
        double left = yAxis(y, c.yTitle(), top, bottom);
        double[] xs = c.series().stream().flatMapToDouble(s -> Arrays.stream(s.x())).filter(Double::isFinite).toArray();
        int xTicks = (int) ((right - left) / (textWidth(Axis.label(max(xs)), TICK) + 24));
        Axis x = c.log2X() ? Axis.log2(xs, xTicks) : Axis.linear(xs, xTicks);
        for (double t : x.ticks()) {
            double px = left + x.frac(t) * (right - left);
            shapes.add(new Line(px, top, px, bottom, GRID, 1));
            text(px, bottom + 17, Axis.label(t), TICK, false, Anchor.MIDDLE, 0, MUTED);
        }
        shapes.add(new Line(left, bottom, right, bottom, AXIS, 1));
        text((left + right) / 2, bottom + 40, c.xTitle(), LABEL, false, Anchor.MIDDLE, 0, INK);
        for (int i = 0; i < c.series().size(); i++) {
            Series s = c.series().get(i);
            int colour = PALETTE[i % PALETTE.length];
            List<Double> pts = new ArrayList<>();
            for (int j = 0; j < s.y().length; j++) {
                if (Double.isFinite(s.x()[j]) && Double.isFinite(s.y()[j])) {
                    pts.add(left + x.frac(s.x()[j]) * (right - left));
                    pts.add(bottom - y.frac(s.y()[j]) * (bottom - top));
                }
            }
            double[] xy = pts.stream().mapToDouble(Double::doubleValue).toArray();
            shapes.add(new Poly(xy, false, colour, 2, -1, 0, s.name()));
            for (int j = 0; s.low() != null && j < s.y().length; j++) {
                if (Double.isFinite(s.x()[j]) && Double.isFinite(s.y()[j]) && Double.isFinite(s.low()[j])
                        && Double.isFinite(s.high()[j])) {
                    double px = left + x.frac(s.x()[j]) * (right - left);
                    double lo = bottom - y.frac(s.low()[j]) * (bottom - top), hi = bottom - y.frac(s.high()[j]) * (bottom - top);
                    shapes.add(new Line(px, lo, px, hi, colour, 1.2));
                    shapes.add(new Line(px - 4, lo, px + 4, lo, colour, 1.2));
                    shapes.add(new Line(px - 4, hi, px + 4, hi, colour, 1.2));
                }
            }
            for (int j = 0; j < xy.length; j += 2) {
                shapes.add(new Dot(xy[j], xy[j + 1], 3.5, colour));
            }
        }
    }

    private void radar(Chart.RadarChart c, double top) {
        double bottom = legend(c.series(), true) - 8;
        int n = c.axes().size();
        double labelW = c.axes().stream().mapToDouble(a -> textWidth(a, LABEL)).max().orElse(0);
        double cx = w / 2.0, cy = (top + bottom) / 2, r = Math.max(10, Math.min(w / 2.0 - labelW - 14, (bottom - top) / 2 - 20));
        for (int ring = 1; ring <= 4; ring++) {
            shapes.add(new Poly(spokes(cx, cy, r * ring / 4, n, null), true, ring == 4 ? AXIS : GRID, 1, -1, 0, null));
        }
        for (int i = 0; i < n; i++) {
            double a = angle(i, n), cos = Math.cos(a), sin = Math.sin(a);
            shapes.add(new Line(cx, cy, cx + r * cos, cy + r * sin, GRID, 1));
            Anchor anchor = cos > 0.3 ? Anchor.START : cos < -0.3 ? Anchor.END : Anchor.MIDDLE;
            double ly = cy + (r + 10) * sin + 4 + (sin > 0.5 ? 8 : sin < -0.5 ? -4 : 0);
            text(cx + (r + 10) * cos, ly, c.axes().get(i), LABEL, false, anchor, 0, INK);
        }
        for (int i = 0; i < c.series().size(); i++) {
            int colour = PALETTE[i % PALETTE.length];
            double[] xy = spokes(cx, cy, r, n, c.series().get(i).y());
            shapes.add(new Poly(xy, true, colour, 2, colour, 0.08, c.series().get(i).name()));
            for (int j = 0; j < xy.length; j += 2) {
                shapes.add(new Dot(xy[j], xy[j + 1], 3, colour));
            }
        }
    }

    /** The points at fraction {@code v[i]} (all 1 when v is null; NaN as 0) of radius r along each of n spokes. */
    private static double[] spokes(double cx, double cy, double r, int n, double[] v) {
        double[] xy = new double[2 * n];
        for (int i = 0; i < n; i++) {
            double f = v == null ? 1 : Double.isFinite(v[i]) ? Math.max(0, Math.min(1, v[i])) : 0;
            xy[2 * i] = cx + r * f * Math.cos(angle(i, n));
            xy[2 * i + 1] = cy + r * f * Math.sin(angle(i, n));
        }
        return xy;
    }

    private static double angle(int i, int n) {
        return -Math.PI / 2 + 2 * Math.PI * i / n;   // first axis at twelve o'clock, then clockwise
    }

    private void bars(Chart.BarChart c, double top) {
        double legendTop = legend(c.series(), false);
        Axis y = Axis.linear(values(c.series(), 0, c.reference()), (int) ((legendTop - top) / 70));
        int n = c.categories().size(), k = c.series().size();
        double labelW = c.categories().stream().mapToDouble(s -> textWidth(s, TICK)).max().orElse(0);
        // the y labels' width decides the slot width, which decides whether category labels must slant
        double left = leftEdge(y), slot = (right - left) / Math.max(1, n);
        boolean slant = labelW > slot - 8;
        double bottom = legendTop - 14 - (slant ? labelW * Math.sin(Math.toRadians(35)) + 16 : 22);
        yAxis(y, c.yTitle(), top, bottom);
        double group = slot * 0.72, bw = group / Math.max(1, k);
        for (int i = 0; i < n; i++) {
            double x0 = left + slot * i + (slot - group) / 2;
            for (int j = 0; j < k; j++) {
                double val = c.series().get(j).y()[i];
                if (!Double.isFinite(val)) {
                    continue;
                }
                double y0 = bottom - y.frac(Math.max(0, val)) * (bottom - top);
                double y1 = bottom - y.frac(Math.min(0, val)) * (bottom - top);
                shapes.add(new Rect(x0 + j * bw + 1, y0, bw - 2, y1 - y0, PALETTE[j % PALETTE.length]));
                String label = String.format(Locale.ROOT, "%.2f", val);
                if (textWidth(label, 10) <= bw + 4) {
                    text(x0 + (j + 0.5) * bw, y0 - 4, label, 10, false, Anchor.MIDDLE, 0, MUTED);
                }
            }
            double cx = left + slot * (i + 0.5);
            text(cx, bottom + (slant ? 14 : 17), c.categories().get(i), TICK, false, slant ? Anchor.END : Anchor.MIDDLE,
                    slant ? -35 : 0, INK);
        }
        if (Double.isFinite(c.reference())) {
            double py = bottom - y.frac(c.reference()) * (bottom - top);
            shapes.add(new Line(left, py, right, py, 0x444444, 1.2));
        }
        shapes.add(new Line(left, bottom, right, bottom, AXIS, 1));
    }

    /** Red (0) through yellow (0.5) to green (1), as needle-in-a-haystack heatmaps are usually coloured. */
    private static final int[] HEAT = {0xd73027, 0xfee08b, 0x1a9850};

    static int heat(double f) {
        double t = Math.max(0, Math.min(1, f)) * (HEAT.length - 1);
        int i = Math.min(HEAT.length - 2, (int) t);
        double u = t - i;
        int rgb = 0;
        for (int shift = 16; shift >= 0; shift -= 8) {
            int a = HEAT[i] >> shift & 0xff, b = HEAT[i + 1] >> shift & 0xff;
            rgb |= (int) Math.round(a + (b - a) * u) << shift;
        }
        return rgb;
    }

    private void heatmap(Chart.Heatmap c, double top) {
        int rows = c.rows().size(), cols = c.columns().size();
        Axis scale = Axis.linear(new double[]{c.min(), c.max()}, 5);
        double[] scaleTicks = Arrays.stream(scale.ticks()).filter(t -> t >= c.min() - 1e-9 && t <= c.max() + 1e-9).toArray();
        double tickW = Arrays.stream(scaleTicks).map(t -> textWidth(Axis.label(t), TICK)).max().orElse(0);
        double barRight = right - 22 - tickW, barLeft = barRight - 14;   // the colour scale, its labels, its title
        double left = 30 + c.rows().stream().mapToDouble(r -> textWidth(r, TICK)).max().orElse(0);
        double plotRight = barLeft - 18, cw = (plotRight - left) / Math.max(1, cols);
        double labelW = c.columns().stream().mapToDouble(s -> textWidth(s, TICK)).max().orElse(0);
        boolean slant = labelW > cw - 6;
        double bottom = h - 30 - (slant ? labelW * Math.sin(Math.toRadians(35)) + 16 : 22);
        double ch = (bottom - top) / Math.max(1, rows);
        double maxValueW = 0;
        for (double[] r : c.values()) {
            for (double v : r) {
                maxValueW = Math.max(maxValueW, Double.isFinite(v) ? textWidth(cellLabel(v), 1) : 0);
            }
        }
        double size = Math.min(Math.min(13, ch * 0.45), maxValueW > 0 ? (cw - 6) / maxValueW : 13);
        for (int i = 0; i < rows; i++) {
            double y0 = top + i * ch;
            text(left - 6, y0 + ch / 2 + 4, c.rows().get(i), TICK, false, Anchor.END, 0, MUTED);
            for (int j = 0; j < cols; j++) {
                double v = c.values()[i][j], x0 = left + j * cw;
                int fill = Double.isFinite(v) ? heat((v - c.min()) / (c.max() - c.min())) : 0xeeeeee;
                shapes.add(new Rect(x0 + 0.5, y0 + 0.5, cw - 1, ch - 1, fill));
                if (Double.isFinite(v) && size >= 7) {
                    text(x0 + cw / 2, y0 + ch / 2 + size * 0.36, cellLabel(v), size, false, Anchor.MIDDLE, 0,
                            luminance(fill) < 0.45 ? 0xffffff : INK);
                }
            }
        }
        for (int j = 0; j < cols; j++) {
            text(left + (j + 0.5) * cw, bottom + (slant ? 14 : 17), c.columns().get(j), TICK, false,
                    slant ? Anchor.END : Anchor.MIDDLE, slant ? -35 : 0, MUTED);
        }
        text((left + plotRight) / 2, h - 12, c.xTitle(), LABEL, false, Anchor.MIDDLE, 0, INK);
        text(18, (top + bottom) / 2, c.yTitle(), LABEL, false, Anchor.MIDDLE, -90, INK);
        int steps = 64;
        double step = (bottom - top) / steps;
        for (int k = 0; k < steps; k++) {   // the scale, max at the top
            shapes.add(new Rect(barLeft, top + k * step, 14, step + 0.5, heat(1 - (k + 0.5) / steps)));
        }
        for (double t : scaleTicks) {
            double py = bottom - (t - c.min()) / (c.max() - c.min()) * (bottom - top);
            shapes.add(new Line(barRight, py, barRight + 3, py, AXIS, 1));
            text(barRight + 6, py + 4, Axis.label(t), TICK, false, Anchor.START, 0, MUTED);
        }
        text(right + 12, (top + bottom) / 2, c.scaleTitle(), LABEL, false, Anchor.MIDDLE, 90, INK);
    }

    /** A cell's printed value: whole numbers as such, else one decimal. */
    static String cellLabel(double v) {
        return Math.abs(v - Math.rint(v)) < 0.05 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    /** Relative luminance (0 black .. 1 white), to print dark text on light cells and white on dark ones. */
    private static double luminance(int rgb) {
        return (0.2126 * (rgb >> 16 & 0xff) + 0.7152 * (rgb >> 8 & 0xff) + 0.0722 * (rgb & 0xff)) / 255;
    }

    /** Horizontal grid, y tick labels and the y title; returns the plot's left edge. */
    private double yAxis(Axis y, String title, double top, double bottom) {
        double left = leftEdge(y);
        for (double t : y.ticks()) {
            double py = bottom - y.frac(t) * (bottom - top);
            shapes.add(new Line(left, py, right, py, GRID, 1));
            text(left - 6, py + 4, Axis.label(t), TICK, false, Anchor.END, 0, MUTED);
        }
        shapes.add(new Line(left, top, left, bottom, AXIS, 1));
        text(18, (top + bottom) / 2, title, LABEL, false, Anchor.MIDDLE, -90, INK);
        return left;
    }

    private static double leftEdge(Axis y) {
        return 30 + Arrays.stream(y.ticks()).map(t -> textWidth(Axis.label(t), TICK)).max().orElse(0);
    }

    /** The legend, centred in rows at the bottom; returns its top. */
    private double legend(List<Series> series, boolean lines) {
        double entry = 34 + series.stream().mapToDouble(s -> textWidth(s.name(), LABEL)).max().orElse(0);
        int cols = (int) Math.max(1, Math.min(series.size(), (w - 20) / entry));
        int rows = (series.size() + cols - 1) / cols;
        double top = h - 10 - rows * ROW, x0 = (w - cols * entry) / 2;
        for (int i = 0; i < series.size(); i++) {
            double x = x0 + (i % cols) * entry, y = top + (i / cols) * ROW + 13;
            int colour = PALETTE[i % PALETTE.length];
            if (lines) {
                shapes.add(new Line(x, y - 4, x + 20, y - 4, colour, 2));
                shapes.add(new Dot(x + 10, y - 4, 3.5, colour));
            } else {
                shapes.add(new Rect(x + 4, y - 10, 12, 12, colour));
            }
            text(x + 26, y, series.get(i).name(), LABEL, false, Anchor.START, 0, INK);
        }
        return top;
    }

    private void text(double x, double y, String s, double size, boolean bold, Anchor a, double angle, int rgb) {
        if (!s.isEmpty()) {
            shapes.add(new Text(x, y, s, size, bold, a, angle, rgb));
        }
    }

    /** The finite values among the series' y (and error bars) and {@code more}. */
    private static double[] values(List<Series> series, double... more) {
        DoubleStream ys = series.stream().flatMapToDouble(s -> s.low() == null ? Arrays.stream(s.y())
                : java.util.stream.Stream.of(s.y(), s.low(), s.high()).flatMapToDouble(Arrays::stream));
        return DoubleStream.concat(ys, Arrays.stream(more)).filter(Double::isFinite).toArray();
    }

    private static double max(double[] v) {
        return Arrays.stream(v).max().orElse(0);
    }

    /** Bold text is this much wider than {@link #textWidth} estimates (DejaVu Sans Bold: 9% on a long title). */
    static final double BOLD = 1.12;

    /**
     * Estimated width of {@code s} in pixels at font size {@code size}, from DejaVu Sans' advances (wider than
     * Helvetica or Arial, so a browser's rendering fits too).
     */
    static double textWidth(String s, double size) {
        double em = 0;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            em += " .,:;'|!il()[]".indexOf(ch) >= 0 ? 0.32 : "mwMW%@".indexOf(ch) >= 0 ? 0.92
                    : Character.isUpperCase(ch) || Character.isDigit(ch) ? 0.68 : 0.6;
        }
        return em * size;
    }

    /** A numeric axis: its range (in log2 units when {@code log2}), its ticks, and where a value falls on it. */
    record Axis(double lo, double hi, boolean log2, double zeroAt, double[] ticks) {
        /** 0 at the axis' start, 1 at its end. */
        double frac(double v) {
            double t = !log2 ? v : v > 0 ? Math.log(v) / Math.log(2) : zeroAt;
            return (t - lo) / (hi - lo);
        }

        /** About {@code target} ticks at 1, 2, 2.5 or 5 times a power of ten, the range widened to whole ticks. */
        static Axis linear(double[] v, int target) {
            double min = v.length == 0 ? 0 : Arrays.stream(v).min().getAsDouble(), max = Layout.max(v);
            if (!(max > min)) {
                double pad = min == 0 ? 1 : Math.abs(min) * 0.1;
                min = min == 0 ? 0 : min - pad;
                max += pad;
            }
            double raw = (max - min) / Math.max(2, target), p = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / p;
            double step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * p;
            long a = (long) Math.floor(min / step + 1e-9), b = (long) Math.ceil(max / step - 1e-9);
            double[] ticks = new double[(int) (b - a + 1)];
            for (int i = 0; i < ticks.length; i++) {
                ticks[i] = (a + i) * step;
            }
            return new Axis(a * step, b * step, false, 0, ticks);
        }

        /** Powers of two (every second, fourth... when there are more than {@code maxTicks}); 0 one octave left of the smallest. */
        static Axis log2(double[] v, int maxTicks) {
            double[] pos = Arrays.stream(v).filter(x -> x > 0).toArray();
            if (pos.length == 0) {
                return linear(v, maxTicks);
            }
            int a = (int) Math.floor(Math.log(Arrays.stream(pos).min().getAsDouble()) / Math.log(2) + 1e-9);
            int b = Math.max(a, (int) Math.ceil(Math.log(Layout.max(pos)) / Math.log(2) - 1e-9));
            boolean zero = pos.length < v.length;
            int every = Math.max(1, (int) Math.ceil((b - a + 1 + (zero ? 1 : 0)) / (double) Math.max(2, maxTicks)));
            List<Double> ticks = new ArrayList<>(zero ? List.of(0.0) : List.of());
            for (int k = b; k >= a; k -= every) {   // from the top, so the largest length is always labelled
                ticks.add(Math.pow(2, k));
            }
            double[] t = ticks.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            return new Axis((zero ? a - 1 : a) - 0.35, b + 0.35, true, a - 1, t);
        }

        /** 131,072 rather than 1.3E5; fractions to six significant digits, without float noise (0.30000000000000004). */
        static String label(double v) {
            if (Math.abs(v) < 1e-12) {
                return "0";
            }
            if (Math.abs(v) < 1e15 && Math.abs(v - Math.rint(v)) < 1e-9 * Math.max(1, Math.abs(v))) {
                return String.format(Locale.ROOT, "%,d", (long) Math.rint(v));
            }
            return new BigDecimal(v).round(new MathContext(6)).stripTrailingZeros().toPlainString();
        }
    }
}
