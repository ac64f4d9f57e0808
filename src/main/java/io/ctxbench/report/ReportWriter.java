package io.ctxbench.report;

import io.ctxbench.CtxbenchException;
import io.ctxbench.report.chart.Chart;
import io.ctxbench.report.chart.ChartFiles;
import io.ctxbench.results.Html;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Writes a report folder: report.md, report.csv, report.json, lengths.csv and length-costs.csv (when the run has
 * RULER or needle-grid records: {@link LengthResults}), the charts (SVG and PNG) and report.html, one
 * self-contained page (tables, the SVG charts inline, the PNGs as base64 data for viewers without SVG). The text
 * outputs come first, and a chart that cannot be drawn costs only itself: the page shows the charts drawn.
 */
public final class ReportWriter {
    private ReportWriter() {
    }

    /** Writes everything into {@code out}; returns the paths written. Chart problems are warnings on stderr. */
    public static List<Path> write(Report r, Path out, String title) {
        return write(r, out, title, new ChartFiles(List.of(ChartFiles.SVG, ChartFiles.PNG),
                w -> System.err.println("report: warning: " + w)));
    }

    static List<Path> write(Report r, Path out, String title, ChartFiles chartFiles) {
        try {
            Files.createDirectories(out);
            Path md = out.resolve("report.md"), csv = out.resolve("report.csv"), json = out.resolve("report.json"),
                    html = out.resolve("report.html");
            String markdown = r.markdown(title);
            Files.writeString(md, markdown, StandardCharsets.UTF_8);
            Files.writeString(csv, r.csv(), StandardCharsets.UTF_8);
            Files.writeString(json, r.json(), StandardCharsets.UTF_8);
            List<Path> written = new ArrayList<>(List.of(md, csv, json, html));
            Map<String, String> lengthFiles = new java.util.LinkedHashMap<>();
            lengthFiles.put("lengths.csv", r.lengths().csv());
            lengthFiles.put("length-costs.csv", r.lengths().costsCsv());
            for (Map.Entry<String, String> f : lengthFiles.entrySet()) {
                if (f.getValue() != null) {
                    Files.writeString(out.resolve(f.getKey()), f.getValue(), StandardCharsets.UTF_8);
                    written.add(out.resolve(f.getKey()));
                }
            }
            StringBuilder h = new StringBuilder();
            h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc(title))
                    .append("</title>\n<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
                            + "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:3px 8px}"
                            + "td{text-align:right}td:first-child{text-align:left}th{background:#eee}"
                            + "figure{display:inline-block;margin:0.5em}blockquote{color:#555}</style></head><body>\n");
            h.append(Html.fromMarkdown(markdown));
            StringBuilder figures = new StringBuilder();
            for (Map.Entry<String, Chart> c : Charts.of(r).entrySet()) {
                String name = c.getKey();
                List<Path> files = chartFiles.save(c.getValue(), out, name);
                written.addAll(files);
                Path svg = out.resolve(name + ".svg"), png = out.resolve(name + ".png");
                String pngData = files.contains(png)
                        ? "data:image/png;base64," + Base64.getEncoder().encodeToString(Files.readAllBytes(png)) : null;
                String caption = esc(name), figure;
                if (files.contains(svg)) {
                    figure = Files.readString(svg, StandardCharsets.UTF_8);
                    if (pngData != null) {
                        caption += " (<a download=\"" + esc(name) + ".png\" href=\"" + pngData + "\">PNG</a>)";
                    }
                } else if (pngData != null) {
                    figure = "<img alt=\"" + esc(name) + "\" src=\"" + pngData + "\">";
                } else {
                    continue;
                }
                figures.append("<figure>").append(figure).append("<figcaption>").append(caption).append("</figcaption></figure>\n");
            }
            if (!figures.isEmpty()) {
                h.append("<h2>Charts</h2>\n").append(figures);
            }
            h.append("</body></html>\n");
            Files.writeString(html, h.toString(), StandardCharsets.UTF_8);
            return written;
        } catch (IOException e) {
            throw new CtxbenchException("cannot write the report into " + out + ": " + e.getMessage(), e);
        }
    }

    private static String esc(String s) {
        return Html.escape(s);
    }
}
