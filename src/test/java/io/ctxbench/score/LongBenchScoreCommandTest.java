package io.ctxbench.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctxbench.cli.ScoreCommand;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code ctxbench score} with a per-line {@code dataset}: adds {@code score}, LongBench's score of that line, equal to
 * LongBench's own eval.py on score/longbench/metric_cases.jsonl (all 21 datasets); lines without {@code dataset} give
 * today's output; lines LongBench cannot score are skipped with a reason.
 */
class LongBenchScoreCommandTest {
    @TempDir
    Path tmp;

    private record Run(int rc, List<JsonNode> out, String err) {}

    private Run score(Path input) throws IOException {
        Path out = tmp.resolve("scores.jsonl");
        StringWriter err = new StringWriter();
        int rc = new CommandLine(new ScoreCommand()).setErr(new PrintWriter(err))
                .execute("--input", input.toString(), "--out", out.toString());
        return new Run(rc, ScoreTestData.readJsonl(out), err.toString());
    }

    @Test
    void datasetLinesGetLongBenchsScore() throws IOException {
        Path input = tmp.resolve("cases.jsonl");
        List<JsonNode> cases = LongBenchCases.read("metric_cases.jsonl");
        StringBuilder sb = new StringBuilder();
        for (JsonNode c : cases) {
            // the expected value travels under another name: the command must compute "score" itself
            sb.append(ScoreTestData.JSON.writeValueAsString(((com.fasterxml.jackson.databind.node.ObjectNode) c.deepCopy())
                    .put("expected", c.get("score").doubleValue()).without("score"))).append('\n');
        }
        Files.writeString(input, sb, StandardCharsets.UTF_8);
        Run r = score(input);
        assertEquals(0, r.rc(), r.err());
        assertEquals(cases.size(), r.out().size());
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            JsonNode want = cases.get(i), got = r.out().get(i);
            assertEquals(want.get("id"), got.get("id"));
            assertTrue(got.has("qa_f1") && got.has("rouge_l_f"), got.toString());
            double w = want.get("score").doubleValue(), g = got.path("score").asDouble(Double.NaN);
            if (!(Math.abs(w - g) <= 1e-6)) failures.add(want.get("id").textValue() + " " + want.get("dataset") + ": want " + w + " got " + got.get("score"));
        }
        assertTrue(failures.isEmpty(), failures.size() + " mismatches:\n" + String.join("\n", failures));
    }

    @Test
    void withoutDatasetTheOutputIsAsBefore() throws IOException {
        Path input = tmp.resolve("plain.jsonl");
        Files.writeString(input, "{\"id\":\"a\",\"prediction\":\"Paris\",\"answers\":[\"Paris\"]}\n"
                + "{\"id\":\"b\",\"prediction\":\"Paris\",\"answers\":[\"Paris\"],\"dataset\":null}\n");
        Run r = score(input);
        assertEquals(0, r.rc(), r.err());
        for (JsonNode o : r.out()) {
            List<String> fields = new ArrayList<>();
            o.fieldNames().forEachRemaining(fields::add);
            assertEquals(List.of("id", "qa_f1", "qa_precision", "qa_recall", "rouge_l_f"), fields);
        }
    }

    @Test
    void linesLongBenchCannotScoreAreSkippedWithTheReason() throws IOException {
        Path input = tmp.resolve("bad.jsonl");
        Files.writeString(input, String.join("\n",
                "{\"id\":1,\"dataset\":\"no_such\",\"prediction\":\"x\",\"answers\":[\"x\"]}",
                "{\"id\":2,\"dataset\":\"trec\",\"prediction\":\"Food\",\"answers\":[\"Food\"]}",
                "{\"id\":3,\"dataset\":\"passage_retrieval_en\",\"prediction\":\"3\",\"answers\":[\"the third one\"]}",
                "{\"id\":4,\"dataset\":7,\"prediction\":\"x\",\"answers\":[\"x\"]}",
                "{\"id\":5,\"dataset\":\"lsht\",\"prediction\":\"x\",\"answers\":[\"x\"],\"all_classes\":[\"x\",2]}",
                "{\"id\":6,\"dataset\":\"qasper_e\",\"prediction\":\"Paris\\nLondon\",\"answers\":[\"Paris\"]}",
                "{\"id\":7,\"dataset\":\"trec\",\"prediction\":\"Food\\nAnimal\",\"answers\":[\"Food\"],\"all_classes\":[\"Food\",\"Animal\"]}"));
        Run r = score(input);
        assertEquals(1, r.rc(), r.err());
        assertEquals(List.of("6", "7"), r.out().stream().map(o -> o.get("id").asText()).toList());
        assertEquals(2.0 / 3, r.out().get(0).get("score").doubleValue(), 1e-12);   // qasper: no first-line rule
        assertEquals(1.0, r.out().get(1).get("score").doubleValue(), 0.0);          // trec: first line only
        String[] lines = r.err().split("\n");
        assertTrue(lines[0].contains(":1: skipped: unknown dataset 'no_such'"), lines[0]);
        assertTrue(lines[1].contains(":2: skipped:") && lines[1].contains("all_classes"), lines[1]);
        assertTrue(lines[2].contains(":3: skipped:") && lines[2].contains("Paragraph N"), lines[2]);
        assertTrue(lines[3].contains(":4: skipped:") && lines[3].contains("\"dataset\""), lines[3]);
        assertTrue(lines[4].contains(":5: skipped:") && lines[4].contains("\"all_classes\""), lines[4]);
        assertFalse(r.err().contains("Exception"), r.err());
    }
}
