package io.ctxbench.experiment;

import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.KvCacheType;
import io.ctxbench.engine.KvRotation;
import io.ctxbench.engine.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MethodsTest {
    @Test
    void builtInMethodsReproduceTheStudyAndApplyInOrder() {
        Methods m = Methods.builtin();
        assertEquals(List.of("FP16", "BF16", "FP16_c", "BF16_c", "KV-Q", "W4A16", "Minitron"),
                m.level(1).stream().map(Method::name).toList());
        assertEquals(List.of("KV-Q+c", "W4A16+c", "Mini+c", "W4A16+KVQ", "Mini+KVQ", "Mini+W4A16"),
                m.level(2).stream().map(Method::name).toList());
        assertEquals(KvCacheType.Q8_0, m.get("KV-Q8").kvV());
        assertEquals(3, m.get("KV-Q8").level());
        Method kvq = m.get("KV-Q");
        assertEquals(KvCacheType.Q4_0, kvq.kvK());
        assertEquals(KvCacheType.Q8_0, kvq.withKvQuant(KvCacheType.Q8_0).kvV());
        assertEquals(KvCacheType.F16, m.get("FP16").withKvQuant(KvCacheType.Q8_0).kvV());
        assertEquals(List.of("token dropping (extractive, 2.0x)", "weight quantization (Q4_K_M)"), m.get("W4A16+c").pipeline());
        assertEquals(List.of("pruning (pruned model file)", "KV quantization (K q4_0, V q4_0)"), m.get("Mini+KVQ").pipeline());
        assertEquals(List.of("token dropping (extractive, 2.0x)", "weights F16", "KV quantization (K q4_0, V q4_0)"),
                m.get("KV-Q+c").pipeline());
    }

    /** Level 3 combinations of the methods beyond the study with the study's, each stage in the study's order. */
    @Test
    void combinationsBeyondTheStudy() {
        Methods m = Methods.builtin();
        assertEquals(List.of("weights F16", "KV quantization (K q4_0, V q4_0)",
                "KV eviction after prefill (streaming 50% sinks 4)"), m.get("KV-Q+SL50").pipeline());
        assertEquals(List.of("token dropping (extractive, 2.0x)", "weights F16",
                "KV eviction after prefill (streaming 50% sinks 4)"), m.get("KV-SL50+c").pipeline());
        assertEquals(List.of("weight quantization (Q4_K_M)", "KV eviction after prefill (streaming 50% sinks 4)"),
                m.get("W4A16+SL50").pipeline());
        assertEquals(List.of("weight quantization (Q3_K_M, importance matrix)", "KV quantization (K q4_0, V q4_0)"),
                m.get("W3+KVQ").pipeline());
        assertEquals(List.of("token dropping (extractive, 2.0x)", "weight quantization (Q3_K_M, importance matrix)"),
                m.get("W3+c").pipeline());
    }

    /** Level 3: every llama.cpp KV type, a mixed pair and rotation off, each with the types its name gives. */
    @Test
    void kvMethodsBeyondTheStudy(@TempDir Path tmp) throws Exception {
        Methods m = Methods.builtin();
        assertEquals(List.of("KV-Q8", "KV-Q8-norot", "KV-Q5_1", "KV-Q5", "KV-Q4_1", "KV-Q4", "KV-Q4-norot", "KV-IQ4NL",
                "KV-K8V4", "KV-Q+SL50", "W3+KVQ"), m.level(3).stream().filter(Method::quantizesKv).map(Method::name).toList());
        Method k8v4 = m.get("KV-K8V4");
        assertEquals(List.of(KvCacheType.Q8_0, KvCacheType.Q4_0), List.of(k8v4.kvK(), k8v4.kvV()));
        assertEquals(k8v4, k8v4.withKvQuant(KvCacheType.Q4_0), "--kvq-cache-type leaves level 3 alone");
        assertEquals(KvCacheType.Q5_1, m.get("KV-Q5_1").kvV());
        assertEquals(KvCacheType.IQ4_NL, m.get("KV-IQ4NL").kvK());
        assertEquals(KvRotation.OFF, m.get("KV-Q4-norot").kvRotation());
        assertEquals(KvRotation.ON, m.get("KV-Q4").kvRotation());
        assertEquals(List.of("weights F16", "KV quantization (K q4_0, V q4_0, not rotated)"), m.get("KV-Q4-norot").pipeline());
        Path f = tmp.resolve("bad.json");
        Files.writeString(f, "{\"methods\": [{\"name\": \"R\", \"weights\": \"f16\", \"kv_rotation\": \"off\"}]}");
        CtxbenchException e = assertThrows(CtxbenchException.class, () -> Methods.builtin().addFile(f));
        assertEquals(f + ", method #1: method R: kv_rotation off needs a quantized K or V cache (llama.cpp rotates only "
                + "quantized K/V), got K f16, V f16", e.getMessage());
    }

    @Test
    void lowBitMethodsNameTheirQuantTypes() {
        Methods m = Methods.builtin();
        Map<String, String> kinds = Map.of("W8", "q8_0", "W6", "q6_k", "W5", "q5_k_m", "W-IQ4XS", "iq4_xs", "W3", "q3_k_m",
                "W-IQ3XXS", "iq3_xxs", "W2", "q2_k", "W-IQ2XS", "iq2_xs");
        for (Map.Entry<String, String> e : kinds.entrySet()) {
            Method me = m.get(e.getKey());
            assertEquals(3, me.level(), me.name());
            assertEquals(e.getValue(), me.weights(), me.name());
            assertEquals(io.ctxbench.models.QuantType.parse(e.getValue()), QuantizeVariants.typeOf(me.weights()), me.name());
        }
        assertEquals(List.of("weight quantization (Q3_K_M, importance matrix)"), m.get("W3").pipeline());
        assertEquals(List.of("weight quantization (Q8_0)"), m.get("W8").pipeline());
        assertTrue(QuantizeVariants.usesImatrix("iq2_xs") && !QuantizeVariants.usesImatrix("q8_0")
                && !QuantizeVariants.usesImatrix("q4_k_m"));
        CtxbenchException e = assertThrows(CtxbenchException.class, () -> new ModelSpec("smol", TestFiles.smolLm2(), Map.of(),
                false).resolve(m.get("W2"), VariantProvider.NONE));
        assertTrue(e.getMessage().contains("ctxbench models imatrix") && e.getMessage().contains("--type Q2_K"), e.getMessage());
    }

    @Test
    void userMethodsFileAddsAndReplaces(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("mine.json");
        Files.writeString(f, "{\"methods\": [{\"name\": \"KV8\", \"weights\": \"given\", \"kv_k\": \"q8_0\", \"kv_v\": \"q8_0\"},"
                + "{\"name\": \"FP16\", \"weights\": \"f16\", \"about\": \"mine\"}]}");
        Methods m = Methods.builtin().addFile(f);
        assertEquals(KvCacheType.Q8_0, m.get("KV8").kvK());
        assertEquals("mine", m.get("FP16").about());
        Files.writeString(f, "{\"methods\": [{\"name\": \"X\", \"weights\": \"q3\"}]}");
        CtxbenchException e = assertThrows(CtxbenchException.class, () -> Methods.builtin().addFile(f));
        assertTrue(e.getMessage().contains("method #1") && e.getMessage().contains("weights"), e.getMessage());
    }

    @Test
    void aMissingVariantSaysWhichCommandMakesIt() {
        Path given = TestFiles.smolLm2();
        ModelSpec spec = new ModelSpec("smol", given, Map.of(), false);
        Method w4 = Methods.builtin().get("W4A16");
        CtxbenchException e = assertThrows(CtxbenchException.class, () -> spec.resolve(w4, VariantProvider.NONE));
        assertTrue(e.getMessage().contains("ctxbench models quantize") && e.getMessage().contains("--variant q4_k_m=FILE"),
                e.getMessage());
        assertThrows(CtxbenchException.class, () -> spec.resolve(Methods.builtin().get("FP16"), VariantProvider.NONE));
        assertEquals(given, spec.resolve(w4, (g, v) -> Optional.of(given)).file());
        ModelSpec stand = new ModelSpec("smol", given, Map.of(), true);
        assertTrue(stand.resolve(Methods.builtin().get("FP16"), VariantProvider.NONE).standIn());
        assertEquals(given, stand.resolve(Methods.builtin().get("KV-Q+c").withWeights("given"), VariantProvider.NONE).file());
    }
}
