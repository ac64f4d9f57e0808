package io.ctxbench.engine;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Greedy output through the engine is token-for-token what llama.cpp's own llama-simple (same build) produces
 * for the same prompt and length. llama-simple tokenizes with BOS and special-token parsing, no chat template,
 * stops at end-of-generation, and prints every prompt and generated token's piece (special tokens rendered).
 */
class LlamaSimpleParityTest {
    private static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(Model.Params.of(TestFiles.smolLm2()));
    }

    @AfterAll
    static void free() {
        model.close();
    }

    @ParameterizedTest
    @CsvSource(delimiterString = " @@ ", value = {
            "The capital of France is @@ 48",
            "def fibonacci(n): @@ 64",
            "Once upon a time, in a land far away, there lived a dragon who @@ 96",
            "<|im_start|>user\\nList three primes.<|im_end|>\\n<|im_start|>assistant\\n @@ 40"})
    void sameTokensAsLlamaSimple(String prompt, int n) throws IOException, InterruptedException {
        String p = prompt.replace("\\n", "\n");
        int[] promptTokens = model.tokenize(p, true, true);
        Generation g;
        try (Session s = Session.open(model, Session.Params.of(promptTokens.length + n))) {
            g = s.generate(promptTokens, GenerationOptions.of(n));
        }
        assertTrue(g.tokens().length > 0, "nothing generated for '" + p + "'");
        String ours = model.pieces(promptTokens, true) + model.pieces(g.tokens(), true) + "\n";

        Process proc = new ProcessBuilder(TestFiles.tool("llama-simple").toString(),
                "-m", TestFiles.smolLm2().toString(), "-n", Integer.toString(n), p)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = proc.getInputStream().readAllBytes();
        assertTrue(proc.waitFor(120, TimeUnit.SECONDS), "llama-simple did not finish");
        assertEquals(0, proc.exitValue(), "llama-simple failed");
        assertEquals(new String(out, StandardCharsets.UTF_8), ours, "engine and llama-simple differ for '" + p + "'");
    }

}
