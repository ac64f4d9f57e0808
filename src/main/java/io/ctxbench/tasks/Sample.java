package io.ctxbench.tasks;

import java.util.List;

/**
 * One evaluation item: the long context, the question ({@code input}, empty for summarization), the gold
 * answers, and where it came from ({@code source} = file:line) for error messages. {@code length} is the
 * dataset's own length field (LongBench: words), -1 when absent.
 */
public record Sample(String id, String task, String input, String context, List<String> answers,
                     List<String> allClasses, int length, String source) {
    public Sample {
        answers = List.copyOf(answers);
        allClasses = allClasses == null ? List.of() : List.copyOf(allClasses);
    }
}
