package io.ctxbench.experiment;

import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.chat.ChatFormat;
import io.ctxbench.gguf.GgufFile;
import io.ctxbench.tasks.Prompts;
import io.ctxbench.tasks.Sample;
import io.ctxbench.tasks.TaskSpec;

import java.io.PrintStream;
import java.time.LocalDate;
import java.util.List;

/**
 * How eval builds one model's prompts, decided before anything runs and the same in the generation and the fidelity
 * pass: the truncation budget ({@code maxLength}: --max-length, else LongBench's, the model's trained context minus
 * {@value #LONGBENCH_RESERVE}), what wraps them ({@code chatFormat}, null for none: --no-chat or a model without a chat
 * template) with the run's one {@code chatDate}, and the longest prompt of the selected samples, which sizes the
 * model's sessions: a budget of 128k tokens makes no 128k-token context when the prompts are short.
 */
record PromptPlan(int trainedContext, int maxLength, ChatFormat chatFormat, LocalDate chatDate, int longestPrompt) {
    /** What LongBench keeps free below a model's window: its model2maxlen budgets are the window minus 500. */
    static final int LONGBENCH_RESERVE = 500;
    /** Tokens of context kept beyond the longest prompt and the new tokens. */
    static final int CONTEXT_MARGIN = 256;

    /**
     * Reads model {@code m} (its metadata and vocabulary: trained context, tokenizer, chat template), says on {@code err} when
     * it has no chat template or the budget given is beyond its trained context, and builds every selected sample's
     * uncompressed prompt to find the longest (compressed contexts are shorter). A chat template the Jinja engine
     * cannot render fails here.
     */
    static PromptPlan of(EvalConfig cfg, ModelSpec m, List<TaskWork> work, LocalDate chatDate, PrintStream err) {
        // what llama_model_n_ctx_train reads, which a vocabulary-only load leaves at 0
        GgufFile gguf = GgufFile.open(m.given());
        int trained = (int) gguf.getLong(gguf.architecture() + ".context_length", 0);
        try (Model vocab = Model.load(Model.Params.of(m.given()).withVocabOnly(true))) {
            int maxLength = cfg.maxLength() > 0 ? cfg.maxLength() : trained - LONGBENCH_RESERVE;
            if (maxLength < EvalConfig.MIN_MAX_LENGTH) {
                throw new CtxbenchException("model " + m.name() + " was trained on a context of " + trained + " tokens, "
                        + "too short for LongBench's truncation budget (the trained context minus " + LONGBENCH_RESERVE
                        + "): give --max-length");
            }
            if (cfg.maxLength() > trained) {
                err.println("eval: note: --max-length " + cfg.maxLength() + " is beyond the context " + m.name()
                        + " was trained on (" + trained + " tokens)");
            }
            ChatFormat.Formatter chat = ChatFormat.of(cfg.chatFormat(), vocab, chatDate);
            if (cfg.chatFormat() != null && chat == null) {
                err.println("eval: warning: " + m.name() + " has no chat template (tokenizer.chat_template): its prompts "
                        + "are not wrapped (chat_format " + Prompts.NO_CHAT + ")");
            }
            PromptPlan plan = new PromptPlan(trained, maxLength, chat == null ? null : chat.format(), chatDate, 0);
            int longest = 0;
            for (TaskWork w : work) {
                for (Sample s : w.samples()) {
                    try {
                        Prompts.Built b = plan.build(vocab, chat, w.task(), s, s.context());
                        if (cfg.buckets().isEmpty() || cfg.buckets().contains(Prompts.bucket(s, b))) {
                            longest = Math.max(longest, b.tokens().length);
                        }
                    } catch (CtxbenchException e) {
                        // the sample fails again when it runs, and is reported there
                    }
                }
            }
            err.println("eval: " + m.name() + ": truncation budget " + maxLength + " tokens ("
                    + (cfg.maxLength() > 0 ? "--max-length" : "trained context " + trained + " - " + LONGBENCH_RESERVE)
                    + "), longest prompt " + longest + " tokens");
            return new PromptPlan(trained, maxLength, plan.chatFormat(), chatDate, longest);
        }
    }

    /** The formatter of a loaded file of the model (null: prompts not wrapped); made once per loaded model. */
    ChatFormat.Formatter formatter(Model model) {
        return ChatFormat.of(chatFormat, model, chatDate);
    }

    /**
     * Sample {@code s}'s prompt with {@code context} (its own or a compressor's) as every pass builds it: a generated
     * sample's as RULER builds it ({@link Prompts#generated}, never truncated), else LongBench's ({@link Prompts#build}).
     */
    Prompts.Built build(Model model, ChatFormat.Formatter chat, TaskSpec task, Sample s, String context) {
        if (s.generated() != null) {
            return Prompts.generated(model, task.chat() ? chat : null, s, context);
        }
        return Prompts.build(model, task, context, s.input(), maxLength, chat);
    }

    /** The context of a session that reads the longest prompt and then {@code newTokens} more. */
    int contextSize(int newTokens) {
        return longestPrompt + newTokens + CONTEXT_MARGIN;
    }
}
