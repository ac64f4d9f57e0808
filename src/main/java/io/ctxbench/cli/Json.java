package io.ctxbench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;

/** The CLI's JSON: the results' one configuration (snake_case names, a number that is not finite written as null). */
final class Json {
    static final ObjectMapper MAPPER = io.ctxbench.results.Json.MAPPER;

    private Json() {
    }

    /** Indented, without a final newline (for println). */
    static String pretty(Object o) {
        return io.ctxbench.results.Json.pretty(o).stripTrailing();
    }
}
