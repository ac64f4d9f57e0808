package io.ctxbench.compress;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.Generation;
import io.ctxbench.engine.GenerationOptions;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.Session;
import io.ctxbench.score.QaScore;
import io.ctxbench.score.RougeL;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A small stand-in for the evaluation harness, enough to compare "FP16" against "FP16_c": for each sample it
 * generates with the target model on the uncompressed context and on each compressor's output, LongBench style
 * (the task's fixed prompt template, middle truncation of the formatted prompt to {@code maxLength} tokens,
 * the model's chat template, greedy decoding, the task's max new tokens), writes one JSONL record per
 * generation (id, task, method, prediction, answers, context, token counts, seconds) and prints a score table
 * (qa_f1 for qasper, ROUGE-L F for multi_news, x100, with the io.ctxbench.score ports). Only the two tasks whose
 * data ships in shared/data are known. The harness proper replaces this when it lands.
 */
public final class CompressionEval {
    private static final ObjectMapper JSON = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

    /** LongBench v1 dataset2prompt.json entries and dataset2maxlen values for the tasks in shared/data. */
    static final Map<String, String> TEMPLATES = Map.of(
            "multi_news", "You are given several news passages. Write a one-page summary of all news. \n\nNews:\n{context}\n\n"
                    + "Now, write a one-page summary of all the news.\n\nSummary:",
            "qasper", "You are given a scientific article and a question. Answer the question as concisely as you can, "
                    + "using a single phrase or sentence if possible. If the question cannot be answered based on the "
                    + "information in the article, write \"unanswerable\". If the question is a yes/no question, answer "
                    + "\"yes\", \"no\", or \"unanswerable\". Do not provide any explanation.\n\nArticle: {context}\n\n "
                    + "Answer the question based on the above article as concisely as you can, using a single phrase or "
                    + "sentence if possible. If the question cannot be answered based on the information in the article, "
                    + "write \"unanswerable\". If the question is a yes/no question, answer \"yes\", \"no\", or "
                    + "\"unanswerable\". Do not provide any explanation.\n\nQuestion: {input}\n\nAnswer:");
    static final Map<String, Integer> MAX_NEW = Map.of("multi_news", 512, "qasper", 128);

    private final Model model;
    private final List<PromptCompressor> compressors;
    private final CompressionTarget target;
    private final int maxLength;
    private final int threads;

    public CompressionEval(Model model, List<PromptCompressor> compressors, CompressionTarget target, int maxLength, int threads) {
        if (maxLength < 64) {
            throw new CtxbenchException("--max-length must be at least 64 tokens, got " + maxLength);
        }
        this.model = model;
        this.compressors = compressors;
        this.target = target;
        this.maxLength = maxLength;
        this.threads = threads;
    }

    /** Generates for every sample (uncompressed, then each compressor), appending records to {@code out}; prints the table. */
    public void run(List<JsonNode> samples, String taskName, Path out, PrintStream log) throws IOException {
        Map<String, double[]> sums = new LinkedHashMap<>();   // method -> {score sum, n, compressed tokens, original tokens, seconds}
        try (BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8);
             Session s = Session.open(model, Session.Params.of(maxLength + 512 + 64).withThreads(threads))) {
            for (JsonNode sample : samples) {
                String task = taskName != null ? taskName : sample.path("dataset").asText("");
                if (!TEMPLATES.containsKey(task)) {
                    throw new CtxbenchException("unknown task '" + task + "' (known: " + TEMPLATES.keySet() + "); give --task");
                }
                String context = sample.path("context").asText("");
                String question = sample.path("input").asText("");
                List<String> answers = new ArrayList<>();
                sample.path("answers").forEach(a -> answers.add(a.asText()));
                List<Object[]> variants = new ArrayList<>();
                variants.add(new Object[]{"uncompressed", null});
                for (PromptCompressor c : compressors) {
                    variants.add(new Object[]{c.name(), c});
                }
                for (Object[] v : variants) {
                    String used = context;
                    CompressionResult r = null;
                    if (v[1] != null) {
                        r = ((PromptCompressor) v[1]).compress(CompressionRequest.of("", context, question, target));
                        used = r.context();
                    }
                    int[] prompt = prompt(task, used, question);
                    Generation g = s.generate(prompt, new GenerationOptions(MAX_NEW.get(task), List.of(), false, 0));
                    String pred = g.text().strip();
                    double score = task.equals("multi_news") ? RougeL.best(pred, answers) : QaScore.best(pred, answers).f1();
                    Map<String, Object> rec = new LinkedHashMap<>();
                    rec.put("id", sample.path("_id").asText());
                    rec.put("task", task);
                    rec.put("method", (String) v[0]);
                    rec.put("prediction", pred);
                    rec.put("answers", answers);
                    rec.put("score", score);
                    rec.put("prompt_tokens", prompt.length);
                    rec.put("original_context_tokens", r == null ? null : r.originalTokens());
                    rec.put("compressed_context_tokens", r == null ? null : r.compressedTokens());
                    rec.put("compress_seconds", r == null ? 0.0 : r.seconds());
                    rec.put("generate_seconds", g.timings().endToEndMillis() / 1000);
                    rec.put("context", used);
                    w.write(JSON.writeValueAsString(rec));
                    w.newLine();
                    w.flush();
                    double[] acc = sums.computeIfAbsent(task + "\t" + v[0], k -> new double[5]);
                    acc[0] += score;
                    acc[1]++;
                    acc[2] += r == null ? 0 : r.compressedTokens();
                    acc[3] += r == null ? 0 : r.originalTokens();
                    acc[4] += r == null ? 0 : r.seconds();
                    log.printf(Locale.ROOT, "%s %s %s: score %.3f, prompt %d tok%n", task, sample.path("_id").asText(), v[0], score, prompt.length);
                }
            }
        }
        log.println();
        log.println("| task | method | n | score (x100) | achieved rate | compress s/sample |");
        log.println("|---|---|---:|---:|---:|---:|");
        for (var e : sums.entrySet()) {
            String[] k = e.getKey().split("\t");
            double[] a = e.getValue();
            log.printf(Locale.ROOT, "| %s | %s | %d | %.2f | %s | %s |%n", k[0], k[1], (int) a[1], 100 * a[0] / a[1],
                    a[2] == 0 ? "1.00" : String.format(Locale.ROOT, "%.2f", a[3] / a[2]),
                    String.format(Locale.ROOT, "%.3f", a[4] / a[1]));
        }
    }

    /** LongBench prompt: template, middle truncation to maxLength tokens, chat template, tokens. */
    int[] prompt(String task, String context, String question) {
        String p = TEMPLATES.get(task).replace("{input}", question);
        int at = p.indexOf("{context}");
        p = p.substring(0, at) + context + p.substring(at + "{context}".length());
        int[] t = model.tokenize(p, false, false);
        if (t.length > maxLength) {
            int half = maxLength / 2;
            p = model.detokenize(t, 0, half, false) + model.detokenize(t, t.length - half, t.length, false);
        }
        String chat = model.chatTemplate() != null
                ? model.applyChatTemplate(List.of(new Model.ChatMessage("user", p)), true) : p;
        return model.tokenize(chat, true, true);
    }
}
