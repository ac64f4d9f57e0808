package io.ctxbench.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.ctxbench.CtxbenchException;
import io.ctxbench.score.Hallucination;
import io.ctxbench.score.QaScore;
import io.ctxbench.score.RougeL;
import io.ctxbench.tasks.Metric;
import io.ctxbench.tasks.TaskSpec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ctxbench score}: LongBench QA F1 (with precision/recall) and ROUGE-L F for a JSONL file, and LongBench's
 * dataset score of each line that names its dataset.
 */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = {
            "Score predictions with the LongBench (v1) metrics, reproducing its metrics.py exactly.",
            "",
            "Input: JSON Lines, one object per line with \"id\", \"prediction\" (string) and \"answers\" "
                    + "(list of gold strings); \"context\" (string), \"dataset\" (a LongBench v1 dataset name) and "
                    + "\"all_classes\" (list of strings, for trec and lsht) are optional. Blank lines are skipped.",
            "Output: one JSON line per scored input line: id, qa_f1, qa_precision, qa_recall, rouge_l_f "
                    + "(values in [0,1], full double precision, not multiplied by 100), hallucination when the "
                    + "line has a context, and score when it has a dataset.",
            "",
            "Metrics, each the max over the answers starting from 0.0 (no answers gives 0):",
            "* qa_f1: LongBench's qa_f1_score. Both texts are lowercased, ASCII punctuation and the words "
                    + "a/an/the are dropped, and the rest is split on whitespace; F1 of the multiset token overlap.",
            "* qa_precision, qa_recall: overlap / #prediction tokens and overlap / #gold tokens, for the first "
                    + "answer that reaches the max F1 (0 when nothing overlaps).",
            "* rouge_l_f: LongBench's rouge_score, the ROUGE-L F of the 'rouge' 1.0.1 package: summary-level "
                    + "union LCS over sentences split on '.', words split on ' ', case-sensitive, distinct words; "
                    + "0.0 where that package raises (empty text, too deep a recursion).",
            "* hallucination: share of the prediction's elements (OpenNLP tokens, noun chunks, proper-noun runs "
                    + "and numbers, lowercased) whose best Levenshtein similarity to any span of the context is below 0.8.",
            "* score: LongBench's score of the line for its dataset, as its eval.py computes it: the dataset's "
                    + "metric (qa_f1, qa_f1_zh, rouge, rouge_zh, classification, retrieval, retrieval_zh, count, code_sim; "
                    + "Chinese segmented as Python jieba 0.42.1 does), on the prediction's first line only for trec, "
                    + "triviaqa, samsum and lsht, max over the answers. A dataset name may end in _e (LongBench-E).",
            "LongBench uses qa_f1 for its QA tasks and rouge_l_f for summarization; both are printed.",
            "Reference: Bai et al., LongBench: A Bilingual, Multitask Benchmark for Long Context "
                    + "Understanding (ACL 2024), github.com/THUDM/LongBench.",
            "",
            "A malformed line is reported on stderr with file and line number and skipped. An id is echoed exactly "
                    + "as written (1e2 stays 1e2). A UTF-8 byte order mark at the start of the file is skipped.",
            "Exit status: 0 all lines scored; 1 some line skipped, or an error (input unreadable or not UTF-8, "
                    + "output unwritable or the input itself); 2 usage error.",
            ""
        })
