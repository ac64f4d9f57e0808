package io.ctxbench.models;

import io.ctxbench.engine.GenerationOptions;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.Session;
import io.ctxbench.engine.TestFiles;
import io.ctxbench.gguf.GgmlType;
import io.ctxbench.gguf.GgufFile;
import io.ctxbench.gguf.GgufTensorInfo;
import io.ctxbench.gguf.ModelCatalog;
import io.ctxbench.gguf.ModelShape;
import io.ctxbench.gguf.SyntheticModel;
import io.ctxbench.gguf.SyntheticModel.WeightType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code synth --type q4_k_m} writes the tensor types llama-quantize's Q4_K_M gives the same shape: each shape is
 * written as F16, quantized with the real llama-quantize binary, written directly as Q4_K_M, and the two files must
 * hold the same tensors with the same types, dims and data sizes; the direct file loads and generates with finite
 * logits. The shapes cover: rows of whole 256-blocks (Q4_K/Q6_K, untied output Q6_K, token_embd Q4_K); 80 layers
 * with grouped-query attention, which llama.cpp classifies as LLM_TYPE_70B (attn_v Q5_K), tied output (token_embd
 * Q6_K); and 80 layers with narrow rows, where llama-quantize falls back (Q5_0, Q5_1, Q8_0, F16). The catalog shapes
 * themselves (Llama-3.1-70B included) are checked against llama-quantize --dry-run on sparse F16 files.
 */
class SyntheticQ4KMTest {
    @TempDir
    static Path dir;

    private static ModelShape shape(String name, int layers, int embd, int ff, int heads, int kv, int headDim, boolean tied) {
        return new ModelShape(name, "llama", layers, embd, ff, heads, kv, headDim, 128256, 4096, 500000, 1e-5, tied,
                "ggml-vocab-llama-bpe.gguf", "llama-3.1-instruct.jinja", "test", null);
    }

    record Case(ModelShape shape, Map<GgmlType, Integer> expectedCounts) {
        @Override
        public String toString() {
            return shape.name();
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                // 8 layers: use_more_bits = layer 0 (< 8/8), layer 7 (>= 56/8), (i - 1) % 3 == 2 -> 3, 6; attn_v and
                // ffn_down Q6_K there (2 x 4), Q4_K elsewhere; output Q6_K; token_embd and the rest Q4_K
                new Case(shape("l8-w256", 8, 256, 768, 4, 2, 64, false),
                        Map.of(GgmlType.F32, 17, GgmlType.Q6_K, 9, GgmlType.Q4_K, 1 + 8 * 5 + 8)),
                // 80 layers, 4 heads over 2 KV heads: LLM_TYPE_70B, the 40 attn_v without more bits become Q5_K;
                // tied: token_embd takes output's Q6_K
                new Case(shape("l80-w256-tied", 80, 256, 256, 4, 2, 64, true),
                        Map.of(GgmlType.F32, 161, GgmlType.Q6_K, 40 + 40 + 1, GgmlType.Q5_K, 40, GgmlType.Q4_K, 80 * 5 + 40)),
                // rows of 64 and 80: Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0 (tied token_embd: Q8_0 directly),
                // ffn_down rows of 80 are no multiple of 32 either: F16
                new Case(shape("l80-w64-fallbacks", 80, 64, 80, 4, 2, 16, true),
                        Map.of(GgmlType.F32, 161, GgmlType.Q8_0, 40 + 1, GgmlType.Q5_1, 40, GgmlType.Q5_0, 80 * 5,
                                GgmlType.F16, 80)));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void directQ4KMEqualsLlamaQuantizeAndRuns(Case c) throws Exception {
        ModelShape s = c.shape();
        Path vocab = TestFiles.llamaCppSource().resolve("models").resolve("ggml-vocab-llama-bpe.gguf");
        Path f16 = dir.resolve(s.name() + "-f16.gguf");
        Path quantized = dir.resolve(s.name() + "-llama-quantize.gguf");
        Path direct = dir.resolve(s.name() + "-direct.gguf");
        SyntheticModel.write(s, WeightType.F16, vocab, f16, 5, 2);
        Process p = new ProcessBuilder(TestFiles.tool("llama-quantize").toString(), f16.toString(), quantized.toString(),
                "Q4_K_M", "2").redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), log);
        SyntheticModel.Result r = SyntheticModel.write(s, WeightType.Q4_K_M, vocab, direct, 5, 2);

