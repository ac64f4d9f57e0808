package io.ctxbench.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ctxbench.score.Hallucination;
import io.ctxbench.score.QaScore;
import io.ctxbench.score.RougeL;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ctxbench score}: LongBench QA F1 (with precision/recall) and ROUGE-L F for a JSONL file. */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = {
            "Score predictions with the LongBench (v1) metrics, reproducing its metrics.py exactly.",
            "",
            "Input: JSON Lines, one object per line with \"id\", \"prediction\" (string) and \"answers\" "
                    + "(list of gold strings); \"context\" (string) is optional. Blank lines are skipped.",
            "Output: one JSON line per scored input line: id, qa_f1, qa_precision, qa_recall, rouge_l_f "
                    + "(values in [0,1], full double precision, not multiplied by 100), and hallucination when the "
                    + "line has a context.",
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
            "LongBench uses qa_f1 for its QA tasks and rouge_l_f for summarization; both are printed.",
            "Reference: Bai et al., LongBench: A Bilingual, Multitask Benchmark for Long Context "
                    + "Understanding (ACL 2024), github.com/THUDM/LongBench.",
            "",
            "A malformed line is reported on stderr with file and line number and skipped.",
            "Exit status: 0 all lines scored, 1 some line skipped, 2 input unreadable or output unwritable.",
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

    @Option(names = {"-o", "--output"}, paramLabel = "FILE",
            description = "Write the scores here instead of standard output.")
    Path output;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        if (!Files.isRegularFile(input) || !Files.isReadable(input)) {
            err.println("score: cannot read input file " + input
                    + (Files.exists(input) ? " (not a readable regular file)" : " (no such file)"));
            err.flush();
            return 2;
        }
        int scored = 0, skipped = 0, lineNo = 0;
        try (BufferedReader in = new BufferedReader(
                new InputStreamReader(Files.newInputStream(input), StandardCharsets.UTF_8))) {
            Writer out = output == null ? spec.commandLine().getOut()
                    : new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(output), StandardCharsets.UTF_8));
            try {
                for (String line; (line = in.readLine()) != null; ) {
                    lineNo++;
                    if (line.isBlank()) continue;
                    String result;
                    try {
                        result = scoreLine(line);
                    } catch (BadLine e) {
                        err.println("score: " + input + ":" + lineNo + ": skipped: " + e.getMessage());
                        skipped++;
                        continue;
                    }
                    out.write(result);
                    out.write('\n');
                    scored++;
                }
            } finally {
                if (output == null) out.flush();
                else out.close();
            }
        } catch (IOException e) {
            err.println("score: I/O error " + (lineNo == 0 ? "opening " : "after line " + lineNo + " of ")
                    + input + (output == null ? "" : " or writing " + output) + ": " + e);
            err.flush();
            return 2;
        }
        err.println("score: " + scored + " line(s) scored, " + skipped + " skipped (" + input + ")");
        err.flush();
        return skipped == 0 ? 0 : 1;
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
        o.set("id", id);
        o.put("qa_f1", qa.f1());
        o.put("qa_precision", qa.precision());
        o.put("qa_recall", qa.recall());
        o.put("rouge_l_f", RougeL.best(pred, answers));
        JsonNode context = node.get("context");
        if (context != null && !context.isNull()) {
            if (!context.isTextual()) throw new BadLine("\"context\" must be a string");
            o.put("hallucination", Hallucination.score(pred, context.textValue()).score());
        }
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static final class BadLine extends Exception {
        BadLine(String message) {
            super(message, null, false, false);
        }
    }
}