public final class ScoreCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    @Spec
    CommandSpec spec;

    @Option(names = {"-i", "--input"}, required = true, paramLabel = "FILE",
            description = "JSONL file of predictions to score.")
    Path input;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the scores here instead of standard output.")
    Path output;

    @Option(names = {"-o", "--output"}, hidden = true)   // the old spelling of --out, for one release (OldSpelling)
    Path oldOutput;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        output = OldSpelling.take(spec, "--out", output, "--output", oldOutput);
        if (!Files.isRegularFile(input) || !Files.isReadable(input)) {
            throw new CtxbenchException("cannot read input file " + input
                    + (Files.exists(input) ? " (not a readable regular file)" : " (no such file)"));
        }
        if (output != null && sameFile(input, output)) {
            throw new CtxbenchException("the output " + output + " is the input file " + input
                    + ": opening it for writing would empty it; give --out another file");
        }
        int scored = 0, skipped = 0, lineNo = 0;
        Writer out = output == null ? spec.commandLine().getOut() : open(output);
        try (BufferedReader in = Files.newBufferedReader(input, StandardCharsets.UTF_8)) {
            for (String line; (line = in.readLine()) != null; ) {
                lineNo++;
                if (lineNo == 1 && line.startsWith("\uFEFF")) {
                    line = line.substring(1);   // a UTF-8 byte order mark, as some editors save
                }
                if (line.isBlank()) continue;
                String result;
                try {
                    result = scoreLine(line);
                } catch (BadLine e) {
                    err.println("score: " + input + ":" + lineNo + ": skipped: " + e.getMessage());
                    skipped++;
                    continue;
                }
                writeLine(out, result);
                scored++;
            }
        } catch (MalformedInputException e) {
            throw new CtxbenchException(input + " is not UTF-8 text (line " + (lineNo + 1) + ")");
        } catch (IOException e) {
            throw new CtxbenchException("cannot read " + input + " after line " + lineNo + ": " + why(e));
        } finally {
            if (output != null) {
                close(out);
            }
        }
        spec.commandLine().getOut().flush();   // cli/Main checks that standard output arrived
        err.println("score: " + scored + " line(s) scored, " + skipped + " skipped (" + input + ")");
        err.flush();
        return skipped == 0 ? 0 : 1;
    }

    /** Whether writing {@code output} would truncate {@code input}: the same file by any path, link or hard link. */
    private static boolean sameFile(Path input, Path output) {
        try {
            return Files.exists(output) && Files.isSameFile(input, output);
        } catch (IOException e) {
            return false;   // cannot tell: opening the output reports what is wrong with it
        }
    }

    private Writer open(Path file) {
        try {
            return Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CtxbenchException("cannot write " + file + ": " + why(e));
        }
    }

    private void writeLine(Writer out, String text) {
        try {
            out.write(text);
            out.write('\n');
        } catch (IOException e) {
            throw new CtxbenchException("cannot write " + output + ": " + why(e));
        }
    }

    private void close(Writer out) {
        try {
            out.close();
        } catch (IOException e) {
            throw new CtxbenchException("cannot write " + output + ": " + why(e));
        }
    }

    /** An I/O failure in words (a FileSystemException's message is often just the path). */
    private static String why(IOException e) {
        if (e instanceof NoSuchFileException) return "no such file or folder";
        if (e instanceof AccessDeniedException) return "permission denied";
        if (e instanceof FileSystemException f && f.getReason() != null) return f.getReason();
        return e.getMessage();
    }

    /** One input line to one output line; BadLine says why the line cannot be scored. */
    static String scoreLine(String line) throws BadLine {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new BadLine("invalid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) throw new BadLine("not a JSON object");
        JsonNode id = node.get("id");
        if (id == null || !(id.isTextual() || id.isNumber())) throw new BadLine("missing \"id\" (string or number)");
        JsonNode prediction = node.get("prediction");
        if (prediction == null || !prediction.isTextual()) throw new BadLine("missing \"prediction\" (string)");
        JsonNode answersNode = node.get("answers");
        if (answersNode == null || !answersNode.isArray()) throw new BadLine("missing \"answers\" (list of strings)");
        List<String> answers = new ArrayList<>(answersNode.size());
        for (JsonNode a : answersNode) {
            if (!a.isTextual()) throw new BadLine("\"answers\" must contain only strings");
            answers.add(a.textValue());
        }
        String pred = prediction.textValue();
        QaScore.Result qa = QaScore.best(pred, answers);
        ObjectNode o = JSON.createObjectNode();
        if (id.isNumber()) {
            o.putRawValue("id", new RawValue(numberText(line)));
        } else {
            o.set("id", id);
        }
        o.put("qa_f1", qa.f1());
        o.put("qa_precision", qa.precision());
        o.put("qa_recall", qa.recall());
        o.put("rouge_l_f", RougeL.best(pred, answers));
        JsonNode context = node.get("context");
        if (context != null && !context.isNull()) {
            if (!context.isTextual()) throw new BadLine("\"context\" must be a string");
            o.put("hallucination", Hallucination.score(pred, context.textValue()).score());
        }
        TaskSpec dataset = dataset(node.get("dataset"));
        if (dataset != null) {
            List<String> classes = allClasses(node.get("all_classes"));
            if (dataset.metric() == Metric.CLASSIFICATION && classes == null) {
                throw new BadLine(dataset.name() + " needs \"all_classes\" (the list of class names it is scored against)");
            }
            try {
                o.put("score", dataset.score(pred, answers, classes == null ? List.of() : classes));
            } catch (IllegalArgumentException e) {
                throw new BadLine(dataset.name() + ": " + e.getMessage());   // where LongBench's own metric raises
            }
        }
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The line's LongBench dataset, null when it names none; "<name>_e" (LongBench-E) is the dataset itself. */
    private static TaskSpec dataset(JsonNode n) throws BadLine {
        if (n == null || n.isNull()) return null;
        if (!n.isTextual()) throw new BadLine("\"dataset\" must be a string (a LongBench dataset name)");
        String name = n.textValue();
        String base = name.endsWith("_e") ? name.substring(0, name.length() - 2) : name;
        if (!TaskSpec.exists(base)) {
            throw new BadLine("unknown dataset '" + name + "'; LongBench's are " + String.join(", ", TaskSpec.LONGBENCH));
        }
        return TaskSpec.byName(base);
    }

    private static List<String> allClasses(JsonNode n) throws BadLine {
        if (n == null || n.isNull()) return null;
        if (!n.isArray()) throw new BadLine("\"all_classes\" must be a list of strings");
        List<String> out = new ArrayList<>(n.size());
        for (JsonNode c : n) {
            if (!c.isTextual()) throw new BadLine("\"all_classes\" must contain only strings");
            out.add(c.textValue());
        }
        return out;
    }

    /**
     * The text of the line's top-level "id" number exactly as written (the last one, as readTree keeps): an id is a
     * name, and reading it as a double rewrote 1e2 as 100.0 and 1e999 as "Infinity".
     */
    private static String numberText(String line) {
        String text = null;
        try (JsonParser p = JSON.createParser(line)) {
            p.nextToken();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                boolean isId = p.currentName().equals("id");
                p.nextToken();
                if (isId) {
                    text = p.getText();
                } else {
                    p.skipChildren();
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("the line parsed a moment ago", e);
        }
        return text;
    }

    static final class BadLine extends Exception {
        BadLine(String message) {
            super(message, null, false, false);
        }
    }
}
