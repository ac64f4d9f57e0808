package io.ctxbench.results;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ctxbench.CtxbenchException;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A sweep's two result files: sweep.jsonl, the cells as they finish (a {@link ResultsLog} of {@link CellResult}
 * lines; at the end replaced by one line per cell in cell order), and sweep.json, one document holding the run
 * manifest (the {@link Environment} and the run's own facts), the spec and every cell.
 */
public final class SweepResults {
    public static final String JSONL = "sweep.jsonl";
    public static final String JSON = "sweep.json";

    private SweepResults() {
    }

    /** Opens (creating or repairing a torn last line) {@code dir}/sweep.jsonl for appending cells. */
    public static ResultsLog openLog(RunFolderLock lock, Path dir) {
        return ResultsLog.open(lock, dir.resolve(JSONL), ResultsLog.Keys.SWEEP_CELL, java.util.function.UnaryOperator.identity());
    }

    /** Appends one cell, forced to disk before the sweep goes on. */
    public static void append(ResultsLog log, CellResult cell) {
        log.append(String.valueOf(cell.cell().index()), Json.line(cell));
    }

    /** Replaces {@code dir}/sweep.jsonl by these cells, one line each, at once. */
    public static void rewrite(RunFolderLock lock, Path dir, List<CellResult> cells) {
        ResultsLog.replace(lock, dir.resolve(JSONL), cells.stream().map(Json::line).toList());
    }

    /**
     * The sweep.json document: {@code manifest} (the environment's fields with {@code extra}'s after them), the
     * {@code spec} and the cells.
     */
    public static ObjectNode document(Environment environment, Map<String, Object> extra, Object spec, List<CellResult> cells) {
        ObjectNode manifest = Json.MAPPER.valueToTree(environment);
        extra.forEach((k, v) -> manifest.set(k, Json.MAPPER.valueToTree(v)));
        ObjectNode doc = Json.MAPPER.createObjectNode();
        doc.put("schema", Schema.CURRENT);
        doc.set("manifest", manifest);
        doc.set("spec", Json.MAPPER.valueToTree(spec));
        return withCells(doc, cells);
    }

    /** {@code doc} with its cells replaced (the manifest and spec kept). */
    public static ObjectNode withCells(ObjectNode doc, List<CellResult> cells) {
        doc.set("cells", Json.MAPPER.valueToTree(cells));
        return doc;
    }

    /** Writes sweep.json whole (through a temporary file and a rename); returns its text. */
    public static String writeDocument(RunFolderLock lock, Path dir, ObjectNode doc) {
        String text = Json.pretty(doc);
        ResultFiles.replace(lock, dir.resolve(JSON), text);
        return text;
    }

    /** An earlier sweep.json; an IOException says why it is not one. */
    public static ObjectNode readDocument(Path file) throws IOException {
        if (Json.MAPPER.readTree(file.toFile()) instanceof ObjectNode o) {
            return o;
        }
        throw new IOException("not a JSON object");
    }

    /**
     * Reads a sweep.jsonl back. A sweep writes each cell when it is done and, with llama-bench, the same cell again
     * with llama-bench's figures attached: such a repeat replaces the first line (they differ in nothing else);
     * every other line is kept, so files of several runs concatenated keep all their cells. A torn last line (a
     * sweep killed while writing it) is skipped and said to {@code warn}. Cells come back in first-seen order.
     * Lines of schema 0 (before cells carried a schema) read as they are; a newer schema is refused.
     */
    public static List<CellResult> read(Path jsonl, Consumer<String> warn) throws IOException {
        String text;
        try {
            text = Files.readString(jsonl, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new CtxbenchException(jsonl + " is not UTF-8 text, so not a sweep's JSON lines");
        }
        List<String> lines = text.lines().toList();
        Map<String, CellResult> cells = new LinkedHashMap<>();   // the line without llama-bench's figures -> the cell
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n);
            if (line.isBlank()) {
                continue;
            }
            CellResult r;
            ObjectNode o;
            try {
                if (!(Json.MAPPER.readTree(line) instanceof ObjectNode node)) {
                    throw new IOException("not a JSON object");
                }
                o = node;
                r = Json.MAPPER.treeToValue(o, CellResult.class);
                if (r.cell() == null || r.cell().model() == null || r.cell().typeK() == null || r.cell().typeV() == null
                        || r.cell().flashAttn() == null || r.status() == null) {
                    throw new IOException("no cell with its model, KV types, flash attention and status");
                }
            } catch (IOException e) {
                if (n == lines.size() - 1 && !text.endsWith("\n")) {
                    warn.accept(jsonl + " line " + (n + 1) + " is incomplete (the sweep was stopped while writing it); skipped");
                    continue;
                }
                throw new CtxbenchException(jsonl + " line " + (n + 1) + ": not a sweep cell ("
                        + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + ")");
            }
            JsonNode schema = o.get("schema");
            Schema.check(schema == null ? 0 : schema.asInt(-1), jsonl + " line " + (n + 1) + ": ");
            o.remove("llama_bench");
            cells.put(o.toString(), r);
        }
        return new ArrayList<>(cells.values());
    }
}
