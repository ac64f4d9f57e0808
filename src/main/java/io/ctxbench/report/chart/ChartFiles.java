package io.ctxbench.report.chart;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The one way charts reach files, for the eval report and the sweep alike. A chart is a convenience and never costs
 * a result: whatever a backend throws (AWT's java.lang.Error on a machine without fonts, a LinkageError, an
 * IOException) becomes one warning per format and run, that format is not tried again, and the other formats and
 * the caller's text outputs are still written. Files are written whole or not at all.
 */
public final class ChartFiles {
    @FunctionalInterface
    public interface Renderer {
        byte[] render(Drawing d) throws IOException;
    }

    /** An output format: the file extension and how a laid-out chart becomes the file's bytes. */
    public record Format(String extension, Renderer renderer) {
    }

    public static final Format SVG = new Format("svg", d -> Svg.render(d).getBytes(StandardCharsets.UTF_8));
    public static final Format PNG = new Format("png", Png::render);

    private final List<Format> formats;
    private final Consumer<String> warn;
    private final Set<Format> failed = new LinkedHashSet<>();

    /** {@code warn} gets one line per failed format, without a prefix (the caller adds "report: warning: " or the like). */
    public ChartFiles(List<Format> formats, Consumer<String> warn) {
        this.formats = List.copyOf(formats);
        this.warn = warn;
    }

    /** Writes {@code dir/baseName.EXT} in each format that has not failed in this run; returns the files written. */
    public List<Path> save(Chart chart, Path dir, String baseName) {
        List<Path> written = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (Format f : formats) {
            if (failed.contains(f)) {
                continue;
            }
            Path file = dir.resolve(baseName + "." + f.extension());
            try {
                write(file, f.renderer().render(Layout.of(chart)));
                written.add(file);
            } catch (Throwable t) {   // Error included: see the class comment
                failed.add(f);
                problems.add(f.extension().toUpperCase(Locale.ROOT) + " charts not drawn (" + reason(t) + ")");
            }
        }
        List<String> working = formats.stream().filter(f -> !failed.contains(f))
                .map(f -> f.extension().toUpperCase(Locale.ROOT)).toList();
        for (String p : problems) {
            warn.accept(p + "; " + (working.isEmpty() ? "no" : String.join(" and ", working)) + " charts are written");
        }
        return written;
    }

    private static String reason(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (String.valueOf(c.getMessage()).toLowerCase(Locale.ROOT).contains("font")) {
                return "no fonts on this machine: " + t;
            }
        }
        return t.toString();
    }

    /** Through a temporary file and a rename: a chart file is complete or absent, never cut short. */
    private static void write(Path file, byte[] bytes) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        try {
            Files.write(tmp, bytes);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
