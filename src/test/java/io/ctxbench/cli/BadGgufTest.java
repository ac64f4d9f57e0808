package io.ctxbench.cli;

import io.ctxbench.engine.TestFiles;
import io.ctxbench.gguf.GgmlType;
import io.ctxbench.gguf.GgufArray;
import io.ctxbench.gguf.GgufFile;
import io.ctxbench.gguf.GgufTensorInfo;
import io.ctxbench.gguf.GgufValue;
import io.ctxbench.gguf.GgufWriter;
import io.ctxbench.gguf.ModelCatalog;
import io.ctxbench.gguf.SyntheticModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GGUF files that the format checks pass but that trip an assertion in llama.cpp (which aborts the process: exit
 * 70 with the raw assertion text) end in exit 1 with a message naming the key or tensor. Each runs {@code generate}
 * in a child JVM, as an abort would end the test's own JVM.
 */
class BadGgufTest {
    @TempDir
    static Path tmp;
    static GgufFile vocab;

    @BeforeAll
    static void vocab() {
        vocab = GgufFile.open(TestFiles.llamaCppSource().resolve("models").resolve("ggml-vocab-llama-bpe.gguf"));
    }

    /** The tiny synthetic model (Q4_0) with its metadata and tensor list edited, written to {@code name}. */
    static Path tiny(String name, BiConsumer<Map<String, GgufValue>, List<GgufTensorInfo>> edit) {
        return tiny(name, SyntheticModel.WeightType.Q4_0, edit);
    }

    static Path tiny(String name, SyntheticModel.WeightType type, BiConsumer<Map<String, GgufValue>, List<GgufTensorInfo>> edit) {
        GgufWriter plan = SyntheticModel.plan(ModelCatalog.load().require("tiny"), type, vocab, 1);
        Map<String, GgufValue> kv = new LinkedHashMap<>(plan.metadata());
        List<GgufTensorInfo> tensors = new ArrayList<>(plan.tensors());
        edit.accept(kv, tensors);
        GgufWriter w = new GgufWriter();
        kv.forEach(w::put);
        for (GgufTensorInfo t : tensors) {
            w.addTensor(t.name(), t.type(), t.dims());
        }
        GgufWriter.TensorFiller random = SyntheticModel.filler(type, 1);
        Path out = tmp.resolve(name + ".gguf");
        w.write(out, (i, t, off, dst) -> {
            if (t.type() == GgmlType.I32 || t.type() == GgmlType.I8) {
                dst.fill((byte) 0);
            } else {
                random.fill(i, t, off, dst);
            }
        }, 1);
        return out;
    }

    static Path withKey(String name, String key, GgufValue v) {
        return tiny(name, (kv, t) -> kv.put(key, v));
    }

    static Path withTensorType(String name, String tensor, GgmlType type) {
        return tiny(name, (kv, ts) -> ts.replaceAll(t -> t.name().equals(tensor) ? new GgufTensorInfo(t.name(), t.dims(), type, 0) : t));
    }

    static Path withToken(String name, int id, String text) {
        return tiny(name, (kv, t) -> {
            String[] tokens = kv.get("tokenizer.ggml.tokens").asArray().strings().clone();
            tokens[id] = text;
            kv.put("tokenizer.ggml.tokens", GgufValue.array(GgufArray.ofStrings(tokens)));
        });
    }

    record Run(int code, String err) {
    }

    static Run generate(Path model) throws IOException, InterruptedException {
        return ctxbench("generate", "-m", model.toString(), "--no-chat", "-p", "Hello world", "-n", "2");
    }

