package io.ctxbench.tasks;

import io.ctxbench.CtxbenchException;
import io.ctxbench.score.LongBenchMetrics;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A task: LongBench v1's prompt template (config/dataset2prompt.json, byte for byte, upstream typos kept), its
 * max new tokens (config/dataset2maxlen.json) and metric (dataset2metric in eval.py), for all 21 LongBench datasets
 * ({@link #byName}). {@code chat}: whether the prompt is wrapped in the model's chat template; pred.py leaves it out
 * for trec, triviaqa, samsum, lsht, lcc and repobench-p ("chat models are better off without build prompts on these
 * tasks": few-shot and code completion prompts that the model continues). RULER's tasks are made by
 * {@code RulerTask.spec()}: their samples come with the prompt filled ({@link Sample.Generated}), the template is
 * RULER's, for the record.
 */
public record TaskSpec(String name, String template, int maxNewTokens, Metric metric, boolean chat, String about) {

    private static final String QA_PASSAGES = "Answer the question based on the given passages. Only give me the answer "
            + "and do not output any other words.\n\nThe following are given passages.\n{context}\n\nAnswer the question "
            + "based on the given passages. Only give me the answer and do not output any other words.\n\nQuestion: {input}\nAnswer:";

    private static final Map<String, TaskSpec> BUILTIN = new LinkedHashMap<>();

    static {
        add(new TaskSpec("narrativeqa", "You are given a story, which can be either a novel or a movie script, and a question. Answer the"
                + " question asconcisely as you can, using a single phrase if possible. Do not provide any"
                + " explanation.\n\nStory: {context}\n\nNow, answer the question based on the story asconcisely as you can,"
                + " using a single phrase if possible. Do not provide any explanation.\n\nQuestion: {input}\n\nAnswer:",
                128, Metric.QA_F1, true, "LongBench NarrativeQA (single-doc QA)"));
        add(new TaskSpec("qasper", "You are given a scientific article and a question. Answer the question as concisely as you can,"
                + " using a single phrase or sentence if possible. If the question cannot be answered based on the"
                + " information in the article, write \"unanswerable\". If the question is a yes/no question, answer"
                + " \"yes\", \"no\", or \"unanswerable\". Do not provide any explanation.\n\nArticle: {context}\n\n Answer the"
                + " question based on the above article as concisely as you can, using a single phrase or sentence if"
                + " possible. If the question cannot be answered based on the information in the article, write"
                + " \"unanswerable\". If the question is a yes/no question, answer \"yes\", \"no\", or \"unanswerable\". Do not"
                + " provide any explanation.\n\nQuestion: {input}\n\nAnswer:",
                128, Metric.QA_F1, true, "LongBench Qasper (single-doc QA)"));
        add(new TaskSpec("multifieldqa_en", "Read the following text and answer briefly.\n\n{context}\n\nNow, answer the following question based on"
                + " the above text, only give me the answer and do not output any other words.\n\nQuestion:"
                + " {input}\nAnswer:",
                64, Metric.QA_F1, true, "LongBench MultiFieldQA-en (single-doc QA)"));
        add(new TaskSpec("multifieldqa_zh", "阅读以下文字并用中文简短回答：\n\n{context}\n\n现在请基于上面的文章回答下面的问题，只告诉我答案，不要输出任何其他字词。\n\n问题：{input}\n回答：",
                64, Metric.QA_F1_ZH, true, "LongBench MultiFieldQA-zh (single-doc QA, Chinese)"));
        add(new TaskSpec("hotpotqa", QA_PASSAGES,
                32, Metric.QA_F1, true, "LongBench HotpotQA (multi-doc QA)"));
        add(new TaskSpec("2wikimqa", QA_PASSAGES,
                32, Metric.QA_F1, true, "LongBench 2WikiMultihopQA (multi-doc QA)"));
        add(new TaskSpec("musique", QA_PASSAGES,
                32, Metric.QA_F1, true, "LongBench MuSiQue (multi-doc QA)"));
        add(new TaskSpec("dureader", "请基于给定的文章回答下述问题。\n\n文章：{context}\n\n请基于上述文章回答下面的问题。\n\n问题：{input}\n回答：",
                128, Metric.ROUGE_L_ZH, true, "LongBench DuReader (multi-doc QA, Chinese)"));
        add(new TaskSpec("gov_report", "You are given a report by a government agency. Write a one-page summary of the"
                + " report.\n\nReport:\n{context}\n\nNow, write a one-page summary of the report.\n\nSummary:",
                512, Metric.ROUGE_L, true, "LongBench GovReport (summarization)"));
        add(new TaskSpec("qmsum", "You are given a meeting transcript and a query containing a question or instruction. Answer the"
                + " query in one or more sentences.\n\nTranscript:\n{context}\n\nNow, answer the query based on the above"
                + " meeting transcript in one or more sentences.\n\nQuery: {input}\nAnswer:",
                512, Metric.ROUGE_L, true, "LongBench QMSum (query-based summarization; used for L-Eval meeting_summ)"));
        add(new TaskSpec("multi_news", "You are given several news passages. Write a one-page summary of all news. \n\nNews:\n{context}\n\nNow,"
                + " write a one-page summary of all the news.\n\nSummary:",
                512, Metric.ROUGE_L, true, "LongBench MultiNews (multi-doc summarization)"));
        add(new TaskSpec("vcsum", "下面有一段会议记录，请你阅读后，写一段总结，总结会议的内容。\n会议记录：\n{context}\n\n会议总结：",
                512, Metric.ROUGE_L_ZH, true, "LongBench VCSUM (summarization, Chinese)"));
        add(new TaskSpec("trec", "Please determine the type of the question below. Here are some examples of"
                + " questions.\n\n{context}\n{input}",
                64, Metric.CLASSIFICATION, false, "LongBench TREC (few-shot classification)"));
        add(new TaskSpec("triviaqa", "Answer the question based on the given passage. Only give me the answer and do not output any other"
                + " words. The following are some examples.\n\n{context}\n\n{input}",
                32, Metric.QA_F1, false, "LongBench TriviaQA (few-shot QA)"));
        add(new TaskSpec("samsum", "Summarize the dialogue into a few short sentences. The following are some"
                + " examples.\n\n{context}\n\n{input}",
                128, Metric.ROUGE_L, false, "LongBench SAMSum (few-shot summarization)"));
        add(new TaskSpec("lsht", "请判断给定新闻的类别，下面是一些例子。\n\n{context}\n{input}",
                64, Metric.CLASSIFICATION, false, "LongBench LSHT (few-shot classification, Chinese)"));
        add(new TaskSpec("passage_count", "There are some paragraphs below sourced from Wikipedia. Some of them may be duplicates. Please"
                + " carefully read these paragraphs and determine how many unique paragraphs there are after removing"
                + " duplicates. In other words, how many non-repeating paragraphs are there in"
                + " total?\n\n{context}\n\nPlease enter the final count of unique paragraphs after removing duplicates. The"
                + " output format should only contain the number, such as 1, 2, 3, and so on.\n\nThe final answer is: ",
                32, Metric.COUNT, true, "LongBench PassageCount (synthetic)"));
        add(new TaskSpec("passage_retrieval_en", "Here are 30 paragraphs from Wikipedia, along with an abstract. Please determine which paragraph the"
                + " abstract is from.\n\n{context}\n\nThe following is an abstract.\n\n{input}\n\nPlease enter the number of"
                + " the paragraph that the abstract is from. The answer format must be like \"Paragraph 1\", \"Paragraph"
                + " 2\", etc.\n\nThe answer is: ",
                32, Metric.RETRIEVAL, true, "LongBench PassageRetrieval-en (synthetic)"));
        add(new TaskSpec("passage_retrieval_zh", "以下是若干段落文字，以及其中一个段落的摘要。请确定给定的摘要出自哪一段。\n\n{context}\n\n下面是一个摘要\n\n{input}\n\n请输入摘要所属段落的编号。答案格式必须是\"段落1\"，\"段落2\"等格式\n\n答案是：",
                32, Metric.RETRIEVAL_ZH, true, "LongBench PassageRetrieval-zh (synthetic, Chinese)"));
        add(new TaskSpec("lcc", "Please complete the code given below. \n{context}Next line of code:\n",
                64, Metric.CODE_SIM, false, "LongBench LCC (code completion)"));
        add(new TaskSpec("repobench-p", "Please complete the code given below. \n{context}{input}Next line of code:\n",
                64, Metric.CODE_SIM, false, "LongBench RepoBench-P (code completion)"));
    }

    private static void add(TaskSpec t) {
        BUILTIN.put(t.name(), t);
    }

    /** eval.py's datasets whose prediction is cut to its first line before scoring. */
    private static final Set<String> FIRST_LINE = Set.of("trec", "triviaqa", "samsum", "lsht");

    /** The 21 LongBench v1 datasets, in pred.py's order. */
    public static final List<String> LONGBENCH = List.of("narrativeqa", "qasper", "multifieldqa_en", "multifieldqa_zh",
            "hotpotqa", "2wikimqa", "musique", "dureader", "gov_report", "qmsum", "multi_news", "vcsum", "trec", "triviaqa",
            "samsum", "lsht", "passage_count", "passage_retrieval_en", "passage_retrieval_zh", "lcc", "repobench-p");

    /**
     * The score of one prediction (LongBench: eval.py's scorer for one sample): for trec, triviaqa, samsum and lsht only
     * the first line of the prediction counts; then the metric over the gold answers ({@link Metric#score(String, List,
     * List)}: LongBench's best over them, RULER's fraction found; no answers: 0). {@code allClasses} is used by the
     * classification metric only.
     */
    public double score(String prediction, List<String> answers, List<String> allClasses) {
        String p = FIRST_LINE.contains(name) ? LongBenchMetrics.firstLine(prediction) : prediction;
        return metric.score(p, answers, allClasses);
    }

    /** The study's six LongBench tasks. */
    public static final List<String> STUDY_TASKS = List.of("narrativeqa", "qasper", "hotpotqa", "2wikimqa", "gov_report", "multi_news");

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
