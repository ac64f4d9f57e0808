package io.ctxbench.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctxbench.cli.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScoreCommandTest {
    @TempDir
    Path tmp;

    private final StringWriter out = new StringWriter(), err = new StringWriter();

    private int run(String... args) {
        return Main.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute(Stream.concat(Stream.of("score"), Stream.of(args)).toArray(String[]::new));
    }

    @Test
    void malformedLinesAreReportedAndSkipped() throws IOException {
        Path in = tmp.resolve("in.jsonl");
        Files.writeString(in, String.join("\n",
                "{\"id\": \"ok1\", \"prediction\": \"Paris\", \"answers\": [\"Paris\"], \"context\": \"...\"}",
                "{\"id\": \"bad-json\", \"prediction\": ",
                "{\"id\": \"no-pred\", \"answers\": [\"x\"]}",
                "{\"id\": \"not-list\", \"prediction\": \"x\", \"answers\": \"x\"}",
                "",
                "[1, 2]",
                "{\"id\": 7, \"prediction\": \"the cat\", \"answers\": []}") + "\n", StandardCharsets.UTF_8);
        assertEquals(1, run("--input", in.toString()));
        String e = err.toString();
        for (int line : new int[] {2, 3, 4, 6}) assertTrue(e.contains(in + ":" + line + ":"), e);
        assertFalse(e.contains(in + ":5:"), e);
        assertFalse(e.contains("Exception"), e);
        assertTrue(e.contains("2 line(s) scored, 4 skipped"), e);
        List<String> lines = out.toString().lines().toList();
        assertEquals(2, lines.size());
        JsonNode first = ScoreTestData.JSON.readTree(lines.get(0)), second = ScoreTestData.JSON.readTree(lines.get(1));
        assertEquals("ok1", first.get("id").textValue());
        assertEquals(1.0, first.get("qa_f1").doubleValue());
        assertEquals(0.999999995, first.get("rouge_l_f").doubleValue());
        assertEquals(7, second.get("id").intValue());
        assertEquals(0.0, second.get("qa_f1").doubleValue());
        assertEquals(List.of("id", "qa_f1", "qa_precision", "qa_recall", "rouge_l_f", "hallucination"), fieldNames(first));
        assertEquals(1.0, first.get("hallucination").doubleValue());   // "Paris" is nowhere in the context "..."
        assertEquals(List.of("id", "qa_f1", "qa_precision", "qa_recall", "rouge_l_f"), fieldNames(second));
    }

    @Test
    void allGoodExitsZeroAndWritesOutputFile() throws IOException {
        Path in = tmp.resolve("in.jsonl"), o = tmp.resolve("out.jsonl");
        Files.writeString(in, "{\"id\": \"a\", \"prediction\": \"The U.S.\", \"answers\": [\"USA\", \"U.S.\"]}\n");
        assertEquals(0, run("-i", in.toString(), "--out", o.toString()));
        JsonNode r = ScoreTestData.JSON.readTree(Files.readString(o));
        assertEquals(1.0, r.get("qa_f1").doubleValue());
        assertEquals(0.7999999952000001, r.get("rouge_l_f").doubleValue());
        assertTrue(out.toString().isEmpty());
    }

    @Test
    void missingInputIsAnError() {
        Path missing = tmp.resolve("nope.jsonl");
        assertEquals(1, run("--input", missing.toString()));
        assertTrue(err.toString().contains("cannot read input file " + missing), err.toString());
        assertFalse(err.toString().contains("Exception"), err.toString());
        assertEquals(1, run("--input", tmp.toString())); // a directory
    }

    @Test
    void helpDescribesTheMetrics() {
        assertEquals(0, run("--help"));
        String help = out.toString();
        assertTrue(help.contains("LongBench") && help.contains("qa_f1") && help.contains("rouge_l_f"), help);
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
