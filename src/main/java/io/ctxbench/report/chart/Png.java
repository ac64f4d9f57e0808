package io.ctxbench.report.chart;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * PNG through Java2D and ImageIO, headless. Drawing text starts the JDK's font manager, which throws
 * java.lang.Error on a machine without fonts; {@link ChartFiles} turns that into a warning.
 */
final class Png {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Png() {
    }

    static byte[] render(Drawing d) throws IOException {
        BufferedImage img = new BufferedImage(d.width(), d.height(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            for (Drawing.Shape shape : d.shapes()) {
                switch (shape) {
                    case Drawing.Line l -> {
                        g.setColor(new Color(l.rgb()));
                        g.setStroke(new BasicStroke((float) l.width()));
                        g.draw(new Line2D.Double(l.x1(), l.y1(), l.x2(), l.y2()));
                    }
                    case Drawing.Poly p -> {
                        Path2D.Double path = new Path2D.Double();
                        for (int i = 0; i < p.xy().length; i += 2) {
                            if (i == 0) {
                                path.moveTo(p.xy()[0], p.xy()[1]);
                            } else {
                                path.lineTo(p.xy()[i], p.xy()[i + 1]);
                            }
                        }
                        if (p.closed()) {
                            path.closePath();
                        }
                        if (p.fill() >= 0) {
                            g.setColor(new Color(p.fill() >> 16 & 0xff, p.fill() >> 8 & 0xff, p.fill() & 0xff,
                                    (int) Math.round(255 * p.fillOpacity())));
                            g.fill(path);
                        }
                        g.setColor(new Color(p.rgb()));
                        g.setStroke(new BasicStroke((float) p.width(), BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
                        g.draw(path);
                    }
                    case Drawing.Rect r -> {
                        g.setColor(new Color(r.fill()));
                        g.fill(new Rectangle2D.Double(r.x(), r.y(), r.w(), r.h()));
                    }
                    case Drawing.Dot c -> {
                        g.setColor(new Color(c.fill()));
                        g.fill(new Ellipse2D.Double(c.x() - c.r(), c.y() - c.r(), 2 * c.r(), 2 * c.r()));
                    }
                    case Drawing.Text t -> {
                        g.setColor(new Color(t.rgb()));
                        g.setFont(new Font(Font.SANS_SERIF, t.bold() ? Font.BOLD : Font.PLAIN, 1).deriveFont((float) t.size()));
                        double width = g.getFontMetrics().getStringBounds(t.text(), g).getWidth();
                        double dx = switch (t.anchor()) {
                            case START -> 0;
                            case MIDDLE -> -width / 2;
                            case END -> -width;
                        };
                        AffineTransform saved = g.getTransform();
                        g.rotate(Math.toRadians(t.angle()), t.x(), t.y());
                        g.drawString(t.text(), (float) (t.x() + dx), (float) t.y());
                        g.setTransform(saved);
                    }
                }
            }
        } finally {
            g.dispose();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!ImageIO.write(img, "png", out)) {
            throw new IOException("this Java runtime has no PNG writer");
        }
        return out.toByteArray();
    }
}
