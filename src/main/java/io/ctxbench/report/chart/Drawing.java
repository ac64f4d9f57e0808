package io.ctxbench.report.chart;

import java.util.List;

/** A chart laid out: shapes in pixels (origin top left, y down), drawn in order by either backend. Colours are 0xRRGGBB. */
public record Drawing(int width, int height, List<Drawing.Shape> shapes) {
    public sealed interface Shape permits Line, Poly, Rect, Dot, Text {
    }

    public record Line(double x1, double y1, double x2, double y2, int rgb, double width) implements Shape {
    }

    /** A polyline, or a polygon when closed; {@code fill} &lt; 0 for none; {@code series} names the data drawn (null: decoration). */
    public record Poly(double[] xy, boolean closed, int rgb, double width, int fill, double fillOpacity, String series)
            implements Shape {
    }

    public record Rect(double x, double y, double w, double h, int fill) implements Shape {
    }

    public record Dot(double x, double y, double r, int fill) implements Shape {
    }

    public enum Anchor { START, MIDDLE, END }

    /** Text whose baseline starts, is centred or ends at (x, y), turned {@code angle} degrees (clockwise) around that point. */
    public record Text(double x, double y, String text, double size, boolean bold, Anchor anchor, double angle, int rgb)
            implements Shape {
    }
}
