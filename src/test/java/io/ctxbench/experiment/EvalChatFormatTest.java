package io.ctxbench.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.TestFiles;
import io.ctxbench.engine.chat.ChatFormat;
import io.ctxbench.engine.chat.ChatTemplate;
import io.ctxbench.gguf.GgufFile;
import io.ctxbench.gguf.GgufTensorInfo;
import io.ctxbench.gguf.GgufWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What wraps eval's prompts, per record: the GGUF's template as Jinja (default), llama.cpp's built-in formatter, or
 * none (--no-chat, pred.py's skip list, a model without a template); the run's one date, kept by a resume; and the
 * per-model truncation budget in the manifest. Small real runs of SmolLM2 (and copies of it with another template).
 */
class EvalChatFormatTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One FP16 (stand-in) run: {@code samples} niah_single_1 samples of 512 tokens, 4 new tokens, no fidelity pass. */
    private static EvalConfig config(Path model, Path out, List<Path> data, int samples, ChatFormat chat, LocalDate date,
                                     boolean resume, String... methods) {
        Methods cat = Methods.builtin();
        List<Method> ms = methods.length == 0 ? List.of(cat.get("FP16")) : List.of(methods).stream().map(cat::get).toList();
        return new EvalConfig(List.of(new ModelSpec("smol", model, Map.of(), true)), ms, null, data, null,
                EvalEndToEndTest.ruler("niah_single_1", 512, samples), 9, 0, Set.of(), Set.of(), 0, 0, 1, out, resume, 2, 0, 512, 512, 0, 8,
                chat, date, 4, null, null, List.of("test"));
    }

    /** The records of a run by task and sample id. */
    private static Map<String, JsonNode> records(EvalConfig cfg) throws Exception {
        Map<String, JsonNode> out = new HashMap<>();
        for (String l : Files.readAllLines(cfg.resultsFile())) {
            JsonNode r = JSON.readTree(l);
            out.put(r.get("task").asText() + "/" + r.get("id").asText(), r);
        }
        return out;
    }

    private static JsonNode config(EvalConfig cfg) throws Exception {
        return JSON.readTree(cfg.manifestFile().toFile()).get("config");
    }

    @Test
    void everyRecordSaysWhatWrappedItsPromptAndTheManifestHasTheModelsBudget(@TempDir Path tmp) throws Exception {
        // trec is on pred.py's skip list: never wrapped
        Path trec = tmp.resolve("trec.jsonl");
        Files.writeString(trec, "{\"input\": \"What city is the capital of France?\", \"context\": \"Question: Who wrote "
                + "Hamlet?\\nType: Human\\n\", \"answers\": [\"City\"], \"all_classes\": [\"City\", \"Human\"], "
                + "\"dataset\": \"trec\", \"length\": 12, \"_id\": \"t1\"}\n");
        Path smol = TestFiles.smolLm2();
        EvalConfig jinja = config(smol, tmp.resolve("jinja"), List.of(trec), 1, ChatFormat.JINJA, null, false);
        EvalConfig builtin = config(smol, tmp.resolve("builtin"), List.of(trec), 1, ChatFormat.LLAMA_CPP_BUILTIN, null, false);
        EvalConfig none = config(smol, tmp.resolve("none"), List.of(trec), 1, null, null, false);
        for (EvalConfig c : List.of(jinja, builtin, none)) {
            new EvalRunner(c, System.err).run();
        }
        Map<String, JsonNode> j = records(jinja), b = records(builtin), n = records(none);
        String needle = "niah_single_1/" + j.keySet().stream().filter(k -> k.startsWith("niah_single_1/")).findFirst().orElseThrow()
                .substring("niah_single_1/".length());
        assertEquals("jinja", j.get(needle).get("chat_format").asText());
        assertEquals("llama.cpp-builtin", b.get(needle).get("chat_format").asText());
        assertEquals("none", n.get(needle).get("chat_format").asText());
        for (Map<String, JsonNode> r : List.of(j, b, n)) {
            assertEquals("none", r.get("trec/t1").get("chat_format").asText());
            assertEquals(j.get("trec/t1").get("prompt_sha256"), r.get("trec/t1").get("prompt_sha256"));
        }
        // SmolLM2's own template adds its default system prompt; the built-in formatter writes none; --no-chat no
        // markers: a generated sample keeps its target length, so the more the wrapping takes, the less haystack it has
        int jt = j.get(needle).get("raw_prompt_tokens").asInt();
        int bt = b.get(needle).get("raw_prompt_tokens").asInt();
        int nt = n.get(needle).get("raw_prompt_tokens").asInt();
        assertTrue(jt < bt && bt < nt, jt + " " + bt + " " + nt);
        for (Map<String, JsonNode> r : List.of(j, b, n)) {
            assertTrue(r.get(needle).get("metrics").get("prompt_tokens").asInt() <= 512, r.get(needle).toString());
        }

        JsonNode c = config(jinja);
        assertEquals("jinja", c.get("chat_format").asText());
        assertEquals(ChatTemplate.ENGINE, c.get("chat_template_engine").asText());
        assertEquals(LocalDate.now().toString(), c.get("chat_date").asText());
        assertTrue(c.get("max_length").isNull(), c.toString());
        assertEquals(8192, c.get("models").get(0).get("n_ctx_train").asInt());
        assertEquals(8192 - 500, c.get("models").get(0).get("max_length").asInt());
        assertEquals("llama.cpp-builtin", config(builtin).get("chat_format").asText());
        assertTrue(config(builtin).get("chat_date").isNull());
        assertEquals("none", config(none).get("chat_format").asText());
        // the default budget is llama_model_n_ctx_train's minus 500
        try (Model m = Model.load(Model.Params.of(smol).withGpuLayers(0))) {
            assertEquals(m.info().trainedContext() - 500, c.get("models").get(0).get("max_length").asInt());
        }
    }

    /** A template that prints the date (as Llama 3.x's do): a resumed run keeps its first session's. */
    @Test
    void aResumeBuildsItsPromptsWithTheRunsDate(@TempDir Path tmp) throws Exception {
        Path dated = copyWithTemplate(tmp.resolve("dated.gguf"), "{{ '<|im_start|>system\\nToday Date: ' + "
                + "strftime_now('%d %b %Y') + '<|im_end|>\\n' }}{% for message in messages %}{{ '<|im_start|>' + "
                + "message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}"
                + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}");
        LocalDate past = LocalDate.of(2024, 7, 26);
        Path out = tmp.resolve("run");
        EvalConfig first = config(dated, out, List.of(), 2, ChatFormat.JINJA, past, false);
        new EvalRunner(first, System.err).run();
        List<String> lines = Files.readAllLines(first.resultsFile());
        assertEquals(2, lines.size());
        assertEquals("2024-07-26", config(first).get("chat_date").asText());
        // the second sample is lost; the resume, given no date, runs it again with the run's
        Files.writeString(first.resultsFile(), lines.getFirst() + "\n");
        new EvalRunner(config(dated, out, List.of(), 2, ChatFormat.JINJA, null, true), System.err).run();
        List<String> again = Files.readAllLines(first.resultsFile());
        assertEquals(2, again.size());
        String sha = JSON.readTree(lines.get(1)).get("prompt_sha256").asText();
        assertEquals(sha, JSON.readTree(again.get(1)).get("prompt_sha256").asText());
        assertEquals("2024-07-26", config(first).get("chat_date").asText());

        // the date is in the prompt: a new run today builds another one
        EvalConfig today = config(dated, tmp.resolve("today"), List.of(), 2, ChatFormat.JINJA, null, false);
        new EvalRunner(today, System.err).run();
        assertNotEquals(sha, JSON.readTree(Files.readAllLines(today.resultsFile()).get(1)).get("prompt_sha256").asText());

        // a resume with another date is refused, naming it
        CtxbenchException e = assertThrows(CtxbenchException.class, () -> new EvalRunner(
                config(dated, out, List.of(), 2, ChatFormat.JINJA, LocalDate.of(2025, 1, 1), true), System.err).run());
        assertTrue(e.getMessage().contains("chat_date 2024-07-26 -> 2025-01-01"), e.getMessage());
    }

    @Test
    void aModelWithoutATemplateRunsUnwrappedWithOneWarning(@TempDir Path tmp) throws Exception {
        Path bare = copyWithTemplate(tmp.resolve("bare.gguf"), null);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        EvalConfig cfg = config(bare, tmp.resolve("run"), List.of(), 1, ChatFormat.JINJA, null, false, "FP16", "KV-Q");
        new EvalRunner(cfg, err).run();
        List<String> lines = Files.readAllLines(cfg.resultsFile());
        assertEquals(2, lines.size());
        for (String l : lines) {
            assertEquals("none", JSON.readTree(l).get("chat_format").asText());
        }
        List<String> warnings = bytes.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("chat template")).toList();
        assertEquals(List.of("eval: warning: smol has no chat template (tokenizer.chat_template): its prompts are not "
                + "wrapped (chat_format none)"), warnings);
    }

    @Test
    void aTemplateTheJinjaEngineCannotRenderStopsTheRunBeforeItStartsNamingNoJinja(@TempDir Path tmp) throws Exception {
        Path broken = copyWithTemplate(tmp.resolve("broken.gguf"), "{% no_such_tag %}{{ messages[0]['content'] }}");
        Path out = tmp.resolve("run");
        CtxbenchException e = assertThrows(CtxbenchException.class,
                () -> new EvalRunner(config(broken, out, List.of(), 1, ChatFormat.JINJA, null, false), System.err).run());
        assertEquals("the Jinja engine (" + ChatTemplate.ENGINE + ") cannot render the chat template of broken.gguf (the chat "
                + "template could not be rendered: Syntax error in '{% no_such_tag %}': Unknown tag: no_such_tag (template "
                + "line 1)): use llama.cpp's built-in chat formatter instead (--no-jinja)", e.getMessage());
        assertFalse(Files.exists(out.resolve("manifest.json")));
    }

    /** SmolLM2's file with {@code template} as its chat template (null: none), tensors copied byte for byte. */
    static Path copyWithTemplate(Path out, String template) throws Exception {
        GgufFile in = GgufFile.open(TestFiles.smolLm2());
        GgufWriter w = new GgufWriter().alignment(in.alignment());
        in.metadata().forEach((k, v) -> {
            if (!k.equals("tokenizer.chat_template") && !k.equals(GgufFile.KEY_ALIGNMENT)) {
                w.put(k, v);
            }
        });
        if (template != null) {
            w.putString("tokenizer.chat_template", template);
        }
        for (GgufTensorInfo t : in.tensors()) {
            w.addTensor(t.name(), t.type(), t.dims());
        }
        try (Arena arena = Arena.ofShared();
             FileChannel ch = FileChannel.open(in.path(), StandardOpenOption.READ)) {
            MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            w.write(out, (i, t, offset, dst) -> MemorySegment.copy(file,
                    in.absoluteOffset(in.tensors().get(i)) + offset, dst, 0, dst.byteSize()), 1);
        }
        return out;
    }
}
