package io.ctxbench.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** FuzzyMatch against fuzzywuzzy 0.18.0 with its difflib backend. */
class FuzzyMatchTest {
    @TempDir
    Path tmp;

    @Test
    void publicReferenceVectors() throws IOException {
        int n = check(ScoreTestData.sharedMetricsFile("fuzzy_ratio_public.jsonl"));
        assertTrue(n >= 30, "expected the full public file, got " + n);
    }

    /** Produced by make_extra_cases.py: long strings (autojunk), small alphabets, supplementary chars. */
    @Test
    void extraPythonGeneratedCases() throws IOException {
        int n = check(ScoreTestData.resourceFile("extra_fuzzy_cases.jsonl", tmp));
        assertTrue(n >= 100, "expected the full extra file, got " + n);
    }

    @Test
    void decoratorsAndRounding() {
        assertEquals(100, FuzzyMatch.ratio("", ""));            // equality is checked before emptiness
        assertEquals(0, FuzzyMatch.ratio("", "a"));
        assertEquals(100, FuzzyMatch.partialRatio("", ""));
        assertEquals(0, FuzzyMatch.partialRatio("abc", ""));
        assertEquals(1.0, FuzzyMatch.seqmatcherRatio("", ""));
        // 2 * 1 / 8 = 0.25 -> 25; 2 * 1 / 400 * 100 = 0.5 -> round half to even gives 0
        assertEquals(25, FuzzyMatch.ratio("abcd", "axxx"));
        assertEquals(0, FuzzyMatch.ratio("a", "a" + "y".repeat(398)));
        assertEquals(75, FuzzyMatch.partialRatio("abcd", "XXXbcdeEEE"));
        // one supplementary code point is one element, as in Python: 2 * 1 / 5
        assertEquals(40, FuzzyMatch.ratio("\uD83D\uDE00a", "\uD83D\uDE00b\uD83D\uDE00"));
    }

    private static int check(Path file) throws IOException {
        List<String> failures = new ArrayList<>();
        List<JsonNode> rows = ScoreTestData.readJsonl(file);
        for (JsonNode r : rows) {
            String s1 = r.get("s1").textValue(), s2 = r.get("s2").textValue(), id = r.get("id").asText();
            int ratio = FuzzyMatch.ratio(s1, s2), partial = FuzzyMatch.partialRatio(s1, s2);
            double seq = FuzzyMatch.seqmatcherRatio(s1, s2);
            if (ratio != r.get("fuzz_ratio").intValue()) failures.add(id + " ratio " + ratio + " != " + r.get("fuzz_ratio"));
            if (partial != r.get("fuzz_partial_ratio").intValue()) {
                failures.add(id + " partial_ratio " + partial + " != " + r.get("fuzz_partial_ratio"));
            }
            if (!(Math.abs(seq - r.get("seqmatcher_ratio").doubleValue()) <= 1e-9)) {
                failures.add(id + " seqmatcher_ratio " + seq + " != " + r.get("seqmatcher_ratio"));
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " mismatches:\n" + String.join("\n", failures));
        return rows.size();
    }
}
