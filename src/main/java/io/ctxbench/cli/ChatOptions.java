package io.ctxbench.cli;

import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.chat.ChatFormat;
import picocli.CommandLine.Option;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;

/**
 * How the commands that send prompts to a model (generate, eval) wrap them in its chat template, declared once, with
 * llama.cpp's names: {@code --jinja} / {@code --no-jinja} choose between the model's own template rendered as Jinja
 * and llama.cpp's built-in formatter, as in llama-cli and llama-server.
 */
final class ChatOptions {
    @Option(names = "--chat", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Wrap prompts in the model's chat template (default: on, as LongBench and llama-cli); "
                    + "--no-chat sends them as they are, tokenized with BOS as llama-simple does. A model without a "
                    + "template gets its prompts as they are, with a warning.")
    boolean chat;

    @Option(names = "--jinja", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Render the model's own chat template (tokenizer.chat_template) as Jinja, as Hugging Face's "
                    + "apply_chat_template does: what the model's authors wrote, default system prompt included "
                    + "(default: on). --no-jinja uses llama.cpp's built-in formatter (llama_chat_apply_template), which "
                    + "recognises the template by its markers and writes a fixed format of its own.")
    boolean jinja;

    @Option(names = "--chat-date", paramLabel = "YYYY-MM-DD",
            description = "The date a template that prints today's date writes (Llama 3.x: strftime_now, date_string). "
                    + "Default: today; in eval the day the run started, which --resume keeps (give it to shards of one "
                    + "run started on different days, or to build the prompts of an earlier run).")
    String date;

    /** The chat format asked for: null with --no-chat. */
    ChatFormat format() {
        return !chat ? null : jinja ? ChatFormat.JINJA : ChatFormat.LLAMA_CPP_BUILTIN;
    }

    /** The --chat-date given, or null. */
    LocalDate date() {
        if (date == null) {
            return null;
        }
        try {
            return LocalDate.parse(date.strip());
        } catch (DateTimeParseException e) {
            throw new CtxbenchException("--chat-date must be a date as YYYY-MM-DD (e.g. 2024-07-26), got '" + date + "'");
        }
    }
}
