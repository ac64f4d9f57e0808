package io.ctxbench.engine.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.TestFiles;
import io.ctxbench.gguf.GgufFile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real models' chat templates rendered by {@link ChatTemplate} against outside references (test data and its origin:
 * src/test/resources/chat-templates/README.md): llama.cpp's own expected renderings from its
 * tests/test-chat-template.cpp, and renderings by Hugging Face transformers' apply_chat_template code of templates
 * from llama.cpp's models/templates and of the templates inside llama.cpp's vocab GGUF files.
 */
class ChatTemplateCasesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The conversation every case of llama.cpp's test renders (main_automated_tests). */
    private static final String[][] LLAMA_CPP_CONVERSATION = {
            {"system", "You are a helpful assistant"}, {"user", "Hello"}, {"assistant", "Hi there"},
            {"user", "Who are you"}, {"assistant", "   I am an assistant   "}, {"user", "Another question"}};

    static Stream<Arguments> llamaCppCases() throws IOException {
        List<Arguments> out = new ArrayList<>();
        for (JsonNode c : resource("llama.cpp-cases.json").get("cases")) {
            if (c.get("supported_with_jinja").asBoolean()) {   // the one case llama.cpp skips needs extra variables
                out.add(Arguments.of(c.get("name").asText(), c));
            }
        }
        return out.stream();
    }

    /**
     * llama.cpp's Jinja path (common_chat_templates_apply) on a template without a system role joins the system
     * message to the next one, as {@link ChatFormat#jinja} does; the expected text is llama.cpp's.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("llamaCppCases")
    void rendersAsLlamaCppExpects(String name, JsonNode c) {
        List<Model.ChatMessage> messages = new ArrayList<>();
        for (String[] m : LLAMA_CPP_CONVERSATION) {
            messages.add(new Model.ChatMessage(m[0], m[1]));
        }
        for (JsonNode m : c.get("extra_conversation")) {
            messages.add(new Model.ChatMessage(m.get(0).asText(), m.get(1).asText()));
        }
        String expected = c.path("expected_output_jinja").asText("");
        if (expected.isEmpty()) {
            expected = c.get("expected_output").asText();
        }
        ChatTemplate t = new ChatTemplate(c.get("template_str").asText(), c.path("bos_token").asText(""),
                c.path("eos_token").asText(""));
        assertEquals(expected, ChatFormat.jinja(t, null).apply(messages, true));
    }

    static Stream<Arguments> transformersCases() throws IOException {
        JsonNode ref = resource("transformers-reference.json");
        List<Arguments> out = new ArrayList<>();
        for (JsonNode c : ref.get("cases")) {
            String label = c.get("template").asText() + " " + c.get("conversation").asText()
                    + (c.get("add_generation_prompt").asBoolean() ? " +gen" : "") + (c.get("date").isNull() ? " no-date" : "");
            out.add(Arguments.of(label, c, ref.get("conversations").get(c.get("conversation").asText())));
        }
        return out.stream();
    }

    /** {@link ChatTemplate#render} alone is apply_chat_template: no message is rewritten. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("transformersCases")
    void rendersAsTransformers(String label, JsonNode c, JsonNode conversation) throws IOException {
        List<Model.ChatMessage> messages = new ArrayList<>();
        for (JsonNode m : conversation) {
            messages.add(new Model.ChatMessage(m.get(0).asText(), m.get(1).asText()));
        }
        ChatTemplate t = new ChatTemplate(text("templates/" + c.get("template").asText()), c.get("bos_token").asText(),
                c.get("eos_token").asText());
        LocalDate date = c.get("date").isNull() ? null : LocalDate.parse(c.get("date").asText());
        boolean gen = c.get("add_generation_prompt").asBoolean();
        if (c.has("error")) {
            CtxbenchException e = assertThrows(CtxbenchException.class, () -> t.render(messages, gen, date));
            assertTrue(e.getMessage().contains(c.get("error").asText()), e.getMessage());
        } else {
            assertEquals(c.get("expected").asText(), t.render(messages, gen, date));
        }
    }

    static Stream<Arguments> ggufCases() throws IOException {
        JsonNode ref = resource("gguf-reference.json");
        List<Arguments> out = new ArrayList<>();
        for (JsonNode c : ref.get("cases")) {
            out.add(Arguments.of(c.get("file").asText() + " " + c.get("conversation").asText(), c,
                    ref.get("conversations").get(c.get("conversation").asText())));
        }
        return out.stream();
    }

    /** Templates as GGUF files carry them, read with {@link ChatTemplate#of} (template text, BOS/EOS token texts). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("ggufCases")
    void rendersGgufTemplatesAsTransformers(String label, JsonNode c, JsonNode conversation) {
        ChatTemplate t = ChatTemplate.of(GgufFile.open(TestFiles.llamaCppSource().resolve(c.get("file").asText())));
        assertEquals(c.get("bos_token").asText(), t.bosToken());
        assertEquals(c.get("eos_token").asText(), t.eosToken());
        List<Model.ChatMessage> messages = new ArrayList<>();
        for (JsonNode m : conversation) {
            messages.add(new Model.ChatMessage(m.get(0).asText(), m.get(1).asText()));
        }
        assertEquals(c.get("expected").asText(), t.render(messages, true, null));
    }

    static JsonNode resource(String name) throws IOException {
        return JSON.readTree(text(name));
    }

    static String text(String name) throws IOException {
        try (InputStream in = ChatTemplateCasesTest.class.getResourceAsStream("/chat-templates/" + name)) {
            if (in == null) {
                throw new IOException("test resource chat-templates/" + name + " is missing");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
