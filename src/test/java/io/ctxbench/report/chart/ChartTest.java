package io.ctxbench.report.chart;

import io.ctxbench.report.chart.Chart.Series;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChartTest {
    static final double NaN = Double.NaN;

    static Chart.LineChart sweepLike() {
        return new Chart.LineChart("Decode vs depth", "context depth (tokens)", "tokens/s", true, List.of(
                new Series("8b kv f16 fa on", new double[]{0, 4096, 32768, 131072}, new double[]{240, 200, 150, 80}),
                new Series("8b kv q4_0 <&> \"fa\" on", new double[]{0, 4096, 32768}, new double[]{220, 190, NaN}),
                new Series("70b kv f16", new double[]{8192}, new double[]{50})), 960, 600);
    }

    static Document parse(Drawing d) throws Exception {
        String svg = new String(ChartFiles.SVG.renderer().render(d), StandardCharsets.UTF_8);
        return DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    /** data-series name -> number of points, over polylines and polygons. */
    static Map<String, Integer> seriesPoints(Document doc) {
        Map<String, Integer> points = new HashMap<>();
        for (String tag : List.of("polyline", "polygon")) {
            NodeList l = doc.getElementsByTagName(tag);
            for (int i = 0; i < l.getLength(); i++) {
                Element e = (Element) l.item(i);
                if (e.hasAttribute("data-series")) {
                    assertEquals(null, points.put(e.getAttribute("data-series"), e.getAttribute("points").split(" ").length));
                }
            }
        }
        return points;
    }

    static Set<String> texts(Document doc) {
        Set<String> t = new LinkedHashSet<>();
        NodeList l = doc.getElementsByTagName("text");
        for (int i = 0; i < l.getLength(); i++) {
            t.add(l.item(i).getTextContent());
        }
        return t;
    }

    @Test
    void lineChartSvgIsXmlWithEverySeriesAndItsPoints() throws Exception {
        Document doc = parse(Layout.of(sweepLike()));
        assertEquals("960", doc.getDocumentElement().getAttribute("width"));
        // a NaN point is left out of its line, not drawn at 0
        assertEquals(Map.of("8b kv f16 fa on", 4, "8b kv q4_0 <&> \"fa\" on", 2, "70b kv f16", 1), seriesPoints(doc));
        Set<String> t = texts(doc);
        assertTrue(t.containsAll(List.of("8b kv f16 fa on", "8b kv q4_0 <&> \"fa\" on", "70b kv f16", "Decode vs depth",
                "context depth (tokens)", "tokens/s", "0", "131,072")), t.toString());
        assertEquals(7, doc.getElementsByTagName("circle").getLength() - 3, "a marker per point (and 3 in the legend)");
    }

    @Test
    void radarAndBarChartsHoldTheirSeries() throws Exception {
        List<String> axes = List.of("Score", "Decode tok/s", "Memory saving", "Prefill tok/s", "1 - Hall.");
        Document radar = parse(Layout.of(new Chart.RadarChart("qasper (m)", axes, List.of(
                Series.values("FP16", 1, 0.5, 0.5, 1, 1), Series.values("W4A16", 0.9, 1, 1, NaN, 0.8)), 640, 520)));
        assertEquals(Map.of("FP16", 5, "W4A16", 5), seriesPoints(radar));
        assertTrue(texts(radar).containsAll(axes), texts(radar).toString());

        Document bars = parse(Layout.of(new Chart.BarChart("Gains", "x baseline", List.of("W4A16 / qasper", "KV-Q / qasper"),
                List.of(Series.values("Throughput x", 1.8, 1.1), Series.values("Memory saving x", 2.2, NaN)), 1, 760, 480)));
        // background + 3 bars (NaN: none) + 2 legend swatches
        assertEquals(6, bars.getElementsByTagName("rect").getLength());
        assertTrue(texts(bars).containsAll(List.of("W4A16 / qasper", "KV-Q / qasper", "Throughput x", "Memory saving x",
                "1.80", "2.20")), texts(bars).toString());
    }

    @Test
    void heatmapHasACellPerValueWithItsNumberAndAColourScale() throws Exception {
        Chart.Heatmap c = new Chart.Heatmap("Needle: KV-Q", "context length (tokens)", "needle depth", List.of("1,024", "2,048",
                "4,096"), List.of("0%", "50%", "100%"), new double[][]{{100, 100, 66.6667}, {100, 0, NaN}, {100, 50, 33.3333}},
                0, 100, "score", 600, 400);
        Drawing d = Layout.of(c);
        List<Drawing.Rect> rects = d.shapes().stream().filter(s -> s instanceof Drawing.Rect).map(s -> (Drawing.Rect) s).toList();
        // background, 9 cells, 64 steps of the scale
        assertEquals(1 + 9 + 64, rects.size());
        List<Integer> cells = rects.subList(1, 10).stream().map(Drawing.Rect::fill).toList();
        assertEquals(Layout.heat(1), cells.get(0));
        assertEquals(0x1a9850, Layout.heat(1));
        assertEquals(0xd73027, Layout.heat(0));
        assertEquals(0xfee08b, Layout.heat(0.5));
        assertEquals(List.of(0x1a9850, 0xd73027, 0xeeeeee, 0xfee08b), List.of(cells.get(1), cells.get(4), cells.get(5),
                cells.get(7)), "100, 0, no data (grey), 50");
        // cells in reading order: row by row, left to right, same size
        assertTrue(rects.get(2).x() > rects.get(1).x() && rects.get(4).y() > rects.get(1).y(), rects.toString());
        assertEquals(rects.get(1).w(), rects.get(9).w(), 1e-9);
        Document doc = parse(d);
        Set<String> t = texts(doc);
        assertTrue(t.containsAll(List.of("Needle: KV-Q", "context length (tokens)", "needle depth", "score", "1,024", "4,096",
                "0%", "100%", "100", "66.7", "33.3", "50", "0", "20", "80")), t.toString());
        // the value on the red cell is white, on the light ones dark
        NodeList l = doc.getElementsByTagName("text");
        Map<String, String> fill = new HashMap<>();
        for (int i = 0; i < l.getLength(); i++) {
            Element e = (Element) l.item(i);
            fill.putIfAbsent(e.getTextContent(), e.getAttribute("fill"));
        }
        assertEquals("#ffffff", fill.get("0"));
        assertEquals("#222222", fill.get("50"));
        assertEquals("#222222", fill.get("66.7"));
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(ChartFiles.PNG.renderer().render(d)));
        assertEquals(600, img.getWidth());
        assertEquals(400, img.getHeight());
    }

    @Test
    void lineChartDrawsErrorBarsWhereTheSeriesHasThem() throws Exception {
        Chart.LineChart c = new Chart.LineChart("Score vs length", "length", "score", true, List.of(
                new Series("FP16", new double[]{1024, 2048, 4096}, new double[]{90, 80, 60}, new double[]{85, 70, NaN},
                        new double[]{95, 120, NaN}),
                new Series("KV-Q", new double[]{1024, 2048}, new double[]{88, 70})), 700, 400);
        Drawing d = Layout.of(c);
        int colour = Layout.PALETTE[0];
        long bars = d.shapes().stream().filter(s -> s instanceof Drawing.Line x && x.rgb() == colour && x.width() == 1.2).count();
        assertEquals(2 * 3, bars, "two error bars (the NaN one left out), each a stem and two caps");
        // the axis reaches the highest bar (without the bars it would end at 100)
        assertTrue(texts(parse(d)).contains("125"), texts(parse(d)).toString());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new Series("x", new double[]{1}, new double[]{1}, new double[]{1}, null));
    }

    @Test
    void pngDecodesAtTheRequestedSizeWithTheSeriesDrawn() throws IOException {
        Chart.LineChart c = sweepLike();
        c = new Chart.LineChart(c.title(), c.xTitle(), c.yTitle(), c.log2X(), c.series(), 800, 450);
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(ChartFiles.PNG.renderer().render(Layout.of(c))));
        assertEquals(800, img.getWidth());
        assertEquals(450, img.getHeight());
        int firstColour = 0;
        for (int x = 0; x < img.getWidth(); x++) {
            for (int y = 0; y < img.getHeight(); y++) {
                firstColour += (img.getRGB(x, y) & 0xffffff) == Layout.PALETTE[0] ? 1 : 0;
            }
        }
        assertTrue(firstColour > 200, "pixels of the first series' colour: " + firstColour);
    }

    @Test
    void aLongTitleIsShrunkToFitThePngInBold() throws IOException {
        Chart.Heatmap c = new Chart.Heatmap("Needle in a haystack: KV-Q, niah_single_2 (synthetic-8b [random weights: scores "
                + "are meaningless])", "length", "depth", List.of("32,768", "65,536"), List.of("50%"), new double[][]{{0, 0}},
                0, 100, "score", 520, 360);
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(ChartFiles.PNG.renderer().render(Layout.of(c))));
        int background = img.getRGB(0, img.getHeight() - 1), left = img.getWidth(), right = -1;
        for (int x = 0; x < img.getWidth(); x++) {
            for (int y = 0; y < 30; y++) {
                if (img.getRGB(x, y) != background) {
                    left = Math.min(left, x);
                    right = Math.max(right, x);
                }
            }
        }
        // the title's ink, within the margins it was fitted to (10 px a side), not cut at the edges
        assertTrue(left >= 5 && right <= img.getWidth() - 5 && right - left > img.getWidth() / 2,
                "title ink from x=" + left + " to " + right + " of " + img.getWidth());
    }

    @Test
    void tickLabelsAreReadableNumbers() {
        double[] lengths = {0, 4096, 8192, 16384, 32768, 65536, 131072};
        List<String> log = Arrays.stream(Layout.Axis.log2(lengths, 12).ticks()).mapToObj(Layout.Axis::label).toList();
        assertEquals(List.of("0", "4,096", "8,192", "16,384", "32,768", "65,536", "131,072"), log);
        // too many for the room: every second, the largest kept
        List<String> thin = Arrays.stream(Layout.Axis.log2(lengths, 4).ticks()).mapToObj(Layout.Axis::label).toList();
        assertEquals(List.of("0", "8,192", "32,768", "131,072"), thin);
        Layout.Axis lin = Layout.Axis.linear(new double[]{0, 131072}, 7);
        List<String> labels = Arrays.stream(lin.ticks()).mapToObj(Layout.Axis::label).toList();
        assertEquals(List.of("0", "20,000", "40,000", "60,000", "80,000", "100,000", "120,000", "140,000"), labels);
        assertEquals(List.of("0", "0.1", "0.2", "0.3", "0.4"),
                Arrays.stream(Layout.Axis.linear(new double[]{0, 0.37}, 4).ticks()).mapToObj(Layout.Axis::label).toList());
        assertEquals("1,234,567", Layout.Axis.label(1234567));
        // 0 sits one octave left of the smallest length, the others an octave apart
        Layout.Axis a = Layout.Axis.log2(lengths, 12);
        double octave = a.frac(8192) - a.frac(4096);
        assertEquals(octave, a.frac(4096) - a.frac(0), 1e-12);
        assertEquals(octave, a.frac(131072) - a.frac(65536), 1e-12);
    }

    @Test
    void aFailingFormatIsOneWarningAndTheOthersAreWritten(@TempDir Path dir) throws IOException {
        for (Throwable fault : List.of(new Error("Probable fatal error: No physical fonts found."),
                new NoClassDefFoundError("sun/awt/X11FontManager"), new IOException("disk full"))) {
            Path sub = Files.createDirectories(dir.resolve(fault.getClass().getSimpleName()));
            List<String> warnings = new ArrayList<>();
            ChartFiles.Format broken = new ChartFiles.Format("png", d -> {
                if (fault instanceof IOException e) {
                    throw e;
                }
                throw (Error) fault;
            });
            ChartFiles files = new ChartFiles(List.of(broken, ChartFiles.SVG), warnings::add);
            List<Path> written = new ArrayList<>();
            for (String name : List.of("a", "b", "c")) {
                written.addAll(files.save(sweepLike(), sub, name));
            }
            assertEquals(List.of(sub.resolve("a.svg"), sub.resolve("b.svg"), sub.resolve("c.svg")), written);
            try (Stream<Path> s = Files.list(sub)) {
                assertEquals(Set.of("a.svg", "b.svg", "c.svg"), s.map(p -> p.getFileName().toString()).collect(
                        java.util.stream.Collectors.toSet()), "no PNG and no temporary file left behind");
            }
            assertEquals(1, warnings.size(), warnings.toString());
            String w = warnings.getFirst();
            assertTrue(w.startsWith("PNG charts not drawn (") && w.contains(fault.getMessage())
                    && w.endsWith("; SVG charts are written"), w);
            assertEquals(fault.getMessage().toLowerCase(java.util.Locale.ROOT).contains("font"), w.contains("no fonts on this machine"), w);
        }
    }
}
