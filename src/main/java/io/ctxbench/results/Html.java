package io.ctxbench.results;

import java.util.ArrayList;
import java.util.List;

/** The one way results become HTML: the small markdown subset the printers write, converted. */
public final class Html {
    private Html() {
    }

    /** Headings (#, ##, ###), paragraphs, quotes ("> "), pipe tables (a '\|' in a cell is a bar), and **bold**. */
    public static String fromMarkdown(String md) {
        StringBuilder h = new StringBuilder();
        String[] lines = md.split("\n");
        for (int i = 0; i < lines.length; i++) {
            String l = lines[i];
            if (l.startsWith("|")) {
                h.append("<table>\n");
                boolean header = true;
                for (; i < lines.length && lines[i].startsWith("|"); i++) {
                    if (lines[i].startsWith("|---")) {
                        continue;
                    }
                    h.append("<tr>");
                    for (String c : cells(lines[i])) {
                        h.append(header ? "<th>" : "<td>").append(inline(c.strip())).append(header ? "</th>" : "</td>");
                    }
                    h.append("</tr>\n");
                    header = false;
                }
                h.append("</table>\n");
                i--;
            } else if (l.startsWith("### ")) {
                h.append("<h3>").append(inline(l.substring(4))).append("</h3>\n");
            } else if (l.startsWith("## ")) {
                h.append("<h2>").append(inline(l.substring(3))).append("</h2>\n");
            } else if (l.startsWith("# ")) {
                h.append("<h1>").append(inline(l.substring(2))).append("</h1>\n");
            } else if (l.startsWith("> ")) {
                h.append("<blockquote>").append(inline(l.substring(2))).append("</blockquote>\n");
            } else if (!l.isBlank()) {
                h.append("<p>").append(inline(l)).append("</p>\n");
            }
        }
        return h.toString();
    }

    /** The cells of "| a | b \| c |": split at the bars that are not escaped. */
    private static List<String> cells(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder c = new StringBuilder();
        for (int i = 1; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (ch == '\\' && i + 1 < line.length() && line.charAt(i + 1) == '|') {
                c.append('|');
                i++;
            } else if (ch == '|') {
                out.add(c.toString());
                c.setLength(0);
            } else {
                c.append(ch);
            }
        }
        return out;
    }

    private static String inline(String s) {
        return escape(s).replaceAll("\\*\\*(.+?)\\*\\*", "<b>$1</b>");
    }

    /** Text made safe for HTML content and attribute values. */
    public static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
