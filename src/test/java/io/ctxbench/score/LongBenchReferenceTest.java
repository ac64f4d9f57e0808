package io.ctxbench.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctxbench.cli.ScoreCommand;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * ScoreCommand output against reference values computed by LongBench's own metrics.py.
 *
 * <p>extra_cases.jsonl was produced by src/test/resources/score/make_extra_cases.py (CPython 3.11.7,
 * rouge 1.0.1, LongBench's qa_f1_score and rouge_score copied verbatim): adversarial Unicode
 * punctuation and whitespace, articles next to marks and digits, case mapping quirks, dots, empty
 * strings, random token soups, multi-sentence summaries, repeated tokens, and sentences around the
 * depth where rouge's recursive LCS reconstruction raises RecursionError (scored 0.0 by LongBench).
 */
class LongBenchReferenceTest {
    private static final double TOL = 1e-6;

    @TempDir
    Path tmp;

    @Test
    void publicReferenceVectors() throws IOException {
        int n = checkAgainst(ScoreTestData.sharedMetricsFile("longbench_metrics_public.jsonl"));
        assertTrue(n >= 300, "expected the full public file, got " + n + " lines");
    }

    @Test
    void extraPythonGeneratedCases() throws IOException {
        int n = checkAgainst(ScoreTestData.resourceFile("extra_cases.jsonl", tmp));
        assertTrue(n >= 250, "expected the full extra file, got " + n + " lines");
    }

    private int checkAgainst(Path reference) throws IOException {
        Path out = tmp.resolve("scores.jsonl");
        StringWriter err = new StringWriter();
        int rc = new CommandLine(new ScoreCommand()).setErr(new PrintWriter(err))
                .execute("--input", reference.toString(), "--out", out.toString());
        assertEquals(0, rc, "stderr: " + err);
        List<JsonNode> expected = ScoreTestData.readJsonl(reference);
        List<JsonNode> actual = ScoreTestData.readJsonl(out);
        assertEquals(expected.size(), actual.size());
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < expected.size(); i++) {
            JsonNode e = expected.get(i), a = actual.get(i);
            assertEquals(e.get("id"), a.get("id"));
            for (String f : List.of("qa_f1", "qa_precision", "qa_recall", "rouge_l_f")) {
                double want = e.get(f).doubleValue(), got = a.get(f).doubleValue();
                if (!(Math.abs(want - got) <= TOL)) {
                    failures.add(e.get("id").asText() + " " + f + ": want " + want + " got " + got
                            + "  prediction=" + e.get("prediction") + " answers=" + e.get("answers"));
                }
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " mismatches:\n" + String.join("\n", failures));
        return expected.size();
    }
}
