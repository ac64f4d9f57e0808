package io.ctxbench.report.chart;

import java.util.Locale;

/** SVG as text: no AWT, no font metrics, so it is drawn on machines without fonts (text placed with text-anchor). */
final class Svg {
    private Svg() {
    }

    static String render(Drawing d) {
        StringBuilder s = new StringBuilder();
        s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(d.width()).append("\" height=\"").append(d.height())
                .append("\" viewBox=\"0 0 ").append(d.width()).append(' ').append(d.height())
                .append("\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n");
        for (Drawing.Shape shape : d.shapes()) {
            s.append(switch (shape) {
                case Drawing.Line l -> f("<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\" stroke-width=\"%s\"/>",
                        n(l.x1()), n(l.y1()), n(l.x2()), n(l.y2()), rgb(l.rgb()), n(l.width()));
                case Drawing.Poly p -> {
                    StringBuilder pts = new StringBuilder();
                    for (int i = 0; i < p.xy().length; i += 2) {
                        pts.append(i == 0 ? "" : " ").append(n(p.xy()[i])).append(',').append(n(p.xy()[i + 1]));
                    }
                    yield f("<%s points=\"%s\" fill=\"%s\" fill-opacity=\"%s\" stroke=\"%s\" stroke-width=\"%s\" "
                                    + "stroke-linejoin=\"round\"%s/>", p.closed() ? "polygon" : "polyline", pts,
                            p.fill() < 0 ? "none" : rgb(p.fill()), n(p.fillOpacity()), rgb(p.rgb()), n(p.width()),
                            p.series() == null ? "" : " data-series=\"" + esc(p.series()) + "\"");
                }
                case Drawing.Rect r -> f("<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"%s\"/>",
                        n(r.x()), n(r.y()), n(r.w()), n(r.h()), rgb(r.fill()));
                case Drawing.Dot c -> f("<circle cx=\"%s\" cy=\"%s\" r=\"%s\" fill=\"%s\"/>",
                        n(c.x()), n(c.y()), n(c.r()), rgb(c.fill()));
                case Drawing.Text t -> f("<text x=\"%s\" y=\"%s\" font-size=\"%s\" fill=\"%s\" text-anchor=\"%s\"%s%s>%s</text>",
                        n(t.x()), n(t.y()), n(t.size()), rgb(t.rgb()), t.anchor().name().toLowerCase(Locale.ROOT),
                        t.bold() ? " font-weight=\"bold\"" : "",
                        t.angle() == 0 ? "" : f(" transform=\"rotate(%s %s %s)\"", n(t.angle()), n(t.x()), n(t.y())), esc(t.text()));
            }).append('\n');
        }
        return s.append("</svg>\n").toString();
    }

    private static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    private static String n(double v) {
        String s = String.format(Locale.ROOT, "%.1f", v);
        return s.endsWith(".0") ? s.substring(0, s.length() - 2) : s;
    }

    private static String rgb(int rgb) {
        return String.format("#%06x", rgb & 0xffffff);
    }

    /** XML text or attribute value; control characters XML 1.0 forbids are dropped. */
    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                default -> {
                    if (c >= 0x20 || c == '\t' || c == '\n') {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }
}
