package io.ctxbench.tasks;

import io.ctxbench.CtxbenchException;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A task: LongBench's prompt template (config/dataset2prompt.json, byte for byte, upstream typos kept), its
 * max new tokens (config/dataset2maxlen.json) and metric (dataset2metric in eval.py). LongBench builds the chat
 * prompt for all of these tasks ({@code chat}).
 */
public record TaskSpec(String name, String template, int maxNewTokens, Metric metric, boolean chat, String about) {

    private static final String QA_PASSAGES = "Answer the question based on the given passages. Only give me the answer "
            + "and do not output any other words.\n\nThe following are given passages.\n{context}\n\nAnswer the question "
            + "based on the given passages. Only give me the answer and do not output any other words.\n\nQuestion: {input}\nAnswer:";

    private static final Map<String, TaskSpec> BUILTIN = new LinkedHashMap<>();

    static {
        add(new TaskSpec("narrativeqa", "You are given a story, which can be either a novel or a movie script, and a question. "
                + "Answer the question asconcisely as you can, using a single phrase if possible. Do not provide any explanation."
                + "\n\nStory: {context}\n\nNow, answer the question based on the story asconcisely as you can, using a single "
                + "phrase if possible. Do not provide any explanation.\n\nQuestion: {input}\n\nAnswer:",
                128, Metric.QA_F1, true, "LongBench NarrativeQA (single-doc QA)"));
        add(new TaskSpec("qasper", "You are given a scientific article and a question. Answer the question as concisely as you "
                + "can, using a single phrase or sentence if possible. If the question cannot be answered based on the information "
                + "in the article, write \"unanswerable\". If the question is a yes/no question, answer \"yes\", \"no\", or "
                + "\"unanswerable\". Do not provide any explanation.\n\nArticle: {context}\n\n Answer the question based on the "
                + "above article as concisely as you can, using a single phrase or sentence if possible. If the question cannot "
                + "be answered based on the information in the article, write \"unanswerable\". If the question is a yes/no "
                + "question, answer \"yes\", \"no\", or \"unanswerable\". Do not provide any explanation.\n\nQuestion: {input}\n\nAnswer:",
                128, Metric.QA_F1, true, "LongBench Qasper (single-doc QA)"));
        add(new TaskSpec("hotpotqa", QA_PASSAGES, 32, Metric.QA_F1, true, "LongBench HotpotQA (multi-doc QA)"));
        add(new TaskSpec("2wikimqa", QA_PASSAGES, 32, Metric.QA_F1, true, "LongBench 2WikiMultihopQA (multi-doc QA)"));
        add(new TaskSpec("gov_report", "You are given a report by a government agency. Write a one-page summary of the report."
                + "\n\nReport:\n{context}\n\nNow, write a one-page summary of the report.\n\nSummary:",
                512, Metric.ROUGE_L, true, "LongBench GovReport (summarization)"));
        add(new TaskSpec("multi_news", "You are given several news passages. Write a one-page summary of all news. \n\nNews:\n"
                + "{context}\n\nNow, write a one-page summary of all the news.\n\nSummary:",
                512, Metric.ROUGE_L, true, "LongBench MultiNews (multi-doc summarization)"));
        add(new TaskSpec("qmsum", "You are given a meeting transcript and a query containing a question or instruction. Answer "
                + "the query in one or more sentences.\n\nTranscript:\n{context}\n\nNow, answer the query based on the above "
                + "meeting transcript in one or more sentences.\n\nQuery: {input}\nAnswer:",
                512, Metric.ROUGE_L, true, "LongBench QMSum (query-based summarization; used for L-Eval meeting_summ)"));
        // synthetic tasks (SyntheticTasks): LongBench's single-doc / multi-doc QA framing, exact short answers
        add(new TaskSpec("needle_qa", "You are given a long document and a question. Answer the question as concisely as you "
                + "can, using a single phrase if possible. Do not provide any explanation.\n\nDocument: {context}\n\nNow, answer "
                + "the question based on the document as concisely as you can. Do not provide any explanation.\n\nQuestion: "
                + "{input}\n\nAnswer:", 32, Metric.QA_F1, true, "synthetic single-document needle QA (exact answer)"));
        add(new TaskSpec("multihop_qa", QA_PASSAGES, 32, Metric.QA_F1, true,
                "synthetic multi-document two-hop QA (exact answer), HotpotQA's template"));
    }

    private static void add(TaskSpec t) {
        BUILTIN.put(t.name(), t);
    }

    /** The study's six LongBench tasks. */
    public static final java.util.List<String> STUDY_TASKS =
            java.util.List.of("narrativeqa", "qasper", "hotpotqa", "2wikimqa", "gov_report", "multi_news");

    public static boolean exists(String name) {
        return BUILTIN.containsKey(name);
    }

    public static TaskSpec byName(String name) {
        TaskSpec t = BUILTIN.get(name);
        if (t == null) {
            throw new CtxbenchException("unknown task '" + name + "'; known: " + String.join(", ", BUILTIN.keySet()));
        }
        return t;
    }

    public static Map<String, TaskSpec> all() {
        return java.util.Collections.unmodifiableMap(BUILTIN);
    }

    /**
     * The template filled as Python's {@code str.format(**sample)} does for these templates: {@code {context}} and
     * {@code {input}} replaced in one pass (text inside the context is never substituted again).
     */
    public String format(String context, String input) {
        StringBuilder sb = new StringBuilder(template.length() + context.length() + input.length());
        int i = 0;
        while (i < template.length()) {
            if (template.startsWith("{context}", i)) {
                sb.append(context);
                i += 9;
            } else if (template.startsWith("{input}", i)) {
                sb.append(input);
                i += 7;
            } else {
                sb.append(template.charAt(i++));
            }
        }
        return sb.toString();
    }
}
