package io.ctxbench.models;

import io.ctxbench.engine.TestFiles;
import io.ctxbench.gguf.GgmlType;
import io.ctxbench.gguf.GgufFile;
import io.ctxbench.gguf.ModelShape;
import io.ctxbench.gguf.SyntheticModel;
import io.ctxbench.gguf.SyntheticModel.WeightType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code synth --type iq2_xs} (and every type llama.cpp plans): {@link Quantizer#plan}'s dry run gives the types a real
 * quantization of the same F16 file gives, tensor for tensor (with an importance matrix computed on it, as the
 * project's low-bit files are made), so the directly written file has the real file's tensors, types, dims and
 * bytes; its block scales are finite and it loads and generates in llama.cpp.
 */
class SyntheticMixtureTest {
    @TempDir
    static Path dir;
    static Path vocab;
    static Path f16;
    static Path imatrix;
    // rows of 256 (the K and IQ types' blocks), 8 layers (use_more_bits picks layers 0, 3, 6, 7), untied output
    static final ModelShape SHAPE = new ModelShape("l8-w256", "llama", 8, 256, 768, 4, 2, 64, 128256, 4096, 500000, 1e-5,
            false, "ggml-vocab-llama-bpe.gguf", "llama-3.1-instruct.jinja", "test", null);

    @BeforeAll
    static void f16AndImatrix() {
        vocab = TestFiles.llamaCppSource().resolve("models").resolve("ggml-vocab-llama-bpe.gguf");
        f16 = dir.resolve("f16.gguf");
        SyntheticModel.write(SHAPE, WeightType.F16, vocab, f16, 5, 2);
        imatrix = dir.resolve("imatrix.gguf");
        Imatrix.compute(f16, Imatrix.builtinText(), "builtin", Imatrix.Options.defaults().withCtxSize(128).withChunks(2)
                .withThreads(2)).write(imatrix);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q2_K", "IQ4_XS", "IQ3_XXS", "IQ2_XS", "Q3_K_M", "Q5_K_M"})
    void plannedMixtureEqualsRealQuantization(String name) {
        QuantType t = QuantType.parse(name);
        Path real = dir.resolve(name + "-real.gguf");
        Quantizer.quantize(f16, real, Quantizer.Options.of(t).withImatrix(imatrix).withThreads(2));
        Map<String, GgmlType> plan = Quantizer.plan(f16, t);
        Path direct = dir.resolve(name + "-direct.gguf");
        SyntheticModel.Result r = SyntheticModel.write(SHAPE, new SyntheticModel.Mixture(name.toLowerCase(), t.ftype, plan),
                vocab, direct, 7, 2);

        GgufFile theirs = GgufFile.open(real);
        GgufFile mine = r.file();
        assertEquals(SyntheticQ4KMTest.describe(theirs), SyntheticQ4KMTest.describe(mine));
        assertEquals(theirs.totalTensorBytes(), mine.totalTensorBytes());
        assertEquals(t.ftype, mine.getLong("general.file_type"));
        Set<GgmlType> used = new TreeSet<>();
        mine.tensors().forEach(x -> used.add(x.type()));
        assertTrue(used.size() >= 3, "a mixture, not one type: " + used);   // F32 norms, the main type, more bits somewhere
        SyntheticQ4KMTest.assertScalesFinite(mine);
        SyntheticQ4KMTest.assertRuns(direct);
    }

    /** The command line: a planned type is written (and --dry-run lists it) without any F16 file in sight. */
    @org.junit.jupiter.api.Test
    void synthCommandWritesAPlannedType() throws java.io.IOException {
        java.io.StringWriter out = new java.io.StringWriter(), err = new java.io.StringWriter();
        picocli.CommandLine cl = new picocli.CommandLine(new io.ctxbench.cli.ModelsCommand());
        cl.setOut(new java.io.PrintWriter(out, true));
        cl.setErr(new java.io.PrintWriter(err, true));
        Path file = dir.resolve("cli-iq4_xs.gguf");
        assertEquals(0, cl.execute("synth", "--shape", "tiny", "--type", "iq4_xs", "--vocab", vocab.toString(),
                "--out", file.toString()), err.toString());
        assertTrue(out.toString().contains("writing synthetic tiny (iq4_xs"), out.toString());
        GgufFile f = GgufFile.open(file);
        assertEquals(QuantType.IQ4_XS.ftype, f.getLong("general.file_type"));
        // tiny's 64-wide rows: llama.cpp falls back from IQ4_XS's 256-blocks to IQ4_NL (and Q8_0 for the tied output)
        Set<GgmlType> used = new TreeSet<>();
        f.tensors().forEach(x -> used.add(x.type()));
        assertEquals(Set.of(GgmlType.F32, GgmlType.IQ4_NL, GgmlType.Q8_0), used);
        // an output that exists is refused before the quantizer plans anything
        java.io.StringWriter err2 = new java.io.StringWriter();
        cl.setErr(new java.io.PrintWriter(err2, true));
        assertNotEquals(0, cl.execute("synth", "--shape", "llama-3.1-8b", "--type", "q2_k", "--vocab", vocab.toString(),
                "--out", file.toString()));
        assertTrue(err2.toString().contains("exists; use --force to overwrite it"), err2.toString());
        cl.setErr(new java.io.PrintWriter(err, true));
        // IQ1_M blocks keep their scale packed in the sub-scales: no filler, refused before anything is written
        Path m1 = dir.resolve("cli-iq1_m.gguf");
        int rc = cl.execute("synth", "--shape", "llama-3.1-8b", "--type", "iq1_m", "--vocab",
                vocab.toString(), "--out", m1.toString());
        assertEquals(1, rc);
        assertTrue(err.toString().contains("a type synth cannot write random blocks of"), err.toString());
        assertFalse(java.nio.file.Files.exists(m1));
        try (var files = java.nio.file.Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(".synth-plan-")), "the stand-in is gone");
        }
    }
}
