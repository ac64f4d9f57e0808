package io.ctxbench.tasks.ruler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctxbench.CtxbenchException;
import io.ctxbench.score.RulerScore;
import io.ctxbench.tasks.Metric;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** RULER's scoring as eval applies it: each task's metric on one prediction, then {@link RulerScore}'s aggregates. */
class RulerScoreTest {

    /**
     * score_cases.jsonl: RULER's own postprocess_pred and string_match_* on these inputs (make_score_cases.py); the
     * task score from the per-sample terms a RULER task's metric gives (what eval records) must be evaluate.py's.
     */
    @Test
    void scoresEqualRulersEvaluateOnReferenceCases() throws Exception {
        ObjectMapper json = new ObjectMapper();
        int n = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                RulerScoreTest.class.getResourceAsStream("/ruler/score_cases.jsonl"), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; n++) {
                JsonNode c = json.readTree(line);
                List<String> preds = RulerData.strings(c.get("preds"));
                List<List<String>> refs = new ArrayList<>();
                c.get("refs").forEach(r -> refs.add(RulerData.strings(r)));
                RulerTask task = RulerTask.byName(c.get("metric").asText().equals("string_match_all") ? "niah_single_1" : "qa_1");
                assertEquals(RulerData.strings(c.get("post")), preds.stream().map(RulerScore::postprocess).toList(), line);
                List<Double> terms = new ArrayList<>();
                for (int i = 0; i < preds.size(); i++) {
                    terms.add(task.spec().score(preds.get(i), refs.get(i), List.of()));
                }
                assertEquals(c.get("score").asDouble(), RulerScore.task(terms), 1e-9, line);
            }
        }
        assertEquals(10, n);
    }

    @Test
    void eachTaskUsesItsMetric() {
        assertEquals(Metric.STRING_MATCH_PART, RulerTask.byName("qa_1").spec().metric());
        for (String t : List.of("niah_single_1", "niah_multivalue", "vt", "cwe", "fwe")) {
            assertEquals(Metric.STRING_MATCH_ALL, RulerTask.byName(t).spec().metric(), t);
        }
        assertEquals("string_match_all", Metric.STRING_MATCH_ALL.label());
        assertEquals(128, RulerTask.byName("niah_single_2").spec().maxNewTokens());
        // string_match_all: the fraction of the references found, after postprocess_pred, case-insensitive
        assertEquals(0.5, RulerTask.byName("niah_multivalue").spec().score("\n 123 and ABC\u0001", List.of("abc", "9"), List.of()));
        assertEquals(1.0, RulerTask.byName("qa_1").spec().score("it is Paris", List.of("Rome", "paris"), List.of()));
        assertEquals(13, RulerTask.all().size());
    }

    @Test
    void averageAndLengthsAgainstThresholds() {
        assertEquals(50.0, RulerScore.average(Map.of("a", 100.0, "b", 25.0, "c", 25.0)), 1e-12);
        TreeMap<Integer, Double> base = new TreeMap<>(Map.of(1024, 90.0, 2048, 80.0, 4096, 70.0, 8192, 60.0));
        TreeMap<Integer, Double> method = new TreeMap<>(Map.of(1024, 89.0, 2048, 75.0, 4096, 50.0, 8192, 59.0));
        // 75 >= 0.9*80 = 72 passes; 50 < 0.9*70 = 63 is the first fall; 59 >= 54 afterwards does not matter
        assertEquals(OptionalInt.of(4096), RulerScore.firstLengthBelow(base, method, 0.9));
        assertEquals(OptionalInt.of(2048), RulerScore.firstLengthBelow(base, method, 0.95));
        assertEquals(OptionalInt.empty(), RulerScore.firstLengthBelow(base, method, 0.5));
        assertEquals(OptionalInt.of(2048), RulerScore.effectiveLength(method, 75.0));
        assertEquals(OptionalInt.empty(), RulerScore.effectiveLength(method, 95.0));
        assertEquals(OptionalInt.of(8192), RulerScore.effectiveLength(base, 60.0));
        assertThrows(CtxbenchException.class, () -> RulerScore.task(List.of()));
        assertThrows(CtxbenchException.class, () -> RulerScore.matchAll("x", List.of()));
    }
}