        GgufFile theirs = GgufFile.open(quantized);
        GgufFile mine = r.file();
        assertEquals(15, theirs.getLong("general.file_type"));
        assertEquals(15, mine.getLong("general.file_type"));
        assertEquals(2, mine.getLong("general.quantization_version"));
        assertEquals(describe(theirs), describe(mine));
        assertEquals(theirs.totalTensorBytes(), mine.totalTensorBytes());
        assertEquals(theirs.fileSize(), mine.fileSize());   // same metadata and data; only the tensor order differs
        assertEquals(mine.fileSize(), SyntheticModel.fileSize(s, WeightType.Q4_K_M, vocab));
        assertEquals(mine.totalTensorBytes(), SyntheticModel.tensorBytes(s, WeightType.Q4_K_M));
        Map<GgmlType, Integer> counts = new TreeMap<>();
        for (GgufTensorInfo t : mine.tensors()) {
            counts.merge(t.type(), 1, Integer::sum);
        }
        assertEquals(new TreeMap<>(c.expectedCounts()), counts);

        assertScalesFinite(mine);
        assertRuns(direct);
    }

    /** Name -> type, dims and bytes, sorted by name (llama-quantize writes the tensors in its own order). */
    static Map<String, String> describe(GgufFile f) {
        Map<String, String> m = new TreeMap<>();
        for (GgufTensorInfo t : f.tensors()) {
            m.put(t.name(), t.type() + " " + Arrays.toString(t.dims()) + " " + t.nBytes());
        }
        return m;
    }

    /** Every block scale of the direct file is a finite half of the intended magnitude (zero in holes). */
    static void assertScalesFinite(GgufFile f) {
        try (var arena = Arena.ofConfined()) {
            for (GgufTensorInfo t : f.tensors()) {
                int[] scaleOffsets = switch (t.type()) {
                    case Q4_K, Q5_K, Q5_1, Q4_1 -> new int[] {0, 2};
                    case Q2_K -> new int[] {80, 82};
                    case Q3_K -> new int[] {108};
                    case Q6_K -> new int[] {208};
                    case F32, F16, BF16 -> new int[0];
                    default -> new int[] {0};   // Q5_0, Q8_0, IQ4_NL and the IQ types: d first
                };
                if (scaleOffsets.length == 0) {
                    continue;
                }
                var seg = f.mapTensor(t, arena);
                long bs = t.type().typeSize();
                for (long b = 0; b < seg.byteSize() / bs; b++) {
                    for (int o : scaleOffsets) {
                        float v = Float.float16ToFloat(seg.get(ValueLayout.JAVA_SHORT_UNALIGNED, b * bs + o));
                        assertTrue(Float.isFinite(v) && Math.abs(v) < 0.04f && v != 0, t.name() + " block " + b + ": " + v);
                    }
                }
            }
        }
    }

    /** Loads in llama.cpp, evaluates a prompt with finite logits everywhere and generates a few tokens. */
    static void assertRuns(Path model) {
        try (Model m = Model.load(Model.Params.of(model));
             Session s = Session.open(m, Session.Params.of(64).withThreads(1))) {
            int[] prompt = m.tokenize("The quick brown fox", true, false);
            List<String> bad = new ArrayList<>();
            s.evaluate(prompt, (pos, logits) -> {
                for (long i = 0; i < logits.byteSize() / 4; i++) {
                    float x = logits.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
                    if (!Float.isFinite(x)) {
                        bad.add("position " + pos + " token " + i + ": " + x);
                        return;
                    }
                }
            });
            assertEquals(List.of(), bad);
            s.clear();
            assertEquals(4, s.generate(prompt, GenerationOptions.of(4).withIgnoreEos(true)).tokens().length);
        }
    }

    /**
     * The catalog shapes themselves, 70B included, against llama-quantize --dry-run (which plans the types without
     * reading the weights) on a sparse F16 file (holes: the 141 GB 70B F16 takes a few MB of disk).
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama-3.1-70b", "llama-3.1-8b", "mistral-nemo-12b",
            "smollm2-135m-like", "tiny"})
    void catalogShapesEqualLlamaQuantizeDryRun(String name) throws Exception {
        ModelShape s = ModelCatalog.load().require(name);
        Path vocab = TestFiles.llamaCppSource().resolve("models").resolve("ggml-vocab-llama-bpe.gguf");
        Path f16 = dir.resolve(name + "-sparse-f16.gguf");
        SyntheticModel.writeSparse(s, WeightType.F16, vocab, f16, 1, 1);
        Process p = new ProcessBuilder(TestFiles.tool("llama-quantize").toString(), "--dry-run", f16.toString(), "Q4_K_M", "1")
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), log);
        Files.delete(f16);
        // "[  12/ 723] blk.0.attn_v.weight - [ 8192, 1024, 1, 1], type = f16, size = 16.00 MiB -> 5.50 MiB (q6_K)"
        // or, for a tensor kept as it is, "... type = f32, size = 0.031 MiB"
        Pattern line = Pattern.compile(
                "^\\[\\s*\\d+/\\s*\\d+]\\s+(\\S+)\\s+-\\s+\\[.*], type =\\s+(\\S+), size =.*?(?:\\((\\S+)\\))?\\s*$");
        Map<String, String> theirs = new TreeMap<>();
        for (String l : log.split("\n")) {
            var m = line.matcher(l);
            if (m.matches()) {
                theirs.put(m.group(1), (m.group(3) != null ? m.group(3) : m.group(2)).toUpperCase(Locale.ROOT));
            }
        }
        Map<String, String> mine = new TreeMap<>();
        for (ModelShape.Tensor t : s.tensors()) {
            mine.put(t.name(), WeightType.Q4_K_M.tensorType(s, t).name());
        }
        assertEquals(mine, theirs, log);
        var size = Pattern.compile("quant size\\s*=\\s*([0-9.]+) MiB").matcher(log);
        assertTrue(size.find(), log);
        assertEquals(Double.parseDouble(size.group(1)), SyntheticModel.tensorBytes(s, WeightType.Q4_K_M) / 1048576.0, 0.006);
    }

    @Test
    void sparseQ4KMLoadsAndRuns() throws Exception {
        ModelShape s = cases().toList().get(1).shape();   // 80 layers, Q4_K, Q5_K and Q6_K
        Path vocab = TestFiles.llamaCppSource().resolve("models").resolve("ggml-vocab-llama-bpe.gguf");
        Path out = dir.resolve("sparse-q4km.gguf");
        SyntheticModel.Result r = SyntheticModel.writeSparse(s, WeightType.Q4_K_M, vocab, out, 1, 2);
        GgufFile f = r.file();
        assertTrue(f.getBoolean("ctxbench.sparse"));
        assertEquals(15, f.getLong("general.file_type"));
        Process st = new ProcessBuilder("stat", "-c", "%b %B", out.toString()).start();
        String[] sb = new String(st.getInputStream().readAllBytes()).strip().split(" ");
        assertEquals(0, st.waitFor());
        long allocated = Long.parseLong(sb[0]) * Long.parseLong(sb[1]);
        assertTrue(allocated < f.totalTensorBytes() / 2, "allocated " + allocated + " of " + r.fileBytes());
        assertRuns(out);
    }
}
