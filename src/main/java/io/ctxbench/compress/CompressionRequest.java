package io.ctxbench.compress;

import io.ctxbench.CtxbenchException;

import java.util.List;

/**
 * What to compress. The prompt's parts are kept apart: only {@code context} is ever shortened; the
 * {@code instruction} and the {@code question} are passed through unchanged (the perplexity compressor may
 * read the instruction as conditioning and both compressors read the question to rank sentences).
 * {@code forceTokens} are words or strings that are never dropped (e.g. "\n", a name). Null strings count as
 * empty.
 */
public record CompressionRequest(String instruction, String context, String question, CompressionTarget target,
                                 List<String> forceTokens) {
    public CompressionRequest {
        instruction = instruction == null ? "" : instruction;
        context = context == null ? "" : context;
        question = question == null ? "" : question;
        if (target == null) {
            throw new CtxbenchException("no compression target given (a rate such as 2x or a token budget)");
        }
        forceTokens = forceTokens == null ? List.of() : List.copyOf(forceTokens.stream().filter(f -> f != null && !f.isEmpty()).toList());
    }

    public static CompressionRequest of(String instruction, String context, String question, CompressionTarget target) {
        return new CompressionRequest(instruction, context, question, target, List.of());
    }

    public CompressionRequest withForceTokens(List<String> force) {
        return new CompressionRequest(instruction, context, question, target, force);
    }
}
