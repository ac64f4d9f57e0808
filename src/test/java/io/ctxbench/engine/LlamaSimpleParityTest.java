package io.ctxbench.engine;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Greedy output through the engine is token-for-token what llama.cpp's own llama-simple (same build) produces
 * for the same prompt and length. llama-simple tokenizes with BOS and special-token parsing, no chat template,
 * stops at end-of-generation, and prints every prompt and generated token's piece (special tokens rendered).
 * Both packaged models: SmolLM2 (llama) and Gemma 3 (another architecture: interleaved sliding-window attention,
 * a 262k vocabulary).
 */
class LlamaSimpleParityTest {
    /**
     * llama-simple leaves llama.cpp's default of 4 threads. The thread count changes results once a one-token decode
     * attends over 512 or more KV cells: the CPU flash-attention kernel then splits the cells into one chunk per
     * thread and adds the partial sums (ggml-cpu ops.cpp, use_split_kv_path), so the engine uses the same count.
     */
    private static final int LLAMA_SIMPLE_THREADS = 4;
    private static Model smol;
    private static Model gemma;

    @BeforeAll
    static void load() {
        smol = Model.load(Model.Params.of(TestFiles.smolLm2()));
        gemma = Model.load(Model.Params.of(TestFiles.gemma3()));
    }

    @AfterAll
    static void free() {
        smol.close();
        gemma.close();
    }

    @ParameterizedTest
    @CsvSource(delimiterString = " @@ ", value = {
            "The capital of France is @@ 48",
            "def fibonacci(n): @@ 64",
            "Once upon a time, in a land far away, there lived a dragon who @@ 96",
            "<|im_start|>user\\nList three primes.<|im_end|>\\n<|im_start|>assistant\\n @@ 40"})
    void sameTokensAsLlamaSimple(String prompt, int n) throws IOException, InterruptedException {
        assertSameAsLlamaSimple(smol, prompt.replace("\\n", "\n"), n);
    }

    @ParameterizedTest
    @CsvSource(delimiterString = " @@ ", value = {
            "The capital of France is @@ 32",
            "<start_of_turn>user\\nList three primes.<end_of_turn>\\n<start_of_turn>model\\n @@ 32"})
    void gemmaSameTokensAsLlamaSimple(String prompt, int n) throws IOException, InterruptedException {
        assertSameAsLlamaSimple(gemma, prompt.replace("\\n", "\n"), n);
    }

    /** A prompt longer than Gemma 3's sliding window (512 tokens): the windowed layers must drop the same positions. */
    @Test
    void gemmaPastItsSlidingWindow() throws IOException, InterruptedException {
        StringBuilder p = new StringBuilder("Inventory log.\n");
        for (int i = 1; i <= 60; i++) {
            p.append("Shelf ").append(i).append(" holds ").append(i * 7 % 23 + 2).append(" boxes of bolts.\n");
        }
        p.append("Shelf 3 holds");
        int tokens = gemma.tokenize(p.toString(), true, true).length;
        assertTrue(tokens > 600, "prompt has only " + tokens + " tokens");
        assertSameAsLlamaSimple(gemma, p.toString(), 24);
    }

    /** What eval relies on: the trained context (its default truncation budget) and no chat template (no wrapping). */
    @Test
    void gemmaIsWhatTheManifestSays() {
        Model.Info i = gemma.info();
        assertEquals("gemma3", i.architecture());
        assertEquals(32768, i.trainedContext());
        assertEquals(18, i.layers());
        assertEquals(262144, i.vocabSize());
        assertNull(gemma.chatTemplate(), "the pre-trained Gemma 3 270M GGUF carries no chat template");
    }

    private static void assertSameAsLlamaSimple(Model model, String p, int n) throws IOException, InterruptedException {
        int[] promptTokens = model.tokenize(p, true, true);
        Generation g;
        try (Session s = Session.open(model, Session.Params.of(promptTokens.length + n).withThreads(LLAMA_SIMPLE_THREADS))) {
            g = s.generate(promptTokens, GenerationOptions.of(n));
        }
        assertTrue(g.tokens().length > 0, "nothing generated for '" + p + "'");
        String ours = model.pieces(promptTokens, true) + model.pieces(g.tokens(), true) + "\n";

        Process proc = new ProcessBuilder(TestFiles.tool("llama-simple").toString(),
                "-m", model.params().path().toString(), "-n", Integer.toString(n), p)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = proc.getInputStream().readAllBytes();
        assertTrue(proc.waitFor(120, TimeUnit.SECONDS), "llama-simple did not finish");
        assertEquals(0, proc.exitValue(), "llama-simple failed");
        assertEquals(new String(out, StandardCharsets.UTF_8), ours, "engine and llama-simple differ for '" + p + "'");
    }
}
