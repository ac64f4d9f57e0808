package io.ctxbench.results;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The one table printer: a cell with a bar, a comma, a quote or a line break stays one cell in every format. */
class TableTest {
    @Test
    void awkwardCellsStayOneCell() {
        Table t = new Table("lr", List.of("name", "value")).row("a|b, \"c\"\nd", "1.5").row(null, "2");
        assertEquals("| name | value |\n|---|---:|\n| a\\|b, \"c\" d | 1.5 |\n|  | 2 |\n", t.markdown());
        assertEquals("name,value\n\"a|b, \"\"c\"\"\nd\",1.5\n,2\n", t.csv());
        assertEquals("<table>\n<tr><th>name</th><th>value</th></tr>\n<tr><td>a|b</td><td>x</td></tr>\n</table>\n",
                new Table("ll", List.of("name", "value")).row("a|b", "x").html());
    }
}
