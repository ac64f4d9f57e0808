package io.ctxbench.tasks.ruler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctxbench.CtxbenchException;
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

class RulerScoreTest {

    /** score_cases.jsonl: RULER's own postprocess_pred and string_match_* on these inputs (make_score_cases.py). */
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
                RulerTask.Metric metric = c.get("metric").asText().equals("string_match_all")
                        ? RulerTask.Metric.STRING_MATCH_ALL : RulerTask.Metric.STRING_MATCH_PART;
                assertEquals(RulerData.strings(c.get("post")), preds.stream().map(RulerScore::postprocess).toList(), line);
                assertEquals(c.get("score").asDouble(), RulerScore.task(metric, preds, refs), 1e-9, line);
            }
        }
        assertEquals(10, n);
    }

    @Test
    void eachTaskUsesItsMetric() {
        assertEquals(RulerTask.Metric.STRING_MATCH_PART, RulerTask.byName("qa_1").kind().metric);
        for (String t : List.of("niah_single_1", "niah_multivalue", "vt", "cwe", "fwe")) {
            assertEquals(RulerTask.Metric.STRING_MATCH_ALL, RulerTask.byName(t).kind().metric, t);
        }
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
        assertThrows(CtxbenchException.class, () -> RulerScore.task(RulerTask.Metric.STRING_MATCH_ALL, List.of(), List.of()));
        assertThrows(CtxbenchException.class, () -> RulerScore.matchAll("x", List.of()));
    }
}
