package io.ctxbench.results;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import io.ctxbench.CtxbenchException;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * An eval run folder read back: the per-sample records of every results*.jsonl and the fidelity records of every
 * fidelity*.jsonl (all shards; a key seen twice counts once and is reported), typed, in file order. Every line is
 * checked: a record eval would not have written (no model, method, task, ...; a score that is not a number; text
 * after the object; a schema newer than this reader) is an error naming file and line, never a silently wrong
 * table. A torn last line (an interrupted run) is skipped and noted. Records of schema 0 (written before records
 * carried a schema, NaN as the string "NaN") read as NaN where they said "NaN".
 *
 * @param manifestBaseline the baseline in the run's manifest, null when there is none
 * @param syntheticModels  the models the manifests list as synthetic (random weights: {@code synthetic_models})
 */
public record EvalResults(List<SampleRecord> samples, List<FidelityRecord> fidelity, int duplicates, List<String> notes,
                          String manifestBaseline, List<String> syntheticModels) {

    private static final List<String> SAMPLE_FIELDS = List.of("key", "model", "method", "task", "metric");
    private static final List<String> FIDELITY_FIELDS = List.of("key", "model", "method", "task");

    /** Reads the run folder {@code dir}; at least one sample record must be there. */
    public static EvalResults load(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new CtxbenchException("no run folder " + dir);
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".jsonl")).sorted().toList();
        } catch (IOException e) {
            throw new CtxbenchException("cannot list " + dir + ": " + e.getMessage());
        }
        Map<String, SampleRecord> samples = new LinkedHashMap<>();
        Map<String, FidelityRecord> fid = new LinkedHashMap<>();
        RunOrder sampleOrder = new RunOrder(), fidOrder = new RunOrder();
        List<String> notes = new ArrayList<>();
        int duplicates = 0;
        for (Path f : files) {
            String name = f.getFileName().toString();
            boolean isFid = name.startsWith("fidelity");
            if (!isFid && !name.startsWith("results")) {
                continue;
            }
            int lineNo = 0, torn = 0;
            RunOrder.File placing = (isFid ? fidOrder : sampleOrder).file(name);
            try (BufferedReader in = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
                for (String line; (line = in.readLine()) != null; ) {
                    lineNo++;
                    if (line.isBlank()) {
                        continue;
                    }
                    if (torn > 0) {
                        throw new CtxbenchException(f + ":" + torn + ": not a complete JSON record, and records follow it "
                                + "(a torn write is only ever the last line): repair or remove that line");
                    }
                    JsonNode n = parse(line, f, lineNo);
                    if (n == null) {
                        torn = lineNo;
                        continue;
                    }
                    String where = f + ":" + lineNo + ": ";
                    check(n, isFid, where);
                    String key = n.get("key").textValue();
                    boolean fresh = isFid ? fid.putIfAbsent(key, bind(n, FidelityRecord.class, where)) == null
                            : samples.putIfAbsent(key, bind(n, SampleRecord.class, where)) == null;
                    if (fresh) {
                        placing.place(key, n.get("model").textValue() + "|" + n.get("method").textValue() + "|"
                                + n.get("task").textValue());
                    } else {
                        duplicates++;
                    }
                }
            } catch (MalformedInputException e) {
                throw new CtxbenchException(f + ":" + (lineNo + 1) + ": not UTF-8 text");
            } catch (IOException e) {
                throw new CtxbenchException("cannot read " + f + ": " + e.getMessage());
            }
            if (torn > 0) {
                notes.add(f + ":" + torn + ": unreadable line skipped (an interrupted run? resume it to repair)");
            }
        }
        if (samples.isEmpty()) {
            throw new CtxbenchException("no results in " + dir + " (results*.jsonl)");
        }
        if (duplicates > 0) {
            notes.add(duplicates + " duplicate record(s) across shards were counted once");
        }
        List<JsonNode> configs = manifestConfigs(dir);
        List<String> synthetic = new ArrayList<>();
        configs.forEach(c -> c.path("synthetic_models").forEach(m -> {
            if (m.isTextual() && !synthetic.contains(m.asText())) {
                synthetic.add(m.asText());
            }
        }));
        return new EvalResults(sampleOrder.sorted(samples.values(), SampleRecord::key),
                fidOrder.sorted(fid.values(), FidelityRecord::key),
                duplicates, notes,
                configs.stream().map(c -> c.path("baseline")).filter(JsonNode::isTextual).map(JsonNode::asText).findFirst()
                        .orElse(null), List.copyOf(synthetic));
    }

    /**
     * The records in the order one process would have written them, whatever the shards: grouped by model, method and
     * task (groups in order of first appearance), and within a group by the sample's place in its task. Shard i of n
     * ({@code results-shard-i-of-n.jsonl}) holds the task's samples i, i + n, ..., so its j-th record of a group is
     * the group's sample j * n + i; an unsharded file's j-th is sample j. A bootstrap interval depends on the order of
     * its values, so this is what makes a merged run's report equal to the single run's (records of a sample that
     * failed in one shard shift that shard's later places: the order is then close to, not exactly, one process's).
     */
    private static final class RunOrder {
        private static final java.util.regex.Pattern SHARD = java.util.regex.Pattern.compile(".*-shard-(\\d+)-of-(\\d+)\\.jsonl");
        private final Map<String, Integer> groups = new LinkedHashMap<>();
        private final Map<String, long[]> places = new java.util.HashMap<>();   // key -> {group, place in the group}

        /** How the records of the file named {@code name} are placed. */
        File file(String name) {
            java.util.regex.Matcher m = SHARD.matcher(name);
            return m.matches() ? new File(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))) : new File(0, 1);
        }

        final class File {
            private final int shard, shards;
            private final Map<String, Integer> seen = new java.util.HashMap<>();

            File(int shard, int shards) {
                this.shard = shard;
                this.shards = shards;
            }

            void place(String key, String group) {
                int j = seen.merge(group, 1, Integer::sum) - 1;
                places.put(key, new long[]{groups.computeIfAbsent(group, g -> groups.size()), (long) j * shards + shard});
            }
        }

        <T> List<T> sorted(java.util.Collection<T> records, java.util.function.Function<T, String> key) {
            return records.stream().sorted(java.util.Comparator.<T>comparingLong(r -> places.get(key.apply(r))[0])
                    .thenComparingLong(r -> places.get(key.apply(r))[1])).toList();
        }
    }

    /**
     * One line's JSON object, or null when the line is not complete JSON (a torn write of an interrupted run).
     * Text after the object is refused: two writers once glued two records on one line and the first was read alone.
     */
    private static JsonNode parse(String line, Path f, int lineNo) {
        JsonNode n;
        boolean more;
        try (JsonParser p = Json.MAPPER.createParser(line)) {
            n = Json.MAPPER.readTree(p);
            try {
                more = p.nextToken() != null;
            } catch (IOException e) {
                more = true;
            }
        } catch (IOException e) {
            return null;
        }
        if (more) {
            throw new CtxbenchException(f + ":" + lineNo + ": text after the JSON object (two records glued on one line?): "
                    + "put each record on a line of its own");
        }
        return n;
    }

    /**
     * Refuses a record eval would not have written: the tables group by these fields, and a record without one
     * made a row with no name (and a chart library crash). A sample's score must be a number. Eval always writes
     * one, so a missing or non-numeric score means a damaged or edited record; counting it as 0 would invent a
     * result and leaving it out would quietly change n and the mean (failures dropping out flatter a method), so
     * the researcher decides: repair the line, or remove it and resume the run to redo that sample. Other values
     * (F1, hallucination, timings) may legitimately be absent or null and are averaged over the records that have them.
     */
    private static void check(JsonNode n, boolean fidelity, String where) {
        if (!n.isObject()) {
            throw new CtxbenchException(where + "not a JSON object");
        }
        JsonNode schema = n.get("schema");
        if (schema != null && !schema.isInt()) {
            throw new CtxbenchException(where + "the record's schema is " + schema + ", not a version number; repair the line");
        }
        Schema.check(schema == null ? 0 : schema.intValue(), where);
        for (String field : fidelity ? FIDELITY_FIELDS : SAMPLE_FIELDS) {
            JsonNode v = n.get(field);
            if (v == null || !v.isTextual() || v.textValue().isEmpty()) {
                throw new CtxbenchException(where + "the record has no \"" + field + "\" (a non-empty string); "
                        + "repair the line, or remove it and resume the run");
            }
        }
        if (!fidelity && !n.path("scores").path("score").isNumber()) {
            throw new CtxbenchException(where + "the record's scores.score is " + (n.path("scores").has("score")
                    ? n.get("scores").get("score").toString() : "missing") + ", not a number; repair the line, "
                    + "or remove it and resume the run to score that sample again");
        }
    }

    private static <T> T bind(JsonNode n, Class<T> type, String where) {
        try {
            return Json.MAPPER.treeToValue(n, type);
        } catch (IOException e) {
            throw new CtxbenchException(where + "not a record eval writes (" + String.valueOf(e.getMessage()).lines()
                    .findFirst().orElse("") + "); repair the line, or remove it and resume the run");
        }
    }

    /** The config of every manifest*.json of the run folder (of each shard), in name order; none when unreadable. */
    private static List<JsonNode> manifestConfigs(Path dir) {
        List<JsonNode> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path m : s.filter(p -> p.getFileName().toString().startsWith("manifest") && p.toString().endsWith(".json"))
                    .sorted().toList()) {
                out.add(Json.MAPPER.readTree(m.toFile()).path("config"));
            }
        } catch (IOException e) {
            // no readable manifest: the first method is the baseline, no model is known to be synthetic
        }
        return out;
    }
}
