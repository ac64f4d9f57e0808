package io.ctxbench.tasks;

/** A line of a data file that could not be used: which file, which line (1-based), and why. */
public record DataIssue(String file, int line, String reason) {
    @Override
    public String toString() {
        return file + ":" + line + ": " + reason;
    }

    /** The kind of problem without the details, for counting ("malformed JSON", "missing field", ...). */
    public String kind() {
        int c = reason.indexOf(':');
        return c > 0 ? reason.substring(0, c) : reason;
    }
}
