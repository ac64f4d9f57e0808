package io.ctxbench.experiment;

import io.ctxbench.engine.TestFiles;
import io.ctxbench.gguf.GgmlType;
import io.ctxbench.gguf.GgufFile;
import io.ctxbench.gguf.GgufTensorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The quantizing variant provider on SmolLM2 (Q4_1): F16 expansion and Q4_K_M, made once, then reused. */
class QuantizeVariantsTest {

    @Test
    void makesTheRightTypeOnceAndReusesIt(@TempDir Path cache) throws Exception {
        Path given = TestFiles.smolLm2();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        QuantizeVariants p1 = new QuantizeVariants(cache, 2, new PrintStream(log, true, StandardCharsets.UTF_8));

        Path f16 = p1.provide(given, "f16").orElseThrow();
        assertEquals(cache, f16.getParent());
        assertTrue(f16.getFileName().toString().matches("SmolLM2-135M-Instruct\\.Q4_1-[0-9a-f]{12}\\.F16\\.gguf"), f16.toString());
        GgufFile g = GgufFile.open(f16);
        assertEquals(1, g.getLong("general.file_type", -1));
        assertEquals("f16", ModelSpec.ownVariant(f16));
        for (GgufTensorInfo t : g.tensors()) {
            assertFalse(t.type().isQuantized(), t.name() + " is " + t.type());
        }
        assertTrue(g.tensors().stream().anyMatch(t -> t.type() == GgmlType.F16));

        Path q4 = p1.provide(given, "q4_k_m").orElseThrow();
        assertEquals("q4_k_m", ModelSpec.ownVariant(q4));
        assertTrue(Files.size(q4) < Files.size(f16) / 2);
        assertEquals(2, p1.made().size(), p1.made().toString());
        assertFalse(p1.made().get(0).reused());
        assertTrue(p1.made().get(0).seconds() > 0);
        assertTrue(p1.made().get(1).how().contains("F16 expansion"), p1.made().get(1).how());
        String said = log.toString(StandardCharsets.UTF_8);
        assertTrue(said.contains("made the f16 variant") && said.contains("made the q4_k_m variant"), said);
        // pruned files are not made here
        assertEquals(Optional.empty(), p1.provide(given, "pruned"));

        // a second run (a fresh provider on the same cache) reuses both files untouched
        FileTime t16 = Files.getLastModifiedTime(f16), tq4 = Files.getLastModifiedTime(q4);
        QuantizeVariants p2 = new QuantizeVariants(cache, 2, null);
        assertEquals(f16, p2.provide(given, "f16").orElseThrow());
        assertEquals(q4, p2.provide(given, "q4_k_m").orElseThrow());
        assertEquals(t16, Files.getLastModifiedTime(f16));
        assertEquals(tq4, Files.getLastModifiedTime(q4));
        assertEquals(2, p2.made().size());
        assertTrue(p2.made().stream().allMatch(VariantProvider.Made::reused), p2.made().toString());
        try (var s = Files.list(cache)) {
            assertEquals(2, s.count());   // no temporary files left behind
        }

        // a damaged cached file is made again
        Files.write(q4, new byte[]{1, 2, 3});
        QuantizeVariants p3 = new QuantizeVariants(cache, 2, null);
        assertEquals(q4, p3.provide(given, "q4_k_m").orElseThrow());
        assertEquals("q4_k_m", ModelSpec.ownVariant(q4));
        assertFalse(p3.made().stream().filter(m -> m.variant().equals("q4_k_m")).findFirst().orElseThrow().reused());

        // through ModelSpec: the made file runs, not a stand-in
        ModelSpec spec = new ModelSpec("smol", given, Map.of(), true);
        ModelSpec.Resolved r = spec.resolve(Methods.builtin().get("FP16"), p3);
        assertEquals(f16, r.file());
        assertFalse(r.standIn());
    }

    @Test
    void lowBitVariantIsQuantizedFromTheF16WithACachedImportanceMatrix(@TempDir Path cache) {
        Path given = TestFiles.smolLm2();
        QuantizeVariants p = new QuantizeVariants(cache, 2, null, io.ctxbench.models.Imatrix.builtinText(), "built-in", 2);
        ModelSpec spec = new ModelSpec("smol", given, Map.of(), false);
        Path q3 = spec.resolve(Methods.builtin().get("W3"), p).file();
        assertEquals(12, GgufFile.open(q3).getLong("general.file_type", -1));   // LLAMA_FTYPE_MOSTLY_Q3_K_M
        assertTrue(q3.getFileName().toString().matches(".*\\.Q3_K_M-imatrix-[0-9a-f]{8}c2\\.gguf"), q3.toString());
        Path imatrix = p.imatrixFor(given);
        assertTrue(Files.isRegularFile(imatrix), imatrix.toString());
        assertEquals(java.util.List.of("f16", "imatrix", "q3_k_m"), p.made().stream().map(VariantProvider.Made::variant).toList());
        assertTrue(p.made().get(2).how().contains("F16 expansion") && p.made().get(2).how().contains(imatrix.getFileName().toString()),
                p.made().get(2).how());
        // a second low-bit kind reuses the matrix; W8 (Q8_0 does not consult one) is made without
        Path q2 = spec.resolve(Methods.builtin().get("W2"), p).file();
        Path q8 = spec.resolve(Methods.builtin().get("W8"), p).file();
        assertEquals(10, GgufFile.open(q2).getLong("general.file_type", -1));
        assertEquals(7, GgufFile.open(q8).getLong("general.file_type", -1));
        assertFalse(q8.getFileName().toString().contains("imatrix"), q8.toString());
        assertEquals(1, p.made().stream().filter(m -> m.variant().equals("imatrix")).count(), p.made().toString());
    }
}
