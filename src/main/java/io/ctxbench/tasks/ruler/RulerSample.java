package io.ctxbench.tasks.ruler;

import io.ctxbench.tasks.Sample;

import java.util.List;

/**
 * One generated RULER sample, in the fields RULER writes: the prompt {@code input} (without the answer prefix),
 * the {@code answerPrefix} RULER appends to it before generation (with a chat template it opens the assistant's
 * turn), the reference {@code outputs}, and {@code length}, the tokens of input + answer prefix plus the task's
 * tokens to generate (at most {@code targetLength}). {@code depth} is the percent depth of the asked needle for
 * needle-grid samples, -1 where RULER places needles at random. The task template's {@code {context}} (the
 * haystack: noise, essay, needles, word list, documents) is {@code input[contextStart, contextEnd)}; what comes
 * before it is the instruction (with vt's and cwe's example in front), what follows the question.
 */
public record RulerSample(String task, int targetLength, int depth, long seed, int index, String input,
                          int contextStart, int contextEnd, String answerPrefix, List<String> outputs, int length) {
    public RulerSample {
        outputs = List.copyOf(outputs);
        if (contextStart < 0 || contextStart > contextEnd || contextEnd > input.length()) {
            throw new IllegalArgumentException("context [" + contextStart + ", " + contextEnd + ") outside the input of "
                    + input.length() + " chars");
        }
    }

    /** What RULER sends the model (base template): the input followed by the answer prefix. */
    public String prompt() {
        return input + answerPrefix;
    }

    /** The haystack: the template's {@code {context}}. */
    public String context() {
        return input.substring(contextStart, contextEnd);
    }

    /** Unique per (task, length, depth, seed, index). */
    public String id() {
        return task + "-L" + targetLength + (depth >= 0 ? "-d" + depth : "") + "-s" + seed + "-" + index;
    }

    /**
     * As eval's {@link Sample}: the haystack as the context (what a compressor may shorten), the question after it as
     * the input, the instruction before it and the answer prefix in {@link Sample.Generated}, RULER's length as the
     * sample's length.
     */
    public Sample toSample() {
        String source = "ruler:" + task + ":length=" + targetLength + (depth >= 0 ? ":depth=" + depth : "") + ":seed="
                + seed + ":index=" + index;
        return new Sample(id(), task, input.substring(contextEnd), context(), outputs, List.of(), length, source,
                new Sample.Generated(input.substring(0, contextStart), answerPrefix, targetLength, depth));
    }
}
