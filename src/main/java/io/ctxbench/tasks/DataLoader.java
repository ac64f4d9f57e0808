package io.ctxbench.tasks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctxbench.CtxbenchException;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads evaluation data from JSON Lines, one item per line, in either of two layouts (told apart per line):
 * <ul>
 * <li>LongBench v1: {@code input, context, answers[], length, dataset, language, all_classes, _id}; the task is
 * {@code dataset} (or the override);</li>
 * <li>L-Eval: {@code input} (the long document), {@code instructions[]}, {@code outputs[]}, {@code source},
 * {@code evaluation}; each instruction/output pair becomes one sample, id {@code <file stem>-<line>-<k>}, and the
 * task is the LongBench task of the same kind (news_summ: multi_news, gov_report_summ: gov_report,
 * scientific_qa: qasper, multidoc_qa: hotpotqa, meeting_summ: qmsum) unless overridden.</li>
 * </ul>
 * A line that cannot be used (malformed JSON, a missing or mistyped field, an empty context, an unknown task,
 * answers that are not a list of strings) becomes a {@link DataIssue} with file and line; the rest are loaded.
 */
public final class DataLoader {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** L-Eval file kinds (their {@code source} field or file stem) and the LongBench task whose template fits. */
    public static final Map<String, String> LEVAL_TASKS = Map.of(
            "news_summ", "multi_news", "gov_report_summ", "gov_report", "scientific_qa", "qasper",
            "multidoc_qa", "hotpotqa", "meeting_summ", "qmsum");

    /** What a file gave: the usable samples and the lines that were skipped. */
    public record Result(List<Sample> samples, List<DataIssue> issues) {
    }

    private DataLoader() {
    }

