package io.ctxbench.engine;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tokenization through the engine equals llama.cpp's own test vectors ({@code models/ggml-vocab-*.gguf.inp/.out}
 * of the pinned source), read exactly as tests/test-tokenizer-0.cpp reads them: add_special and parse_special off.
 */
class TokenizerVectorsTest {
    private static final byte[] SEP = "\n__ggml_vocab_test__\n".getBytes(StandardCharsets.UTF_8);

    @ParameterizedTest
    @ValueSource(strings = {"llama-bpe", "llama-spm", "qwen2", "gpt-2", "phi-3", "starcoder", "deepseek-llm", "falcon"})
    void matchesLlamaCppVectors(String vocab) throws IOException {
        Path models = TestFiles.llamaCppSource().resolve("models");
        Path gguf = models.resolve("ggml-vocab-" + vocab + ".gguf");
        List<byte[]> inputs = split(Files.readAllBytes(Path.of(gguf + ".inp")));
        List<String> outputs = Files.readAllLines(Path.of(gguf + ".out"), StandardCharsets.UTF_8);
        assertEquals(outputs.size(), inputs.size(), "vector file pair of " + vocab + " is inconsistent");
        assertTrue(inputs.size() > 10, "too few vectors for " + vocab);
        try (Model m = Model.load(Model.Params.of(gguf).withVocabOnly(true))) {
            for (int i = 0; i < inputs.size(); i++) {
                String o = outputs.get(i).strip();
                int[] expected = o.isEmpty() ? new int[0] : Arrays.stream(o.split("\\s+")).mapToInt(Integer::parseInt).toArray();
                int[] got = m.tokenize(inputs.get(i), false, false);
                assertArrayEquals(expected, got, vocab + " vector " + i + ": '" + new String(inputs.get(i), StandardCharsets.UTF_8) + "'");
            }
        }
    }

    private static List<byte[]> split(byte[] raw) {
        List<byte[]> out = new ArrayList<>();
        int pos = 0;
        while (pos < raw.length) {
            int next = indexOf(raw, SEP, pos);
            if (next < 0) {
                out.add(Arrays.copyOfRange(raw, pos, raw.length));
                break;
            }
            out.add(Arrays.copyOfRange(raw, pos, next));
            pos = next + SEP.length;
        }
        return out;
    }

    private static int indexOf(byte[] a, byte[] b, int from) {
        outer:
        for (int i = from; i + b.length <= a.length; i++) {
            for (int j = 0; j < b.length; j++) {
                if (a[i + j] != b[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
