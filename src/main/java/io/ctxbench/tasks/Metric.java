package io.ctxbench.tasks;

import io.ctxbench.score.LongBenchMetrics;
import io.ctxbench.score.RulerScore;

import java.util.List;

/**
 * How a task's predictions are scored: the metrics of LongBench v1's metrics.py, as its dataset2metric assigns them,
 * and RULER's two (scripts/eval/synthetic/constants.py).
 */
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
    CODE_SIM("code_sim"),
    /** RULER's string_match_all: the fraction of the references found in the prediction (niah, vt, cwe, fwe). */
    STRING_MATCH_ALL("string_match_all"),
    /** RULER's string_match_part: 1 when any reference is found in the prediction (qa). */
    STRING_MATCH_PART("string_match_part");

    private final String label;

    Metric(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /**
     * A prediction's score against all of a sample's answers, in [0, 1]: RULER's metrics post-process the prediction
     * and take the fraction of the answers found in it (string_match_all) or whether any is (string_match_part);
     * LongBench's take the best over the answers, starting at 0.0. No answers: 0.
     */
    public double score(String prediction, List<String> answers, List<String> allClasses) {
        if (answers.isEmpty()) {
            return 0.0;
        }
        switch (this) {
            case STRING_MATCH_ALL:
                return RulerScore.matchAll(RulerScore.postprocess(prediction), answers);
            case STRING_MATCH_PART:
                return RulerScore.matchPart(RulerScore.postprocess(prediction), answers);
            default:
                double best = 0.0;
                for (String gold : answers) {
                    best = Math.max(best, score(prediction, gold, allClasses));
                }
                return best;
        }
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
            case STRING_MATCH_ALL, STRING_MATCH_PART -> score(prediction, List.of(gold), allClasses);
        };
    }
}
