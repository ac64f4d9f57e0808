package io.ctxbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctxbench.engine.TestFiles;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** generate wraps its prompt as eval does: the model's template as Jinja, llama.cpp's built-in formatter, or not at all. */
class GenerateChatTest {

    /** generate's --json output (printed on System.out) for the prompt and {@code more} options. */
    private static JsonNode generate(String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("generate", "-m", TestFiles.smolLm2().toString(), "-p", "What is 2+2?",
                "-n", "1", "-t", "2", "--json"));
        args.addAll(List.of(more));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setErr(new PrintWriter(err, true));
        PrintStream old = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, cl.execute(args.toArray(String[]::new)), err.toString());
        } finally {
            System.setOut(old);
        }
        return new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void jinjaByDefaultTheBuiltinFormatterWithNoJinjaAndNothingWithNoChat() throws Exception {
        JsonNode jinja = generate(), builtin = generate("--no-jinja"), none = generate("--no-chat");
        assertEquals("jinja", jinja.get("chat_format").asText());
        assertEquals("llama.cpp-builtin", builtin.get("chat_format").asText());
        assertEquals("none", none.get("chat_format").asText());
        // "What is 2+2?" is 7 tokens; ChatML's markers make 16; SmolLM2's template adds its default system prompt
        assertEquals(7, none.get("timings").get("prompt_tokens").asInt());
        assertEquals(16, builtin.get("timings").get("prompt_tokens").asInt());
        assertEquals(37, jinja.get("timings").get("prompt_tokens").asInt());
        // with a system prompt of one's own, the two formatters write the same text
        JsonNode js = generate("-sys", "Be brief."), bs = generate("-sys", "Be brief.", "--no-jinja");
        assertEquals(bs.get("timings").get("prompt_tokens"), js.get("timings").get("prompt_tokens"));
        assertTrue(js.get("timings").get("prompt_tokens").asInt() > 16, js.toString());
    }
}
