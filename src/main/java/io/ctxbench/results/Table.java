package io.ctxbench.results;

import java.util.ArrayList;
import java.util.List;

/**
 * A table of text cells, the one shape every results table is printed from (the eval report's, the sweep's): a
 * markdown pipe table, CSV (RFC 4180 quoting) and HTML (through {@link Html#fromMarkdown}). Cells arrive formatted;
 * a null cell is empty.
 */
public final class Table {
    private final String align;
    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();

    /**
     * @param align one letter per column, {@code l} (text, left) or {@code r} (figures, right), for markdown and HTML
     */
    public Table(String align, List<String> header) {
        if (align.length() != header.size() || !align.matches("[lr]*")) {
            throw new IllegalArgumentException("one of l/r per column: '" + align + "' for " + header);
        }
        this.align = align;
        this.header = List.copyOf(header);
    }

    public Table row(List<String> cells) {
        if (cells.size() != header.size()) {
            throw new IllegalArgumentException(cells.size() + " cells for " + header.size() + " columns: " + cells);
        }
        rows.add(new ArrayList<>(cells));
        return this;
    }

    public Table row(String... cells) {
        return row(java.util.Arrays.asList(cells));
    }

    public int size() {
        return rows.size();
    }

    /** The markdown pipe table, one line per row, ending with a newline; a '|' in a cell is escaped, a line break a space. */
    public String markdown() {
        StringBuilder b = new StringBuilder();
        mdLine(b, header);
        b.append('|');
        for (int i = 0; i < align.length(); i++) {
            b.append(align.charAt(i) == 'r' ? "---:|" : "---|");
        }
        b.append('\n');
        rows.forEach(r -> mdLine(b, r));
        return b.toString();
    }

    private static void mdLine(StringBuilder b, List<String> cells) {
        b.append("| ");
        for (int i = 0; i < cells.size(); i++) {
            String c = cells.get(i) == null ? "" : cells.get(i);
            b.append(i == 0 ? "" : " | ").append(c.replace("|", "\\|").replace("\r\n", " ").replace('\n', ' ').replace('\r', ' '));
        }
        b.append(" |\n");
    }

    /** The header line and one line per row, each ending with a newline. */
    public String csv() {
        StringBuilder b = new StringBuilder();
        csvLine(b, header);
        rows.forEach(r -> csvLine(b, r));
        return b.toString();
    }

    private static void csvLine(StringBuilder b, List<String> cells) {
        for (int i = 0; i < cells.size(); i++) {
            b.append(i == 0 ? "" : ",").append(csvField(cells.get(i)));
        }
        b.append('\n');
    }

    /** One CSV field: quoted when it holds a comma, a quote or a line break, quotes doubled; null is empty. */
    public static String csvField(String s) {
        if (s == null) {
            return "";
        }
        return s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")
                ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    public String html() {
        return Html.fromMarkdown(markdown());
    }
}
