package io.ctxbench.tasks;

import java.util.List;

/**
 * One evaluation item: the long context, the question ({@code input}, empty for summarization), the gold
 * answers, and where it came from ({@code source} = file:line, or a generator's task, length, seed and index) for
 * error messages. {@code length} is the dataset's own length field (LongBench: words; RULER: tokens of the prompt
 * plus tokens to generate), -1 when absent. {@code generated} is null for a data file's sample.
 */
public record Sample(String id, String task, String input, String context, List<String> answers,
                     List<String> allClasses, int length, String source, Generated generated) {
    public Sample {
        answers = List.copyOf(answers);
        allClasses = allClasses == null ? List.of() : List.copyOf(allClasses);
    }

    /** A data file's sample. */
    public Sample(String id, String task, String input, String context, List<String> answers, List<String> allClasses,
                  int length, String source) {
        this(id, task, input, context, answers, allClasses, length, source, null);
    }

    /**
     * What a generated (RULER) sample adds: it comes with its prompt filled, {@code before} the context (the
     * instruction) + context + {@code input} (the question) + {@code answerPrefix} (after the chat template's
     * generation prompt); its {@code targetLength} (prompt + tokens to generate, in the model's tokens: the variable
     * under study, so it is never truncated) and the asked needle's {@code depth} in percent (-1: none, RULER's
     * random placement).
     */
    public record Generated(String before, String answerPrefix, int targetLength, int depth) {
    }
}
