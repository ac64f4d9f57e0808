package io.ctxbench.report;

import io.ctxbench.results.Interval;
import io.ctxbench.results.Table;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * One column of a report CSV file and of the matching report.json objects: its snake_case name and its value (null
 * or NaN: not measured, an empty cell and a JSON null). A CSV file and its JSON section come from one list of columns,
 * so their names cannot drift apart.
 */
record Column<T>(String name, Function<T, Object> value) {

    static <T> List<Column<T>> col(String name, Function<T, Object> value) {
        return List.of(new Column<>(name, value));
    }

    /** An interval as three columns: {@code name}, {@code name_ci_low}, {@code name_ci_high}. */
    static <T> List<Column<T>> ci(String name, Function<T, Interval> value) {
        return List.of(new Column<>(name, x -> value.apply(x).estimate()), new Column<>(name + "_ci_low", x -> value.apply(x).low()),
                new Column<>(name + "_ci_high", x -> value.apply(x).high()));
    }

    @SafeVarargs
    static <T> List<Column<T>> columns(List<Column<T>>... groups) {
        return Stream.of(groups).flatMap(List::stream).toList();
    }

    /** The columns of a part of {@code T} (e.g. a row's {@link Cost}) as columns of {@code T}, same names. */
    static <T, P> List<Column<T>> of(Function<T, P> part, List<Column<P>> cols) {
        return cols.stream().map(c -> new Column<T>(c.name(), x -> c.value().apply(part.apply(x)))).toList();
    }

    static <T> Map<String, Object> map(List<Column<T>> cols, T x) {
        Map<String, Object> m = new LinkedHashMap<>();
        cols.forEach(c -> m.put(c.name(), c.value().apply(x)));
        return m;
    }

    /** A header line of the names and one line per element. */
    static <T> String csv(List<Column<T>> cols, List<T> xs) {
        Table t = new Table("l".repeat(cols.size()), cols.stream().map(Column::name).toList());
        xs.forEach(x -> t.row(cols.stream().map(c -> text(c.value().apply(x))).toList()));
        return t.csv();
    }

    static String text(Object v) {
        return v == null || v instanceof Double d && !Double.isFinite(d) ? "" : v.toString();
    }
}