    /** Loads a file; {@code taskOverride} (may be null) names the task for every line. */
    public static Result load(Path file, String taskOverride) {
        if (taskOverride != null && !TaskSpec.exists(taskOverride)) {
            throw new CtxbenchException("unknown task '" + taskOverride + "' for " + file + "; known: "
                    + String.join(", ", TaskSpec.all().keySet()));
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new CtxbenchException("cannot read data file " + file + (Files.exists(file) ? " (not a readable file)" : " (no such file)"));
        }
        String name = file.getFileName().toString();
        String stem = name.endsWith(".jsonl") ? name.substring(0, name.length() - 6) : name;
        List<Sample> samples = new ArrayList<>();
        List<DataIssue> issues = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int lineNo = 0;
            for (String line; (line = in.readLine()) != null; ) {
                lineNo++;
                if (lineNo == 1 && line.startsWith("\uFEFF")) {
                    line = line.substring(1);   // a UTF-8 byte order mark, as some editors save
                }
                if (line.isBlank()) {
                    continue;
                }
                try {
                    parseLine(line, file.toString(), stem, lineNo, taskOverride, samples);
                } catch (Bad b) {
                    issues.add(new DataIssue(file.toString(), lineNo, b.getMessage()));
                }
            }
        } catch (java.nio.charset.MalformedInputException e) {
            throw new CtxbenchException("data file " + file + " is not UTF-8 text");
        } catch (IOException e) {
            throw new CtxbenchException("cannot read data file " + file + ": " + e.getMessage(), e);
        }
        return new Result(samples, issues);
    }

    private static void parseLine(String line, String file, String stem, int lineNo, String taskOverride,
                                  List<Sample> out) throws Bad {
        JsonNode n;
        try {
            n = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new Bad("malformed JSON: " + e.getOriginalMessage());
        }
        if (n == null || !n.isObject()) {
            throw new Bad("malformed JSON: not an object");
        }
        String source = file + ":" + lineNo;
        if (n.has("instructions")) {
            String doc = text(n, "input", true);
            if (doc.isBlank()) {
                throw new Bad("empty context: field \"input\" (the L-Eval document) is empty");
            }
            List<String> questions = strings(n, "instructions");
            List<String> outputs = strings(n, "outputs");
            if (questions.size() != outputs.size()) {
                throw new Bad("bad field: \"instructions\" has " + questions.size() + " items but \"outputs\" has " + outputs.size());
            }
            String kind = n.hasNonNull("source") && n.get("source").isTextual() ? n.get("source").textValue() : stem;
            String task = taskOverride != null ? taskOverride : LEVAL_TASKS.getOrDefault(kind, LEVAL_TASKS.get(stem));
            if (task == null) {
                throw new Bad("unknown task: L-Eval source '" + kind + "' has no LongBench template; give the task with --task");
            }
            boolean summary = TaskSpec.byName(task).metric() == Metric.ROUGE_L && !task.equals("qmsum");
            for (int k = 0; k < questions.size(); k++) {
                // summarization instructions ("Write a summary...") are not questions in LongBench's templates
                out.add(new Sample(stem + "-" + lineNo + "-" + k, task, summary ? "" : questions.get(k), doc,
                        List.of(outputs.get(k)), List.of(), -1, source));
            }
            return;
        }
        String context = text(n, "context", true);
        if (context.isBlank()) {
            throw new Bad("empty context: field \"context\" is empty");
        }
        String input = text(n, "input", true);
        List<String> answers = strings(n, "answers");
        String id = n.hasNonNull("_id") ? scalar(n, "_id") : null;
        if (id == null || id.isEmpty()) {
            throw new Bad("missing field: \"_id\"");
        }
        String task = taskOverride;
        if (task == null) {
            if (!n.hasNonNull("dataset") || !n.get("dataset").isTextual()) {
                throw new Bad("missing field: \"dataset\" (or give the task with --task)");
            }
            task = n.get("dataset").textValue();
            if (task.endsWith("_e")) {
                task = task.substring(0, task.length() - 2);   // LongBench-E names its subsets <task>_e
            }
        }
        if (!TaskSpec.exists(task)) {
            throw new Bad("unknown task: '" + task + "'");
        }
        int length = n.hasNonNull("length") && n.get("length").canConvertToInt() ? n.get("length").intValue() : -1;
        List<String> classes = n.hasNonNull("all_classes") && n.get("all_classes").isArray() ? strings(n, "all_classes") : List.of();
        checkScorable(TaskSpec.byName(task), answers, classes);
        out.add(new Sample(id, task, input, context, answers, classes, length, source));
    }

    /** What LongBench's metrics need of a line, checked here (its own code raises on these, mid-run). */
    private static void checkScorable(TaskSpec task, List<String> answers, List<String> classes) throws Bad {
        if (task.metric() == Metric.CLASSIFICATION && classes.isEmpty()) {
            throw new Bad("missing field: \"all_classes\" (" + task.name() + " is scored against its list of classes)");
        }
        if (task.metric() == Metric.RETRIEVAL || task.metric() == Metric.RETRIEVAL_ZH) {
            for (String a : answers) {
                try {
                    task.metric().score("", a, classes);
                } catch (IllegalArgumentException e) {
                    throw new Bad("bad field: \"answers\": " + e.getMessage());
                }
            }
        }
    }

    private static String text(JsonNode n, String field, boolean required) throws Bad {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw new Bad("missing field: \"" + field + "\"");
            }
            return "";
        }
        if (!v.isTextual()) {
            throw new Bad("bad field: \"" + field + "\" must be a string, got " + v.getNodeType().toString().toLowerCase());
        }
        return v.textValue();
    }

    private static String scalar(JsonNode n, String field) throws Bad {
        JsonNode v = n.get(field);
        if (v.isTextual() || v.isNumber()) {
            return v.asText();
        }
        throw new Bad("bad field: \"" + field + "\" must be a string or number");
    }

    private static List<String> strings(JsonNode n, String field) throws Bad {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            throw new Bad("missing field: \"" + field + "\"");
        }
        if (!v.isArray()) {
            throw new Bad("answers not a list: \"" + field + "\" must be a list of strings, got " + v.getNodeType().toString().toLowerCase());
        }
        List<String> out = new ArrayList<>(v.size());
        for (JsonNode a : v) {
            if (!a.isTextual()) {
                throw new Bad("answers not a list: \"" + field + "\" must contain only strings");
            }
            out.add(a.textValue());
        }
        return out;
    }

    private static final class Bad extends Exception {
        Bad(String m) {
            super(m, null, false, false);
        }
    }
}
