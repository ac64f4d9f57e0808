package io.ctxbench.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctxbench.cli.Main;
import io.ctxbench.engine.KvCacheType;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.Session;
import io.ctxbench.engine.TestFiles;
import io.ctxbench.engine.GenerationOptions;
import io.ctxbench.gguf.GgmlType;
import io.ctxbench.gguf.GgufFile;
import io.ctxbench.gguf.ModelCatalog;
import io.ctxbench.gguf.SyntheticModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InspectorTest {
    @TempDir
    Path dir;

    @Test
    void llama8bShapeKvAndMemoryEstimate() throws Exception {
        ModelInspector.Report r = ModelInspector.inspect(ModelCatalog.load().require("llama-3.1-8b"), GgmlType.F16);
        assertEquals(131072, r.kvBytesPerToken(KvCacheType.F16));
        assertEquals(69632, r.kvBytesPerToken(KvCacheType.Q8_0));
        assertEquals(36864, r.kvBytesPerToken(KvCacheType.Q4_0));
        ModelInspector.MemoryEstimate e = r.estimate(32000, 96, KvCacheType.F16);
        assertEquals(4_206_886_912L, e.kvBytes());
        assertEquals(8_030_261_248L, r.parameters());
        assertEquals(128256L * 4, e.logitsBytes());
        assertEquals(e.weightsBytes() + e.kvBytes() + e.logitsBytes(), e.totalBytes());

        StringWriter out = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        assertEquals(0, cl.execute("models", "inspect", "--shape", "llama-3.1-8b", "-c", "32000", "-n", "96", "--json"));
        JsonNode j = new ObjectMapper().readTree(out.toString());
        assertEquals(131072, j.at("/model/kv_bytes_per_token/f16").asLong());
        assertEquals(69632, j.at("/model/kv_bytes_per_token/q8_0").asLong());
        assertEquals(36864, j.at("/model/kv_bytes_per_token/q4_0").asLong());
        assertEquals(4_206_886_912L, j.at("/memory_estimate/kv_bytes").asLong());
        assertEquals(16_061_054_976L, j.at("/memory_estimate/weights_bytes").asLong());

        // K and V of different types: half of each type's bytes per token (K and V are the same width here)
        StringWriter pair = new StringWriter();
        cl = Main.commandLine();
        cl.setOut(new PrintWriter(pair));
        assertEquals(0, cl.execute("models", "inspect", "--shape", "llama-3.1-8b", "-c", "32000", "-n", "96",
                "-ctk", "q8_0", "-ctv", "q4_0", "--json"));
        j = new ObjectMapper().readTree(pair.toString());
        assertEquals("q8_0/q4_0", j.at("/memory_estimate/kv_type").asText());
        assertEquals(32096L * (69632 / 2 + 36864 / 2), j.at("/memory_estimate/kv_bytes").asLong());
    }

    @Test
    void realFileAgreesWithLlamaCpp() {
        Path smol = TestFiles.smolLm2();
        ModelInspector.Report r = ModelInspector.inspect(smol);
        try (Model m = Model.load(Model.Params.of(smol))) {
            assertEquals(m.info().layers(), r.layers());
            assertEquals(m.info().parameters(), r.parameters());
            assertEquals(m.sizeBytes(), r.tensorBytes());
            assertEquals(m.vocabSize(), r.vocabSize());
            assertEquals(m.info().trainedContext(), r.contextLength());
            for (KvCacheType t : new KvCacheType[] {KvCacheType.F16, KvCacheType.Q8_0}) {
                assertEquals(m.kvBytesPerToken(t, t), r.kvBytesPerToken(t));
            }
            try (Session s = Session.open(m, Session.Params.of(512))) {
                assertEquals(s.kvBytesK() + s.kvBytesV(), (long) s.contextSize() * r.kvBytesPerToken(KvCacheType.F16));
            }
        }
        assertTrue(r.chatTemplate());
        assertEquals("gpt2", r.tokenizerModel());
        assertTrue(r.tensorBytesByType().containsKey("Q4_1"));
    }

    @Test
    void sparseSyntheticFileIsMarkedTakesNoSpaceAndRuns() throws Exception {
        Path vocab = TestFiles.llamaCppSource().resolve("models").resolve("ggml-vocab-llama-bpe.gguf");
        Path out = dir.resolve("tiny-sparse.gguf");
        SyntheticModel.Result res = SyntheticModel.writeSparse(ModelCatalog.load().require("tiny"),
                SyntheticModel.WeightType.F16, vocab, out, 1, 2);
        GgufFile f = GgufFile.open(out);
        assertTrue(f.getBoolean("ctxbench.sparse"));
        assertTrue(ModelInspector.inspect(out).flags().get("sparse"));
        Process st = new ProcessBuilder("stat", "-c", "%b %B", out.toString()).start();
        String[] sb = new String(st.getInputStream().readAllBytes()).strip().split(" ");
        assertEquals(0, st.waitFor());
        long blocks = Long.parseLong(sb[0]) * Long.parseLong(sb[1]); // allocated bytes
        assertTrue(blocks < f.totalTensorBytes() / 2, "allocated " + blocks + " of " + res.fileBytes());
        try (Model m = Model.load(Model.Params.of(out)); Session s = Session.open(m, Session.Params.of(64))) {
            assertEquals(3, s.generate(m.tokenize("hi", true, false), GenerationOptions.of(3).withIgnoreEos(true)).tokens().length);
        }
    }
}
