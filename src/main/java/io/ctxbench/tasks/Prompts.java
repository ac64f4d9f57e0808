package io.ctxbench.tasks;

import io.ctxbench.engine.Model;
import io.ctxbench.engine.chat.ChatFormat;
import io.ctxbench.score.LongBenchMetrics;

import java.util.Arrays;
import java.util.List;

/**
 * Builds the token sequence a model sees for a sample, as LongBench's pred.py does: fill the task's template,
 * tokenize, and when the prompt is longer than {@code maxLength} tokens keep the first and the last
 * {@code maxLength/2} tokens (middle truncation: the instructions at both ends survive) and decode them back to
 * text; then wrap the text in the model's chat template (the given {@link ChatFormat.Formatter}, except for the tasks
 * pred.py leaves unwrapped) and tokenize that (special tokens parsed).
 * The length check tokenizes without BOS (HF's count includes it for Llama tokenizers: a one-token difference).
 * A generated (RULER) sample's prompt is built as RULER's prepare.py builds it instead ({@link #generated}).
 */
public final class Prompts {
    private Prompts() {
    }

    /** What a record's {@code chat_format} says of a prompt no chat template wrapped. */
    public static final String NO_CHAT = "none";

    /**
     * The result: the tokens to feed, the text before the chat template, the length facts, and what wrapped the text
     * ({@link ChatFormat#id()}, or {@link #NO_CHAT}).
     */
    public record Built(int[] tokens, String text, int rawTokens, boolean truncated, String chatFormat) {
    }

    /** The names {@link #bucket} gives, shortest prompts first. */
    public static final List<String> BUCKETS = List.of("0-4k", "4-8k", "8k+");

    /**
     * LongBench-E's bucket of a sample, as eval.py's scorer_e assigns it: by the dataset's {@code length} field
     * (LongBench counts words) below 4000, below 8000, or more; a sample without that field (L-Eval) by its prompt's
     * token count before truncation. A generated sample's bucket is its target length ({@link #lengthLabel}).
     */
    public static String bucket(Sample s, Built prompt) {
        if (s.generated() != null) {
            return lengthLabel(s.generated().targetLength());
        }
        return LongBenchMetrics.bucket(s.length() >= 0 ? s.length() : prompt.rawTokens());
    }

    /** A length in tokens as a label: "4k" for 4096, "128k" for 131072, else the number ("512", "1536"). */
    public static String lengthLabel(int tokens) {
        return tokens % 1024 == 0 ? tokens / 1024 + "k" : String.valueOf(tokens);
    }

    /** Middle truncation of a formatted prompt to at most {@code maxLength} tokens (before the chat template). */
    public static String truncateMiddle(Model model, String prompt, int maxLength, int[] rawCountOut) {
        int[] t = model.tokenize(prompt, false, false);
        if (rawCountOut != null) {
            rawCountOut[0] = t.length;
        }
        if (maxLength <= 0 || t.length <= maxLength) {
            return prompt;
        }
        int half = maxLength / 2;
        return model.detokenize(t, 0, half, false) + model.detokenize(t, t.length - half, t.length, false);
    }

    /**
     * The prompt of a sample: {@code chat} wraps it (null: nothing does, as {@code --no-chat} or a model without a
     * template), unless the task is on pred.py's skip list.
     */
    public static Built build(Model model, TaskSpec task, String context, String input, int maxLength,
                              ChatFormat.Formatter chat) {
        String prompt = task.format(context, input);
        int[] raw = new int[1];
        String text = truncateMiddle(model, prompt, maxLength, raw);
        int[] tokens;
        boolean wrap = chat != null && task.chat();
        if (wrap) {
            tokens = wrappedTokens(model, chat.apply(List.of(new Model.ChatMessage("user", text)), true));
        } else {
            tokens = model.tokenize(text, true, false);
        }
        return new Built(tokens, text, raw[0], raw[0] > maxLength && maxLength > 0, wrap ? chat.format().id() : NO_CHAT);
    }

    /**
     * A generated (RULER) sample's prompt as RULER's prepare.py builds it: the filled task template (the sample's
     * instruction, {@code context} and question) as the user's turn of the model's chat template (none when
     * {@code formatter} is null: RULER's "base" template), then RULER's answer prefix after the generation prompt, so
     * that the model continues the assistant's answer. Never truncated: its length is what is measured.
     * {@code rawTokens} counts the prompt without the chat template and BOS (RULER's own count).
     */
    public static Built generated(Model model, ChatFormat.Formatter formatter, Sample s, String context) {
        Sample.Generated g = s.generated();
        if (g == null) {
            throw new IllegalArgumentException("sample " + s.id() + " is not a generated one");
        }
        String text = g.before() + context + s.input();
        int[] tokens = formatter == null ? model.tokenize(text + g.answerPrefix(), true, false)
                : wrappedTokens(model, formatter.apply(List.of(new Model.ChatMessage("user", text)), true) + g.answerPrefix());
        return new Built(tokens, text, model.tokenize(text + g.answerPrefix(), false, false).length, false,
                formatter == null ? NO_CHAT : formatter.format().id());
    }

    /**
     * Tokens a generated prompt has beyond its text's own (RULER's {@code model_template_token}): the chat template
     * around an empty user turn, and BOS. A generator subtracts them from the target length so that the whole
     * prompt plus the tokens to generate fits it.
     */
    public static int generatedOverhead(Model model, ChatFormat.Formatter formatter) {
        Sample empty = new Sample("", "", "", "", List.of(), List.of(), -1, "", new Sample.Generated("", "", 0, -1));
        return generated(model, formatter, empty, "").tokens().length;
    }

    /** Tokens of a chat-formatted prompt (special tokens parsed); a template that writes BOS itself keeps one BOS. */
    private static int[] wrappedTokens(Model model, String wrapped) {
        int[] tokens = model.tokenize(wrapped, true, true);
        // a template that writes BOS itself plus add_bos would give two BOS tokens: keep one
        int[] bos = model.tokenize("", true, false);
        if (tokens.length > 1 && tokens[0] == tokens[1] && bos.length == 1 && tokens[0] == bos[0]) {
            tokens = Arrays.copyOfRange(tokens, 1, tokens.length);
        }
        return tokens;
    }
}