    static Run ctxbench(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "-Dctxbench.native.dir=" + TestFiles.nativeBuild(), "io.ctxbench.cli.Main"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "generate did not finish");
        return new Run(p.exitValue(), new String(err, StandardCharsets.UTF_8));
    }

    static void refused(Path model, String expected) throws Exception {
        Run r = generate(model);
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("ctxbench generate: error: ") && r.err().contains(expected), r.err());
    }

    @Test
    void theUneditedModelRuns() throws Exception {
        Run r = generate(tiny("ok", (kv, t) -> { }));
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void blockCountOutsideLlamaCppsRange() throws Exception {
        String have = "but llama.cpp loads 1 to 512 layers; the file has tensors for 2 layers (blk.0 to blk.1)";
        refused(withKey("blocks0", "llama.block_count", GgufValue.uint32(0)), "llama.block_count is 0, " + have);
        refused(withKey("blocks1000", "llama.block_count", GgufValue.uint32(1000)), "llama.block_count is 1000, " + have);
        refused(withKey("blocksMax", "llama.block_count", GgufValue.uint32(0xFFFF_FFFFL)),
                "llama.block_count is 4294967295, " + have);
        refused(withKey("blocks3", "llama.block_count", GgufValue.uint32(3)),
                "llama.block_count is 3, but the file has tensors for 2 layers (blk.0 to blk.1)");
    }

    @Test
    void normEpsilonThatIsNotAFiniteNonNegativeNumber() throws Exception {
        String key = "llama.attention.layer_norm_rms_epsilon";
        refused(withKey("epsNaN", key, GgufValue.float32(Float.NaN)), key + " is NaN: a norm epsilon must be a finite number >= 0");
        refused(withKey("epsInf", key, GgufValue.float32(Float.POSITIVE_INFINITY)), key + " is Infinity");
        refused(withKey("epsNeg", key, GgufValue.float32(-1e-5f)), key + " is -1.0E-5");
    }

    @Test
    void tensorTypesLlamaCppCannotComputeWith() throws Exception {
        refused(withTensorType("normI32", "output_norm.weight", GgmlType.I32),
                "tensor 'output_norm.weight' is stored as I32, a type llama.cpp cannot compute with");
        refused(withTensorType("normF16", "blk.1.ffn_norm.weight", GgmlType.F16),
                "tensor 'blk.1.ffn_norm.weight' is stored as F16, but llama.cpp applies norm weights");
        refused(withTensorType("qI8", "blk.0.attn_q.weight", GgmlType.I8),
                "tensor 'blk.0.attn_q.weight' is stored as I8, a type llama.cpp cannot compute with");
        refused(withTensorType("embdI32", "token_embd.weight", GgmlType.I32),
                "tensor 'token_embd.weight' is stored as I32, a type llama.cpp cannot compute with");
    }

    @Test
    void tokenStringsThatAreNotDistinctOrNotUtf8() throws Exception {
        refused(withToken("duplicate", 1000, "ing"), "tokenizer.ggml.tokens holds 'ing' twice (tokens 287 and 1000)");
        // written as 5 ASCII bytes, then the middle one turned into 0xFF, which no UTF-8 string holds
        Path bad = withToken("notUtf8", 1000, "QQXQQ");
        byte[] b = Files.readAllBytes(bad);
        byte[] marker = "QQXQQ".getBytes(StandardCharsets.US_ASCII);
        int at = indexOf(b, marker);
        assertTrue(at > 0 && indexOf(java.util.Arrays.copyOfRange(b, at + 1, b.length), marker) < 0);
        b[at + 2] = (byte) 0xFF;
        Files.write(bad, b);
        refused(bad, "tokenizer.ggml.tokens element 1000 is not valid UTF-8");
    }

    @Test
    void tokenizerModelsLlamaCppCannotTokenizeWith() throws Exception {
        refused(withKey("tokNone", "tokenizer.ggml.model", GgufValue.string("none")),
                "tokenizer.ggml.model is 'none': the model has no tokenizer");
        refused(withKey("tokFoo", "tokenizer.ggml.model", GgufValue.string("foo")),
                "tokenizer.ggml.model 'foo' is not a tokenizer llama.cpp knows");
    }

    /** llama_model_quantize reads the layer count as the load does; pruning loads the model to calibrate. */
    @Test
    void quantizeAndPruneRefuseThemToo() throws Exception {
        Path blocks0 = withKey("qBlocks0", "llama.block_count", GgufValue.uint32(0));
        Run q = ctxbench("models", "quantize", "-m", blocks0.toString(), "--out", tmp.resolve("q.gguf").toString(), "--type", "q8_0",
                "--allow-requantize");
        assertEquals(1, q.code(), q.err());
        assertTrue(q.err().contains("llama.block_count is 0, but llama.cpp loads 1 to 512 layers"), q.err());
        Path text = Files.writeString(tmp.resolve("calibration.txt"), "Some calibration text, a sentence or two long. ".repeat(20));
        Path none = tiny("pNone", SyntheticModel.WeightType.F16, (kv, t) -> kv.put("tokenizer.ggml.model", GgufValue.string("none")));
        Run p = ctxbench("models", "prune", "-m", none.toString(), "--out", tmp.resolve("p.gguf").toString(), "--keep-ffn", "0.5",
                "--calibration", text.toString());
        assertEquals(1, p.code(), p.err());
        assertTrue(p.err().contains("tokenizer.ggml.model is 'none': the model has no tokenizer"), p.err());
    }

    private static int indexOf(byte[] b, byte[] m) {
        outer:
        for (int i = 0; i + m.length <= b.length; i++) {
            for (int j = 0; j < m.length; j++) {
                if (b[i + j] != m[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
