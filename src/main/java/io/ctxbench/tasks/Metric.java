package io.ctxbench.tasks;

import io.ctxbench.score.LongBenchMetrics;

import java.util.List;

/** How a task's predictions are scored: the metrics of LongBench v1's metrics.py, as its dataset2metric assigns them. */
public enum Metric {
    /** qa_f1_score (with the paper's precision and recall), for the English QA tasks. */
    QA_F1("qa_f1"),
    /** qa_f1_zh_score: F1 over jieba words, for multifieldqa_zh. */
    QA_F1_ZH("qa_f1_zh"),
    /** rouge_score (ROUGE-L F of the rouge 1.0.1 package), for the English summarization tasks. */
    ROUGE_L("rouge_l"),
    /** rouge_zh_score: ROUGE-L F over jieba words, for dureader and vcsum. */
    ROUGE_L_ZH("rouge_l_zh"),
    /** classification_score, for trec and lsht (needs the sample's all_classes). */
    CLASSIFICATION("classification"),
    /** retrieval_score ("Paragraph N"), for passage_retrieval_en. */
    RETRIEVAL("retrieval"),
    /** retrieval_zh_score ("段落N"), for passage_retrieval_zh. */
    RETRIEVAL_ZH("retrieval_zh"),
    /** count_score, for passage_count. */
    COUNT("count"),
    /** code_sim_score (fuzz.ratio of the first code line), for lcc and repobench-p. */
    CODE_SIM("code_sim");

    private final String label;

    Metric(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /**
     * The metric of one prediction against one gold answer, in [0, 1]. An answer a metric cannot use (a retrieval
     * answer without its paragraph number) throws IllegalArgumentException, where LongBench's code raises too.
     */
    public double score(String prediction, String gold, List<String> allClasses) {
        return switch (this) {
            case QA_F1 -> LongBenchMetrics.qaF1(prediction, gold);
            case QA_F1_ZH -> LongBenchMetrics.qaF1Zh(prediction, gold);
            case ROUGE_L -> LongBenchMetrics.rouge(prediction, gold);
            case ROUGE_L_ZH -> LongBenchMetrics.rougeZh(prediction, gold);
            case CLASSIFICATION -> LongBenchMetrics.classification(prediction, gold, allClasses);
            case RETRIEVAL -> LongBenchMetrics.retrieval(prediction, gold);
            case RETRIEVAL_ZH -> LongBenchMetrics.retrievalZh(prediction, gold);
            case COUNT -> LongBenchMetrics.count(prediction, gold);
            case CODE_SIM -> LongBenchMetrics.codeSim(prediction, gold);
        };
    }
}
