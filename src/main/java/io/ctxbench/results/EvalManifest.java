package io.ctxbench.results;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ctxbench.CtxbenchException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An eval run's manifest (manifest[-shard-i-of-n].json): the {@link Environment} of its latest session, the run's
 * config (its first session's: a resume must keep it), and one entry per session of the run (start, end,
 * command-line flags, summary), so a resumed run keeps the history of its interruptions. Written whole through a
 * temporary file and a rename.
 */
public final class EvalManifest {
    private EvalManifest() {
    }

    /**
     * Adds a session entry (started now, with {@code extra}'s fields) and writes the manifest; returns the session node
     * to finish later. The manifest keeps the first session's {@code config} when {@code resume} (the caller checked
     * that it matches, see {@link #differences}); a fresh run replaces it.
     */
    public static ObjectNode startSession(RunFolderLock lock, Path file, Environment environment, ObjectNode config,
                                          List<String> argv, ObjectNode extra, boolean resume) {
        ObjectNode root = read(file);
        root.put("schema", Schema.CURRENT);
        root.set("environment", Json.MAPPER.valueToTree(environment));
        if (!resume || !root.has("config")) {
            root.set("config", config);
        }
        ArrayNode sessions = root.has("sessions") ? (ArrayNode) root.get("sessions") : root.putArray("sessions");
        ObjectNode s = sessions.addObject();
        s.put("started", OffsetDateTime.now().toString());
        ArrayNode a = s.putArray("argv");
        argv.forEach(a::add);
        if (extra != null) {
            s.setAll(extra);
        }
        write(lock, file, root);
        return s;
    }

    /** The config the manifest holds (the first session's), or null when there is no manifest or no config yet. */
    public static ObjectNode config(Path file) {
        return read(file).get("config") instanceof ObjectNode c ? c : null;
    }

    /**
     * The settings that differ between a stored config and a new one, as "path old -> new" (e.g. "max_length 4096 ->
     * 2048", "methods[1].kv_k q4_0 -> q8_0", "methods[2] (none) -> FP16_c"), leaving out the top-level keys in
     * {@code mayDiffer} and those the stored config lacks (written by an older version, which did not record them).
     */
    public static List<String> differences(ObjectNode first, ObjectNode now, Set<String> mayDiffer) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : first.properties()) {
            if (!mayDiffer.contains(e.getKey())) {
                diff(e.getKey(), e.getValue(), now.path(e.getKey()), out);
            }
        }
        return out;
    }

    private static void diff(String path, JsonNode a, JsonNode b, List<String> out) {
        if (a.isObject() && b.isObject()) {
            Set<String> keys = new LinkedHashSet<>();
            a.fieldNames().forEachRemaining(keys::add);
            b.fieldNames().forEachRemaining(keys::add);
            keys.forEach(k -> diff(path + "." + k, a.path(k), b.path(k), out));
        } else if (a.isArray() && b.isArray()) {
            for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
                diff(path + "[" + i + "]", a.path(i), b.path(i), out);
            }
        } else if (a.isNumber() && b.isNumber() ? a.decimalValue().compareTo(b.decimalValue()) != 0 : !a.equals(b)) {
            // numbers by value: a long written to the manifest reads back as an int
            out.add(path + " " + brief(a) + " -> " + brief(b));
        }
    }

    /** A value as a person reads it: text bare, a named object by its name, (none) when absent. */
    private static String brief(JsonNode n) {
        if (n.isMissingNode()) {
            return "(none)";
        }
        if (n.isObject() && n.path("name").isTextual()) {
            return n.get("name").asText();
        }
        return n.isTextual() ? n.asText() : n.toString();
    }

    /** Marks the last session finished with its summary and writes the manifest. */
    public static void finishSession(RunFolderLock lock, Path file, ObjectNode summary) {
        ObjectNode root = read(file);
        ArrayNode sessions = (ArrayNode) root.get("sessions");
        ObjectNode s = (ObjectNode) sessions.get(sessions.size() - 1);
        s.put("finished", OffsetDateTime.now().toString());
        s.set("summary", summary);
        write(lock, file, root);
    }

    private static ObjectNode read(Path file) {
        if (!Files.isRegularFile(file)) {
            return Json.MAPPER.createObjectNode();
        }
        try {
            return (ObjectNode) Json.MAPPER.readTree(file.toFile());
        } catch (IOException | ClassCastException e) {
            throw new CtxbenchException("run manifest " + file + " is unreadable: " + e.getMessage());
        }
    }

    private static void write(RunFolderLock lock, Path file, ObjectNode root) {
        ResultFiles.replace(lock, file, Json.pretty(root));
    }
}
