package io.ctxbench.tasks;

/** How a task's predictions are scored, as LongBench's dataset2metric assigns it. */
public enum Metric {
    /** LongBench qa_f1_score (with the paper's precision and recall), for the QA tasks. */
    QA_F1,
    /** LongBench rouge_score (ROUGE-L F of the rouge 1.0.1 package), for the summarization tasks. */
    ROUGE_L;

    public String label() {
        return this == QA_F1 ? "qa_f1" : "rouge_l";
    }
}
