package io.ctxbench.models;

import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.TestFiles;
import io.ctxbench.gguf.GgmlType;
import io.ctxbench.gguf.GgufFile;
import io.ctxbench.gguf.GgufTensorInfo;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The importance matrix computed from Java on SmolLM2 over a short text: one entry per block weight that a matrix
 * multiplication reads, each with the weight's row length, every column seen, the row counts of the chunks; it
 * round-trips through the GGUF file and drives an IQ quantization that is refused without it.
 */
class ImatrixTest {
    @TempDir
    static Path dir;
    static Path smol;
    static Imatrix im;
    static Path file;
    static final int CTX = 64, CHUNKS = 2;

    @BeforeAll
    static void compute() {
        smol = TestFiles.smolLm2();
        im = Imatrix.compute(smol, Imatrix.builtinText(), "built-in", Imatrix.Options.defaults().withCtxSize(CTX)
                .withChunks(CHUNKS).withThreads(2));
        file = dir.resolve("smol.imatrix.gguf");
        im.write(file);
    }

    @Test
    void coversEveryBlockMatrixWithItsRowLengthAndTheChunksRows() {
        GgufFile model = GgufFile.open(smol);
        long layers = model.archLong("block_count");
        Set<String> expected = new TreeSet<>();
        for (int l = 0; l < layers; l++) {
            for (String w : new String[]{"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"}) {
                expected.add("blk." + l + "." + w + ".weight");
            }
        }
        assertEquals(expected, im.entries().keySet());
        for (Imatrix.Entry e : im.entries().values()) {
            GgufTensorInfo w = model.tensor(e.weight()).orElseThrow();
            assertEquals(w.dim(0), e.columns(), e.weight());
            assertEquals(1, e.matrices(), e.weight());
            // every position is an output, so even the last layer's FFN sees all CHUNKS x CTX tokens
            assertEquals((long) CHUNKS * CTX, e.counts()[0], e.weight());
            double total = 0;
            int zero = 0;
            for (float v : e.sums()) {
                assertTrue(Float.isFinite(v) && v >= 0, e.weight());
                total += v;
                zero += v == 0 ? 1 : 0;
            }
            assertTrue(total > 0, e.weight() + " is all zero");
            assertTrue(zero < e.columns() / 100 + 1, e.weight() + ": " + zero + " of " + e.columns() + " columns never seen");
        }
        assertEquals(CHUNKS, im.chunkCount());
        assertEquals(CTX, im.chunkSize());
    }

    @Test
    void writesLlamaImatrixGgufAndReadsItBack() {
        GgufFile g = GgufFile.open(file);
        assertEquals("imatrix", g.getString("general.type"));
        assertEquals(CHUNKS, g.getLong("imatrix.chunk_count"));
        assertEquals(CTX, g.getLong("imatrix.chunk_size"));
        assertArrayEquals(new String[]{"built-in"}, g.getStringArray("imatrix.datasets"));
        GgufTensorInfo s = g.tensor("blk.0.ffn_down.weight.in_sum2").orElseThrow();
        assertEquals(GgmlType.F32, s.type());
        assertArrayEquals(new long[]{im.entries().get("blk.0.ffn_down.weight").columns(), 1}, s.dims());
        assertArrayEquals(new long[]{1, 1}, g.tensor("blk.0.ffn_down.weight.counts").orElseThrow().dims());
        Imatrix back = Imatrix.read(file);
        assertEquals(im.entries().keySet(), back.entries().keySet());
        for (Map.Entry<String, Imatrix.Entry> e : im.entries().entrySet()) {
            assertArrayEquals(e.getValue().sums(), back.entries().get(e.getKey()).sums(), e.getKey());
            assertArrayEquals(e.getValue().counts(), back.entries().get(e.getKey()).counts(), e.getKey());
        }
    }

    @Test
    void tooShortATextIsRefused() {
        CtxbenchException e = assertThrows(CtxbenchException.class, () -> Imatrix.compute(smol, "Only a few words here.",
                "short", Imatrix.Options.defaults().withCtxSize(CTX).withThreads(2)));
        assertTrue(e.getMessage().contains("needs at least 2 x --ctx-size = 128"), e.getMessage());
    }

    @Test
    void iqTypeQuantizesWithTheImatrixAndIsRefusedWithoutIt() {
        Path without = dir.resolve("smol-iq3_xxs-none.gguf");
        CtxbenchException e = assertThrows(CtxbenchException.class, () -> Quantizer.quantize(smol, without,
                Quantizer.Options.of(QuantType.IQ3_XXS).withAllowRequantize(true).withThreads(2)));
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        assertTrue(e.getMessage().startsWith("IQ3_XXS needs an importance matrix: pass --imatrix FILE"), e.getMessage());
        assertFalse(Files.exists(without));

        Path out = dir.resolve("smol-iq3_xxs.gguf");
        Quantizer.Result r = Quantizer.quantize(smol, out, Quantizer.Options.of(QuantType.IQ3_XXS).withImatrix(file)
                .withAllowRequantize(true).withThreads(2));
        GgufFile q = GgufFile.open(out);
        assertEquals(QuantType.IQ3_XXS.ftype, q.getLong("general.file_type"));
        // SmolLM2's rows of 576 do not fit IQ3_XXS's 256-blocks (they fall back to IQ4_NL); its FFN-down rows of 1536 do
        assertTrue(r.bytesByType().containsKey(GgmlType.IQ3_XXS), r.bytesByType().toString());
    }

    @Test
    void everyTypeThatNeedsAnImatrixIsRefusedBeforeLlamaCpp() {
        for (QuantType t : QuantType.values()) {
            if (t.needsImatrix()) {
                Path out = dir.resolve("none-" + t + ".gguf");
                CtxbenchException e = assertThrows(CtxbenchException.class, () -> Quantizer.quantize(smol, out,
                        Quantizer.Options.of(t).withAllowRequantize(true)));
                assertTrue(e.getMessage().startsWith(t + " needs an importance matrix"), e.getMessage());
            }
        }
        assertTrue(QuantType.IQ3_XS.needsImatrix() && QuantType.IQ2_M.needsImatrix() && !QuantType.IQ4_XS.needsImatrix()
                && !QuantType.Q2_K.needsImatrix() && !QuantType.Q3_K_M.needsImatrix());
    }

    @Test
    void weightNamesLoseTheSchedulerCopyTags() {
        assertEquals("blk.0.attn_k.weight", Imatrix.weightName("CUDA0#blk.0.attn_k.weight#0"));
        assertEquals("blk.0.attn_k.weight", Imatrix.weightName("blk.0.attn_k.weight"));
    }
}
