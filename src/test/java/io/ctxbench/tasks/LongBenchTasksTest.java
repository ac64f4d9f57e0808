package io.ctxbench.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The 21 LongBench v1 datasets as TaskSpecs: templates and max new tokens equal LongBench's config JSONs (copies in
 * tasks/longbench, see the README there), metrics equal eval.py's dataset2metric, the chat template is skipped exactly
 * for pred.py's list; the loader refuses lines that LongBench's metrics would raise on.
 */
class LongBenchTasksTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void templatesAndMaxNewTokensEqualLongBenchConfig() throws IOException {
        JsonNode prompts = config("dataset2prompt.json"), maxlen = config("dataset2maxlen.json");
        List<String> names = new ArrayList<>();
        prompts.fieldNames().forEachRemaining(names::add);
        assertEquals(21, names.size());
        assertEquals(new TreeSet<>(names), new TreeSet<>(TaskSpec.LONGBENCH));
        for (String d : names) {
            TaskSpec t = TaskSpec.byName(d);
            assertEquals(prompts.get(d).textValue(), t.template(), d);
            assertEquals(maxlen.get(d).intValue(), t.maxNewTokens(), d);
        }
    }

    /** eval.py's dataset2metric. */
    @Test
    void metricsAreEvalPysDataset2metric() {
        Map<String, Metric> want = Map.ofEntries(Map.entry("narrativeqa", Metric.QA_F1), Map.entry("qasper", Metric.QA_F1),
                Map.entry("multifieldqa_en", Metric.QA_F1), Map.entry("multifieldqa_zh", Metric.QA_F1_ZH),
                Map.entry("hotpotqa", Metric.QA_F1), Map.entry("2wikimqa", Metric.QA_F1), Map.entry("musique", Metric.QA_F1),
                Map.entry("dureader", Metric.ROUGE_L_ZH), Map.entry("gov_report", Metric.ROUGE_L),
                Map.entry("qmsum", Metric.ROUGE_L), Map.entry("multi_news", Metric.ROUGE_L),
                Map.entry("vcsum", Metric.ROUGE_L_ZH), Map.entry("trec", Metric.CLASSIFICATION),
                Map.entry("triviaqa", Metric.QA_F1), Map.entry("samsum", Metric.ROUGE_L),
                Map.entry("lsht", Metric.CLASSIFICATION), Map.entry("passage_retrieval_en", Metric.RETRIEVAL),
                Map.entry("passage_count", Metric.COUNT), Map.entry("passage_retrieval_zh", Metric.RETRIEVAL_ZH),
                Map.entry("lcc", Metric.CODE_SIM), Map.entry("repobench-p", Metric.CODE_SIM));
        assertEquals(21, want.size());
        want.forEach((d, m) -> assertEquals(m, TaskSpec.byName(d).metric(), d));
    }

    /** pred.py: {@code if dataset not in ["trec", "triviaqa", "samsum", "lsht", "lcc", "repobench-p"]: build_chat}. */
    @Test
    void chatTemplateSkippedExactlyForPredPysList() {
        List<String> noChat = List.of("trec", "triviaqa", "samsum", "lsht", "lcc", "repobench-p");
        for (String d : TaskSpec.LONGBENCH) {
            assertEquals(!noChat.contains(d), TaskSpec.byName(d).chat(), d);
        }
    }

    /** The first-line rule of eval.py applies to trec, triviaqa, samsum and lsht only. */
    @Test
    void firstLineRuleOnlyForItsFourDatasets() {
        assertEquals(1.0, TaskSpec.byName("triviaqa").score("\n\nParis\nLondon", List.of("Paris"), List.of()), 0.0);
        assertEquals(2.0 / 3, TaskSpec.byName("hotpotqa").score("\n\nParis\nLondon", List.of("Paris"), List.of()), 1e-12);
        assertEquals(1.0, TaskSpec.byName("lsht").score("体育\n军事", List.of("体育"), List.of("体育", "军事")), 0.0);
        assertEquals(0.0, TaskSpec.byName("trec").score("", List.of(), List.of("Food")), 0.0);
    }

    @Test
    void loaderRefusesLinesLongBenchsMetricsRaiseOn() throws IOException {
        Path f = tmp.resolve("mixed.jsonl");
        Files.writeString(f, String.join("\n",
                "{\"_id\":\"a\",\"dataset\":\"trec\",\"input\":\"q\",\"context\":\"c\",\"answers\":[\"Food\"],\"all_classes\":null}",
                "{\"_id\":\"b\",\"dataset\":\"passage_retrieval_en\",\"input\":\"q\",\"context\":\"c\",\"answers\":[\"the third\"]}",
                "{\"_id\":\"c\",\"dataset\":\"passage_retrieval_zh\",\"input\":\"q\",\"context\":\"c\",\"answers\":[\"段落3\"]}",
                "{\"_id\":\"d\",\"dataset\":\"lsht\",\"input\":\"q\",\"context\":\"c\",\"answers\":[\"体育\"],\"all_classes\":[\"体育\"],"
                        + "\"length\":5000}"));
        DataLoader.Result r = DataLoader.load(f, null);
        assertEquals(List.of("c", "d"), r.samples().stream().map(Sample::id).toList());
        assertEquals(5000, r.samples().get(1).length());
        assertEquals(2, r.issues().size(), r.issues().toString());
        assertTrue(r.issues().get(0).toString().contains("all_classes"), r.issues().toString());
        assertTrue(r.issues().get(1).toString().contains("Paragraph N"), r.issues().toString());
    }

    private static JsonNode config(String name) throws IOException {
        try (InputStream in = LongBenchTasksTest.class.getResourceAsStream("/tasks/longbench/" + name)) {
            assertTrue(in != null, "test resource missing: tasks/longbench/" + name);
            return JSON.readTree(in);
        }
    }
}
