package io.ctxbench.engine.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.objects.date.StrftimeFormatter;
import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.Model;
import io.ctxbench.gguf.GgufFile;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ExpressionFactory;

import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * A model's chat template ({@code tokenizer.chat_template}, Jinja) rendered the way Hugging Face's
 * {@code apply_chat_template} renders it: a Jinja2 environment with {@code trim_blocks} and
 * {@code lstrip_blocks}, the {@code raise_exception} and {@code strftime_now} globals, {@code tojson} as
 * {@code json.dumps(ensure_ascii=False)}, and the variables {@code messages}, {@code add_generation_prompt},
 * {@code bos_token}, {@code eos_token}, {@code tools=None}, {@code documents=None}.
 *
 * <p>The engine is Jinjava (built for untrusted templates) with its Jinja2-compatibility switches on; what it lacks
 * for chat templates is added around it, never by editing a template: functions, filters and tags, a resolver for
 * Python's string methods ({@link PythonStrings}), Jinja2's {@code for} ({@link Jinja2ForTag}) and expression
 * parser ({@link Jinja2Syntax}). Left as Jinjava has it: there is no Undefined apart from None (iterating None
 * renders nothing where Jinja2 fails), and {@code {{ true }}} / {@code {{ none }}} print "true" / "" where Jinja2
 * prints "True" / "None". An error in the template (a failed {@code raise_exception}, an unknown function or method) ends in
 * a {@link CtxbenchException} instead of a silently different prompt.
 */
public final class ChatTemplate {

    /** What renders the templates, for records: the engine and its version. */
    public static final String ENGINE = "jinjava " + jinjavaVersion();

    private static final Jinjava JINJA = newEngine();
    /** A binding the {@code strftime_now} function reads; no template uses such a name. */
    private static final String NOW = "__ctxbench_now";
    private static final String KEY_TEMPLATE = "tokenizer.chat_template";
    private static final String KEY_TOKENS = "tokenizer.ggml.tokens";

    private final String source;
    /** The source as Jinja2's lexer reads it (see {@link #asJinja2Reads}). */
    private final String jinjaSource;
    private final String bosToken;
    private final String eosToken;
    private volatile Boolean supportsSystem;

    public ChatTemplate(String source, String bosToken, String eosToken) {
        if (source == null || source.isBlank()) {
            throw new CtxbenchException("the chat template is empty");
        }
        this.source = source;
        this.jinjaSource = asJinja2Reads(source);
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
    }

    /**
     * The chat template of a GGUF file ({@code tokenizer.chat_template}) with its BOS and EOS token texts
     * ({@code tokenizer.ggml.tokens} at {@code tokenizer.ggml.bos_token_id} / {@code eos_token_id}), which
     * {@code apply_chat_template} passes as {@code bos_token} and {@code eos_token}.
     */
    public static ChatTemplate of(GgufFile gguf) {
        String source = gguf.getString(KEY_TEMPLATE, null);
        if (source == null || source.isBlank()) {
            throw new CtxbenchException(gguf.path().getFileName() + " has no chat template (" + KEY_TEMPLATE
                    + "): use llama.cpp's built-in chat format (" + ChatFormat.LLAMA_CPP_BUILTIN.id()
                    + "), or run without the chat template");
        }
        String[] tokens = gguf.has(KEY_TOKENS) ? gguf.getStringArray(KEY_TOKENS) : new String[0];
        return new ChatTemplate(source, token(gguf, tokens, "tokenizer.ggml.bos_token_id"),
                token(gguf, tokens, "tokenizer.ggml.eos_token_id"));
    }

    private static String token(GgufFile gguf, String[] tokens, String idKey) {
        long id = gguf.getLong(idKey, -1);
        return id >= 0 && id < tokens.length ? tokens[(int) id] : "";
    }

