package io.ctxbench.engine.chat;

import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.Model;
import io.ctxbench.gguf.GgufFile;

import java.time.LocalDate;
import java.util.List;
import java.util.Locale;

/**
 * How a prompt is wrapped in a model's chat format. A prompt builder picks one, asks for the {@link Formatter} of
 * its model once, applies it to each prompt, and records {@link #id()} (and, for {@link #JINJA},
 * {@link ChatTemplate#ENGINE}) so that a result says which formatter made its prompts.
 */
public enum ChatFormat {
    /**
     * The model's own {@code tokenizer.chat_template} rendered as Jinja, as Hugging Face's
     * {@code apply_chat_template} renders it: what the model's authors wrote (Llama 3.1's system header with its
     * knowledge-cutoff lines, SmolLM2's default system prompt, ...).
     */
    JINJA("jinja"),
    /**
     * llama.cpp's built-in formatter ({@code llama_chat_apply_template}): it recognises the template by its
     * markers and writes a fixed format of its own, without a Jinja engine; what llama.cpp's tools use without
     * {@code --jinja}.
     */
    LLAMA_CPP_BUILTIN("llama.cpp-builtin");

    private final String id;

    ChatFormat(String id) {
        this.id = id;
    }

    /** The name a record and a command line use. */
    public String id() {
        return id;
    }

    public static ChatFormat parse(String s) {
        String k = s == null ? "" : s.strip().toLowerCase(Locale.ROOT);
        for (ChatFormat f : values()) {
            if (f.id.equals(k)) {
                return f;
            }
        }
        throw new CtxbenchException("unknown chat format '" + s + "': use jinja or llama.cpp-builtin");
    }

    @Override
    public String toString() {
        return id;
    }

    /** Wraps messages in one model's chat format; made once per model, applied per prompt. */
    public interface Formatter {
        String apply(List<Model.ChatMessage> messages, boolean addGenerationPrompt);

        ChatFormat format();
    }

    /**
     * The formatter that wraps {@code model}'s prompts, or null where nothing wraps them: {@code format} null (no chat
     * template asked for) or a model without one ({@code tokenizer.chat_template}); the caller says so.
     */
    public static Formatter of(ChatFormat format, Model model, LocalDate date) {
        return format == null || model.chatTemplate() == null ? null : format.formatter(model, date);
    }

    /**
     * The formatter for {@code model}. {@code date} is the day a template that writes today's date
     * ({@code strftime_now}, {@code date_string}) writes; null lets it read the clock, as {@code apply_chat_template}
     * does (a prompt then changes with the day it is built on). {@link #LLAMA_CPP_BUILTIN} ignores it. A
     * {@link #JINJA} template is rendered once here on a user message, so that one the Jinja engine cannot render
     * fails when the model is loaded, with what to do, rather than at its first prompt.
     */
    public Formatter formatter(Model model, LocalDate date) {
        return switch (this) {
            case LLAMA_CPP_BUILTIN -> new Formatter() {
                @Override
                public String apply(List<Model.ChatMessage> messages, boolean addGenerationPrompt) {
                    return model.applyChatTemplate(messages, addGenerationPrompt);
                }

                @Override
                public ChatFormat format() {
                    return LLAMA_CPP_BUILTIN;
                }
            };
            case JINJA -> {
                Formatter f = jinja(ChatTemplate.of(GgufFile.open(model.params().path())), date);
                try {
                    f.apply(List.of(new Model.ChatMessage("user", "Hello")), true);
                } catch (CtxbenchException e) {
                    throw new CtxbenchException("the Jinja engine (" + ChatTemplate.ENGINE + ") cannot render the chat "
                            + "template of " + model.params().path().getFileName() + " (" + e.getMessage() + "): use "
                            + "llama.cpp's built-in chat formatter instead (--no-jinja)");
                }
                yield f;
            }
        };
    }

    /** The {@link #JINJA} formatter of a template already read (tests, or a template given by hand). */
    public static Formatter jinja(ChatTemplate template, LocalDate date) {
        return new Formatter() {
            @Override
            public String apply(List<Model.ChatMessage> messages, boolean addGenerationPrompt) {
                return template.render(template.withSystemMerged(messages), addGenerationPrompt, date);
            }

            @Override
            public ChatFormat format() {
                return JINJA;
            }
        };
    }
}
