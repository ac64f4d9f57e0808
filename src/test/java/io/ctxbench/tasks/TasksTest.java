package io.ctxbench.tasks;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.TestFiles;
import io.ctxbench.engine.chat.ChatFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TasksTest {
    static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(Model.Params.of(TestFiles.smolLm2()).withGpuLayers(0));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static Path shared(String rel) {
        return Path.of(System.getProperty("ctxbench.shared.dir", "../shared")).resolve(rel);
    }

    /** LongBench's config/dataset2prompt.json entries as they are in the upstream file (JSON-escaped). */
    private static final String UPSTREAM = "{\"multi_news\": \"You are given several news passages. Write a one-page summary of all news. \\n\\nNews:\\n{context}\\n\\nNow, write a one-page summary of all the news.\\n\\nSummary:\","
            + "\"qasper\": \"You are given a scientific article and a question. Answer the question as concisely as you can, using a single phrase or sentence if possible. If the question cannot be answered based on the information in the article, write \\\"unanswerable\\\". If the question is a yes/no question, answer \\\"yes\\\", \\\"no\\\", or \\\"unanswerable\\\". Do not provide any explanation.\\n\\nArticle: {context}\\n\\n Answer the question based on the above article as concisely as you can, using a single phrase or sentence if possible. If the question cannot be answered based on the information in the article, write \\\"unanswerable\\\". If the question is a yes/no question, answer \\\"yes\\\", \\\"no\\\", or \\\"unanswerable\\\". Do not provide any explanation.\\n\\nQuestion: {input}\\n\\nAnswer:\","
            + "\"narrativeqa\": \"You are given a story, which can be either a novel or a movie script, and a question. Answer the question asconcisely as you can, using a single phrase if possible. Do not provide any explanation.\\n\\nStory: {context}\\n\\nNow, answer the question based on the story asconcisely as you can, using a single phrase if possible. Do not provide any explanation.\\n\\nQuestion: {input}\\n\\nAnswer:\","
            + "\"hotpotqa\": \"Answer the question based on the given passages. Only give me the answer and do not output any other words.\\n\\nThe following are given passages.\\n{context}\\n\\nAnswer the question based on the given passages. Only give me the answer and do not output any other words.\\n\\nQuestion: {input}\\nAnswer:\","
            + "\"gov_report\": \"You are given a report by a government agency. Write a one-page summary of the report.\\n\\nReport:\\n{context}\\n\\nNow, write a one-page summary of the report.\\n\\nSummary:\"}";

    @Test
    void templatesEqualLongBenchByteForByte() throws Exception {
        var up = new ObjectMapper().readTree(UPSTREAM);
        for (var it = up.fieldNames(); it.hasNext(); ) {
            String t = it.next();
            assertEquals(up.get(t).textValue(), TaskSpec.byName(t).template(), t);
        }
        assertEquals(TaskSpec.byName("hotpotqa").template(), TaskSpec.byName("2wikimqa").template());
        assertEquals(512, TaskSpec.byName("multi_news").maxNewTokens());
        assertEquals(128, TaskSpec.byName("qasper").maxNewTokens());
        assertEquals(32, TaskSpec.byName("2wikimqa").maxNewTokens());
        assertEquals(Metric.ROUGE_L, TaskSpec.byName("gov_report").metric());
        assertEquals(Metric.QA_F1, TaskSpec.byName("narrativeqa").metric());
    }

    @Test
    void multiNewsPromptIsTheTemplateFilledLikePythonFormat() {
        DataLoader.Result r = DataLoader.load(shared("data/longbench/multi_news.jsonl"), null);
        assertEquals(200, r.samples().size());
        assertTrue(r.issues().isEmpty(), r.issues().toString());
        Sample s = r.samples().getFirst();
        String expected = "You are given several news passages. Write a one-page summary of all news. \n\nNews:\n" + s.context()
                + "\n\nNow, write a one-page summary of all the news.\n\nSummary:";
        assertArrayEquals(expected.getBytes(StandardCharsets.UTF_8),
                TaskSpec.byName("multi_news").format(s.context(), s.input()).getBytes(StandardCharsets.UTF_8));
        // one pass: a placeholder inside the context is not substituted again
        assertEquals("Answer the question based on the given passages. Only give me the answer and do not output any other words."
                        + "\n\nThe following are given passages.\n{input}\n\nAnswer the question based on the given passages. Only give "
                        + "me the answer and do not output any other words.\n\nQuestion: q\nAnswer:",
                TaskSpec.byName("hotpotqa").format("{input}", "q"));
    }

    @Test
    void middleTruncationKeepsFirstAndLastHalves() {
        Sample s = DataLoader.load(shared("data/longbench/multi_news.jsonl"), null).samples().getFirst();
        String prompt = TaskSpec.byName("multi_news").format(s.context(), s.input());
        int[] all = model.tokenize(prompt, false, false);
        int max = 1000;
        assertTrue(all.length > max);
        int[] raw = new int[1];
        String cut = Prompts.truncateMiddle(model, prompt, max, raw);
        assertEquals(all.length, raw[0]);
        String head = model.detokenize(all, 0, max / 2, false), tail = model.detokenize(all, all.length - max / 2, all.length, false);
        assertEquals(head + tail, cut);
        assertTrue(cut.startsWith("You are given several news passages."));
        assertTrue(cut.endsWith("Now, write a one-page summary of all the news.\n\nSummary:"));
        int[] again = model.tokenize(cut, false, false);
        assertTrue(Math.abs(again.length - max) <= 2, "retokenized length " + again.length);
        // the first half's tokens come back unchanged (apart from the seam)
        for (int i = 0; i < max / 2 - 1; i++) {
            assertEquals(all[i], again[i], "token " + i);
        }
        Prompts.Built b = Prompts.build(model, TaskSpec.byName("multi_news"), s.context(), s.input(), max, ChatFormat.LLAMA_CPP_BUILTIN.formatter(model, null));
        assertTrue(b.truncated());
        String text = model.detokenize(b.tokens(), 0, b.tokens().length, true);
        assertTrue(text.contains("<|im_start|>user\n" + "You are given several news passages."), text.substring(0, 200));
        assertTrue(text.endsWith("Summary:<|im_end|>\n<|im_start|>assistant\n"), text.substring(text.length() - 100));
        Prompts.Built shortOne = Prompts.build(model, TaskSpec.byName("multi_news"), "Short news.", "", 4096, ChatFormat.LLAMA_CPP_BUILTIN.formatter(model, null));
        assertFalse(shortOne.truncated());
        // LongBench-E buckets by the dataset's length field (words); a sample without one by its prompt's tokens
        Sample withLength = new Sample("x", "multi_news", "", "Short news.", List.of("a"), List.of(), 5000, "t");
        Sample without = new Sample("y", "multi_news", "", "Short news.", List.of("a"), List.of(), -1, "t");
        assertEquals("4-8k", Prompts.bucket(withLength, shortOne));
        assertEquals("0-4k", Prompts.bucket(without, shortOne));
    }

    @Test
    void badDataIsReportedWithFileAndLineAndTheRestLoads(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("mixed.jsonl");
        Files.writeString(f, String.join("\n",
                "{\"input\": \"q?\", \"context\": \"some text\", \"answers\": [\"a\"], \"dataset\": \"qasper\", \"_id\": \"ok1\"}",
                "{\"input\": \"q?\", \"context\": ",
                "{\"input\": \"q?\", \"answers\": [\"a\"], \"dataset\": \"qasper\", \"_id\": \"nocontext\"}",
                "{\"input\": \"q?\", \"context\": \"  \", \"answers\": [\"a\"], \"dataset\": \"qasper\", \"_id\": \"empty\"}",
                "{\"input\": \"q?\", \"context\": \"t\", \"answers\": [\"a\"], \"dataset\": \"no_such_task\", \"_id\": \"unk\"}",
                "{\"input\": \"q?\", \"context\": \"t\", \"answers\": \"a\", \"dataset\": \"qasper\", \"_id\": \"notlist\"}",
                "",
                "{\"input\": \"\", \"context\": \"news\", \"answers\": [\"s\"], \"dataset\": \"multi_news_e\", \"_id\": \"ok2\", \"length\": 3}") + "\n");
        DataLoader.Result r = DataLoader.load(f, null);
        assertEquals(List.of("ok1", "ok2"), r.samples().stream().map(Sample::id).toList());
        assertEquals("multi_news", r.samples().get(1).task());
        assertEquals(5, r.issues().size());
        assertEquals(List.of(2, 3, 4, 5, 6), r.issues().stream().map(DataIssue::line).toList());
        assertEquals(List.of("malformed JSON", "missing field", "empty context", "unknown task", "answers not a list"),
                r.issues().stream().map(DataIssue::kind).toList());
        assertTrue(r.issues().getFirst().toString().startsWith(f + ":2: "));
    }

    @Test
    void levalTasks() {
        DataLoader.Result r = DataLoader.load(shared("data/leval/scientific_qa.jsonl"), null);
        assertTrue(r.issues().isEmpty());
        assertEquals(184, r.samples().size());
        assertEquals("qasper", r.samples().getFirst().task());
        assertEquals("How did they obtain the dataset?", r.samples().getFirst().input());
        DataLoader.Result news = DataLoader.load(shared("data/leval/news_summ.jsonl"), null);
        assertEquals("multi_news", news.samples().getFirst().task());
        assertEquals("", news.samples().getFirst().input());
    }
}