    /**
     * Whether the template writes a system message. Asked as llama.cpp asks it (common/jinja/caps.cpp): render a
     * system and a user message; a template that fails on the system message (Gemma: "System role not supported")
     * or leaves its text out (Phi-3-mini) does not support it.
     */
    public boolean supportsSystemRole() {
        Boolean s = supportsSystem;
        if (s == null) {
            String marker = "<<ctxbench system marker 7f3a>>";
            try {
                s = render(List.of(new Model.ChatMessage("system", marker), new Model.ChatMessage("user", "User message")),
                        true, LocalDate.of(2024, 7, 26)).contains(marker);
            } catch (CtxbenchException e) {
                s = false;
            }
            supportsSystem = s;
        }
        return s;
    }

    /**
     * llama.cpp's workaround for a template without a system role (common/chat.cpp,
     * {@code system_message_not_supported}): a leading system message is joined to the next message with a line
     * break, or dropped when it is the only one. {@code apply_chat_template} has no such step: there the template
     * refuses the conversation or leaves the system text out. Messages are returned as they are otherwise.
     */
    public List<Model.ChatMessage> withSystemMerged(List<Model.ChatMessage> messages) {
        if (messages.isEmpty() || !"system".equals(messages.getFirst().role()) || supportsSystemRole()) {
            return messages;
        }
        List<Model.ChatMessage> out = new ArrayList<>(messages.subList(1, messages.size()));
        if (!out.isEmpty()) {
            Model.ChatMessage next = out.getFirst();
            out.set(0, new Model.ChatMessage(next.role(), messages.getFirst().content() + "\n" + next.content()));
        }
        return out;
    }

    public String source() {
        return source;
    }

    public String bosToken() {
        return bosToken;
    }

    public String eosToken() {
        return eosToken;
    }

