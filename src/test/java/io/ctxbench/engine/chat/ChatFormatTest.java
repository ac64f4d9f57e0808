package io.ctxbench.engine.chat;

import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.TestFiles;
import io.ctxbench.gguf.GgufFile;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Choosing the formatter, and SmolLM2's own template against llama.cpp's built-in formatter on the real model file. */
class ChatFormatTest {
    /** What SmolLM2-135M-Instruct's template writes when the conversation has no system message. */
    private static final String SMOLLM2_DEFAULT_SYSTEM =
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n";

    @Test
    void parsesTheNamesARecordUses() {
        assertEquals(ChatFormat.JINJA, ChatFormat.parse("jinja"));
        assertEquals(ChatFormat.LLAMA_CPP_BUILTIN, ChatFormat.parse(" llama.cpp-builtin "));
        assertEquals("llama.cpp-builtin", ChatFormat.LLAMA_CPP_BUILTIN.id());
        assertTrue(ChatTemplate.ENGINE.matches("jinjava \\d+\\.\\d+\\.\\d+"), ChatTemplate.ENGINE);
        CtxbenchException e = assertThrows(CtxbenchException.class, () -> ChatFormat.parse("chatml"));
        assertTrue(e.getMessage().contains("jinja or llama.cpp-builtin"), e.getMessage());
    }

    @Test
    void readsSmolLm2sTemplateAndTokensFromItsGguf() {
        ChatTemplate t = ChatTemplate.of(GgufFile.open(TestFiles.smolLm2()));
        assertEquals("<|im_start|>", t.bosToken());
        assertEquals("<|im_end|>", t.eosToken());
        assertTrue(t.supportsSystemRole());
    }

    /**
     * Both write ChatML for SmolLM2, but its template also writes a default system prompt when the conversation has
     * none; llama.cpp's built-in formatter only recognises the ChatML markers and writes no system turn. With a
     * system message of one's own the two are the same text.
     */
    @Test
    void smolLm2JinjaEqualsTheBuiltinFormatterPlusTheTemplatesDefaultSystemPrompt() {
        try (Model m = Model.load(Model.Params.of(TestFiles.smolLm2()).withVocabOnly(true))) {
            ChatFormat.Formatter jinja = ChatFormat.JINJA.formatter(m, null);
            ChatFormat.Formatter builtin = ChatFormat.LLAMA_CPP_BUILTIN.formatter(m, null);
            List<Model.ChatMessage> user = List.of(new Model.ChatMessage("user", "What is 2+2?"),
                    new Model.ChatMessage("assistant", "4"), new Model.ChatMessage("user", "And 3+3?"));
            String b = builtin.apply(user, true);
            assertEquals("<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n"
                    + "<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>assistant\n", b);
            assertEquals(SMOLLM2_DEFAULT_SYSTEM + b, jinja.apply(user, true));

            List<Model.ChatMessage> withSystem = List.of(new Model.ChatMessage("system", "Be brief."),
                    new Model.ChatMessage("user", "What is 2+2?"));
            assertEquals(builtin.apply(withSystem, true), jinja.apply(withSystem, true));
            assertEquals(builtin.apply(withSystem, false), jinja.apply(withSystem, false));
            assertEquals(ChatFormat.JINJA, jinja.format());
            assertEquals(ChatFormat.LLAMA_CPP_BUILTIN, builtin.format());
        }
    }

    @Test
    void aModelWithoutAChatTemplateIsRefusedWithWhatToDo() {
        GgufFile noTemplate = GgufFile.open(TestFiles.llamaCppSource().resolve("models/ggml-vocab-llama-bpe.gguf"));
        CtxbenchException e = assertThrows(CtxbenchException.class, () -> ChatTemplate.of(noTemplate));
        assertTrue(e.getMessage().contains("has no chat template") && e.getMessage().contains("llama.cpp-builtin"),
                e.getMessage());
    }

    /**
     * A template without a system role: llama.cpp joins the system text to the first user turn (what
     * {@link ChatFormat#jinja} does); transformers' renderer alone refuses, as Gemma's template says.
     */
    @Test
    void systemMessageIsJoinedToTheFirstTurnWhereTheTemplateHasNoSystemRole() {
        String gemma = "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}"
                + "{% endif %}{% for message in messages %}{{ '<start_of_turn>' + message['role'] + '\n'"
                + " + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}"
                + "{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}";
        ChatTemplate t = new ChatTemplate(gemma, "<bos>", "<eos>");
        assertFalse(t.supportsSystemRole());
        List<Model.ChatMessage> m = List.of(new Model.ChatMessage("system", "Be brief."), new Model.ChatMessage("user", "Hi"));
        assertEquals("<bos><start_of_turn>user\nBe brief.\nHi<end_of_turn>\n<start_of_turn>model\n",
                ChatFormat.jinja(t, null).apply(m, true));
        CtxbenchException e = assertThrows(CtxbenchException.class, () -> t.render(m, true, null));
        assertTrue(e.getMessage().contains("System role not supported"), e.getMessage());
    }
}
