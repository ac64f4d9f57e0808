package io.ctxbench.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctxbench.tasks.LongBenchV2;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LongBench v2 loader and scorer against LongBench's own code, on score/longbench_v2 (made by the script in the README
 * there): items in data.json's layout, responses with pred.py's extract_answer's letter and the 0-shot prompt its
 * placeholder chain builds, and result.py's table without and with its compensated switch.
 */
class LongBenchV2ScoreTest {
    @TempDir
    Path tmp;

    @Test
    void extractionPromptsAndTableEqualLongBenchsCode() throws IOException {
        Path data = ScoreTestData.resourceFile("v2_items.json", tmp, "/score/longbench_v2/");
        LongBenchV2.Result r = LongBenchV2.load(data);
        assertTrue(r.issues().isEmpty(), r.issues().toString());
        assertEquals(40, r.items().size());
        Map<String, LongBenchV2.Item> byId = new HashMap<>();
        r.items().forEach(i -> byId.put(i.id(), i));
        List<LongBenchV2Score.Judged> judged = new ArrayList<>();
        for (JsonNode row : ScoreTestData.readJsonl(ScoreTestData.resourceFile("v2_responses.jsonl", tmp, "/score/longbench_v2/"))) {
            LongBenchV2.Item item = byId.get(row.get("_id").textValue());
            String pred = LongBenchV2Score.extractAnswer(PyText.strip(row.get("response").textValue()));   // pred.py: output.strip()
            assertEquals(row.get("pred").textValue(), pred, row.toString());
            assertEquals(row.get("prompt").textValue(), item.prompt(), item.id());
            judged.add(new LongBenchV2Score.Judged(item.difficulty(), item.length(), pred, item.answer()));
            assertEquals(row.get("judge").booleanValue(), judged.getLast().right(), item.id());
        }
        List<String> result = Files.readAllLines(ScoreTestData.resourceFile("v2_result.txt", tmp, "/score/longbench_v2/"));
        assertEquals(row(result.get(1)), percents(LongBenchV2Score.table(judged, false)));
        assertEquals(row(result.get(2)), percents(LongBenchV2Score.table(judged, true)));
        assertEquals(List.of(40, 19, 21), LongBenchV2Score.table(judged, false).subList(0, 3).stream()
                .map(LongBenchV2Score.Accuracy::n).toList());
    }

    @Test
    void extractionCasesSpelledOut() {
        assertEquals("B", LongBenchV2Score.extractAnswer("**The correct answer is (B)**"));
        assertEquals("B", LongBenchV2Score.extractAnswer("The correct answer is A or The correct answer is (B)"));
        assertEquals("A", LongBenchV2Score.extractAnswer("The correct answer is AB"));
        assertNull(LongBenchV2Score.extractAnswer("the correct answer is (A)"));
        assertNull(LongBenchV2Score.extractAnswer("The correct answer is (E)"));
        assertTrue(Double.isNaN(LongBenchV2Score.table(List.of(), false).getFirst().percent()));
    }

    @Test
    void badItemsAreReportedWithTheirLineAndTheRestLoads() throws IOException {
        Path f = tmp.resolve("data.json");
        String good = "{\"_id\":\"g\",\"domain\":\"d\",\"sub_domain\":\"s\",\"difficulty\":\"hard\",\"length\":\"long\",\"question\":\"q\","
                + "\"choice_A\":\"a\",\"choice_B\":\"b\",\"choice_C\":\"c\",\"choice_D\":\"d\",\"answer\":\"C\",\"context\":\"x\"}";
        Files.writeString(f, "\n[\n" + good + ",\n" + good.replace("\"C\"", "\"E\"") + ",\n" + good.replace("\"long\"", "\"huge\"")
                + ",\n" + good.replace(",\"context\":\"x\"", "") + ",\n" + good.replace("\"question\":\"q\"", "\"question\":3") + "\n]\n");
        LongBenchV2.Result r = LongBenchV2.load(f);
        assertEquals(1, r.items().size());
        assertEquals(f + ":3", r.items().getFirst().source());
        assertEquals(List.of(4, 5, 6, 7), r.issues().stream().map(i -> i.line()).toList());
        assertTrue(r.issues().get(0).reason().contains("\"answer\""), r.issues().toString());
        assertTrue(r.issues().get(1).reason().contains("\"length\""), r.issues().toString());
        assertTrue(r.issues().get(2).reason().contains("missing field: \"context\""), r.issues().toString());
        assertTrue(r.issues().get(3).reason().contains("\"question\" must be a string"), r.issues().toString());
        // the same items as JSON Lines
        Path jl = tmp.resolve("data.jsonl");
        Files.writeString(jl, good + "\n\n" + good.replace("\"C\"", "\"E\"") + "\n{oops\n");
        LongBenchV2.Result r2 = LongBenchV2.load(jl);
        assertEquals(1, r2.items().size());
        assertEquals(List.of(3, 4), r2.issues().stream().map(i -> i.line()).toList());
    }

    private static List<Double> row(String tsv) {
        String[] cells = tsv.split("\t");
        List<Double> out = new ArrayList<>();
        for (int i = 1; i < cells.length; i++) out.add(Double.parseDouble(cells[i]));
        return out;
    }

    private static List<Double> percents(List<LongBenchV2Score.Accuracy> table) {
        return table.stream().map(LongBenchV2Score.Accuracy::percent).toList();
    }
}