    /**
     * Renders {@code messages}. {@code date}, when given, is the day {@code strftime_now} formats and is passed as
     * {@code date_string} ("26 Jul 2024" style, as llama.cpp passes it) so that a prompt does not change with the
     * day it was built on; without it {@code strftime_now} reads the clock and {@code date_string} is undefined,
     * as with {@code apply_chat_template} (Llama 3.1's template then writes its own default date).
     */
    public String render(List<Model.ChatMessage> messages, boolean addGenerationPrompt, LocalDate date) {
        List<Map<String, Object>> msgs = new ArrayList<>(messages.size());
        for (Model.ChatMessage m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            msgs.add(map);
        }
        Map<String, Object> vars = new HashMap<>();
        vars.put("messages", msgs);
        vars.put("tools", null);
        vars.put("documents", null);
        vars.put("add_generation_prompt", addGenerationPrompt);
        vars.put("bos_token", bosToken);
        vars.put("eos_token", eosToken);
        ZonedDateTime now = date != null ? date.atStartOfDay(ZoneId.systemDefault()) : ZonedDateTime.now();
        vars.put(NOW, now);
        // `strftime_now is defined` (Llama 3.2) asks about the function: Jinjava only sees variables
        vars.put("strftime_now", "<function strftime_now>");
        vars.put("raise_exception", "<function raise_exception>");
        if (date != null) {
            vars.put("date_string", StrftimeFormatter.format(now, "%d %b %Y", Locale.US));
        }
        RenderResult r = JINJA.renderForResult(jinjaSource, vars);
        for (TemplateError e : r.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                String raised = raisedMessage(e.getException());
                throw new CtxbenchException(raised != null
                        ? "the chat template refuses these messages: " + raised
                        : "the chat template could not be rendered: " + e.getMessage()
                                + (e.getLineno() > 0 ? " (template line " + e.getLineno() + ")" : ""));
            }
        }
        return r.getOutput();
    }

    // ---- the Jinja2 environment of apply_chat_template, on Jinjava

    /**
     * Jinja2's lexer turns every line break of the template text into "\n" and, with the default
     * {@code keep_trailing_newline=False}, drops one line break at the very end; Jinjava does neither.
     */
    static String asJinja2Reads(String source) {
        String s = source.replace("\r\n", "\n").replace('\r', '\n');
        return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    }

    private static Jinjava newEngine() {
        /*
         * Jinjava's switches towards Jinja2: {@code {{- x -}}} trims (without it only tags do), map literals evaluate
         * their keys, {@code for k in dict} gives keys, objects print as Python would, None stays in loops, operators
         * bind as in Python. Left off: {@code whitespaceRequiredWithinTokens} (it refuses {@code {%-if}} and
         * {@code {#-}, which Jinja2 accepts) and snake-case bean properties (no beans here).
         */
        LegacyOverrides jinja2 = LegacyOverrides.newBuilder()
                .withEvaluateMapKeys(true)
                .withIterateOverMapKeys(true)
                .withUsePyishObjectMapper(true)
                .withUseNaturalOperatorPrecedence(true)
                .withParseWhitespaceControlStrictly(true)
                .withAllowAdjacentTextNodes(true)
                .withUseTrimmingForNotesAndExpressions(true)
                .withKeepNullableLoopValues(true)
                .build();

        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStrings());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_WRITE);
        JinjavaConfig cfg = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withLegacyOverrides(jinja2)
                // a message's text is data: Jinjava would otherwise render a "{{ x }}" or "{% if %}" inside it
                .withNestedInterpretationEnabled(false)
                .withElResolver(resolver)
                .build();
        // Jinjava takes its expression parser from this factory; ours reads expressions as Jinja2 does
        ExpressionFactory expressions = new Jinja2Syntax.Expressions();
        Jinjava j = new Jinjava(cfg) {
            @Override
            public ExpressionFactory getExpressionFactory() {
                return expressions;
            }
        };
        j.getGlobalContext().registerTag(new Jinja2ForTag());
        j.getGlobalContext().registerTag(new GenerationTag());
        j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class,
                "raiseException", String.class));
        j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now", ChatTemplate.class,
                "strftimeNow", String.class));
        j.getGlobalContext().registerFilter(new ToJson());
        return j;
    }

    /** Jinja2's {@code raise_exception(message)} as apply_chat_template defines it: rendering fails with the message. */
    public static Object raiseException(String message) {
        throw new TemplateRaised(message);
    }

    /** {@code strftime_now(format)}: the render's date (or the clock) in Python's strftime format. */
    public static String strftimeNow(String format) {
        Object now = JinjavaInterpreter.getCurrent().getContext().get(NOW);
        ZonedDateTime t = now instanceof ZonedDateTime z ? z : ZonedDateTime.now();
        return StrftimeFormatter.format(t, format, Locale.US);
    }

    private static String raisedMessage(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof TemplateRaised) {
                return c.getMessage();
            }
        }
        return null;
    }

    /** The message of a template's own {@code raise_exception}. */
    static final class TemplateRaised extends RuntimeException {
        TemplateRaised(String message) {
            super(message);
        }
    }

    /**
     * {@code tojson} as transformers defines it: {@code json.dumps(x, ensure_ascii=False, indent=indent,
     * separators=separators, sort_keys=sort_keys)}, so ", " and ": " between items (Jinjava's own writes none).
     */
    static final class ToJson implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, (Object[]) args, Map.of());
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.getOrDefault("indent", args.length > 0 ? args[0] : null);
            Object separators = kwargs.get("separators");
            List<?> seps = separators instanceof List<?> l && l.size() == 2 ? l : null;
            boolean sortKeys = Boolean.TRUE.equals(kwargs.get("sort_keys"));
            return PythonJson.dumps(var, indent == null ? -1 : ((Number) indent).intValue(),
                    seps == null ? null : String.valueOf(seps.get(0)), seps == null ? null : String.valueOf(seps.get(1)),
                    sortKeys);
        }
    }

    /** From the pom.properties Maven puts in Jinjava's jar (and the shaded jar keeps); the manifest is ours there. */
    private static String jinjavaVersion() {
        try (var in = Jinjava.class.getResourceAsStream("/META-INF/maven/com.hubspot.jinjava/jinjava/pom.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "(version unknown)");
        } catch (java.io.IOException e) {
            return "(version unknown)";
        }
    }
}
