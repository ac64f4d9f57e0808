package io.ctxbench.tasks.ruler;

import java.util.List;

/**
 * One generated RULER sample, in the fields RULER writes: the prompt {@code input} (without the answer prefix),
 * the {@code answerPrefix} RULER appends to it before generation (with a chat template it opens the assistant's
 * turn), the reference {@code outputs}, and {@code length}, the tokens of input + answer prefix plus the task's
 * tokens to generate (at most {@code targetLength}). {@code depth} is the percent depth of the asked needle for
 * needle-grid samples, -1 where RULER places needles at random.
 */
public record RulerSample(String task, int targetLength, int depth, long seed, int index, String input,
                          String answerPrefix, List<String> outputs, int length) {
    public RulerSample {
        outputs = List.copyOf(outputs);
    }

    /** What RULER sends the model (base template): the input followed by the answer prefix. */
    public String prompt() {
        return input + answerPrefix;
    }

    /** Unique per (task, length, depth, seed, index). */
    public String id() {
        return task + "-L" + targetLength + (depth >= 0 ? "-d" + depth : "") + "-s" + seed + "-" + index;
    }
}
