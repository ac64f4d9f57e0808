package io.ctxbench.models;

import io.ctxbench.CtxbenchException;
import io.ctxbench.cli.Main;
import io.ctxbench.engine.Generation;
import io.ctxbench.engine.GenerationOptions;
import io.ctxbench.engine.KvCacheType;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.Session;
import io.ctxbench.engine.TestFiles;
import io.ctxbench.gguf.GgufFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pruned SmolLM2 (from an F16 copy) loads, generates, and has the shape and parameter count the arithmetic gives. */
class PrunerTest {
    @TempDir
    static Path dir;
    static Path f16;
    static ModelInspector.Report base;

    @BeforeAll
    static void f16Copy() {
        f16 = dir.resolve("smol-f16.gguf");
        Quantizer.quantize(TestFiles.smolLm2(), f16, Quantizer.Options.of(QuantType.F16).withAllowRequantize(true).withThreads(2));
        base = ModelInspector.inspect(f16);
    }

    /** Parameters of one llama layer: two norms, q/k/v/o projections, three FFN matrices of width ff. */
    static long layerParams(ModelInspector.Report r, long ff) {
        long e = r.embedding();
        long q = (long) r.heads() * r.headDimK();
        long kv = (long) r.headsKv() * r.headDimK();
        return 2 * e + e * q + 2 * e * kv + q * e + 3 * e * ff;
    }

    @Test
    void depthPruneToThreeQuarters() {
        Path out = dir.resolve("depth.gguf");
        Pruner.Result r = Pruner.prune(f16, out, Pruner.Spec.depth(0.75));
        int kept = (int) Math.round(base.layers() * 0.75);
        assertEquals(kept, r.layersAfter());
        assertEquals(List.of(22, 23, 24, 25, 26, 27, 28), r.droppedLayers());
        ModelInspector.Report p = ModelInspector.inspect(out);
        assertEquals(kept, p.layers());
        assertEquals(base.parameters() - (long) (base.layers() - kept) * layerParams(base, base.feedForward()), p.parameters());
        assertTrue(p.flags().get("pruned"));
        assertEquals(kept * 2L * 192 * 2, p.kvBytesPerToken(KvCacheType.F16));
        assertGenerates(out, kept);
        // blk.N renumbered: the last layer (29) is now blk.22
        GgufFile g = GgufFile.open(out);
        assertTrue(g.tensor("blk.22.ffn_up.weight").isPresent());
        assertFalse(g.tensor("blk.23.ffn_up.weight").isPresent());
    }

    @Test
    void widthPruneWithCalibrationRoundedTo256() {
        Path out = dir.resolve("width.gguf");
        String text = "The history of the city begins with a small settlement by the river. Over the centuries it grew"
                + " into a trading town, then a capital with universities, markets and a famous cathedral. ".repeat(8);
        Pruner.Result r = Pruner.prune(f16, out, Pruner.Spec.width(0.75, Pruner.Rounding.MULTIPLE_OF_256).withCalibration(text, 256));
        assertEquals(1536, r.ffnBefore());
        assertEquals(1024, r.ffnAfter()); // 1152 lies between 1024 and 1280: ties round down
        assertTrue(r.importance().contains("activation"), r.importance());
        ModelInspector.Report p = ModelInspector.inspect(out);
        assertEquals(1024, p.feedForward());
        assertEquals(base.parameters() - base.layers() * (layerParams(base, 1536) - layerParams(base, 1024)), p.parameters());
        assertGenerates(out, base.layers());
    }

    @Test
    void widthPruneByWeightNormsUnrounded() {
        Path out = dir.resolve("width-norms.gguf");
        Pruner.Result r = Pruner.prune(f16, out, Pruner.Spec.width(0.75, Pruner.Rounding.NONE));
        assertEquals(1152, r.ffnAfter());
        assertTrue(r.importance().contains("weight norms"));
        assertEquals(base.parameters() - base.layers() * (layerParams(base, 1536) - layerParams(base, 1152)),
                ModelInspector.inspect(out).parameters());
        assertGenerates(out, base.layers());
    }

    @Test
    void roundingChoices() {
        assertEquals(1024, Pruner.Rounding.POWER_OF_TWO.apply(1152));
        assertEquals(2048, Pruner.Rounding.POWER_OF_TWO.apply(1600));
        assertEquals(8192, Pruner.Rounding.POWER_OF_TWO.apply(9216));
        assertEquals(1280, Pruner.Rounding.MULTIPLE_OF_256.apply(1200));
        assertEquals(256, Pruner.Rounding.MULTIPLE_OF_256.apply(10));
    }

    @Test
    void impossibleSpecsFailCleanly() throws IOException {
        Path out = dir.resolve("impossible.gguf");
        String[][] bad = {
                {"--keep-ffn", "1.5"}, {"--drop-layers", "3,99"}, {"--keep-layers", "0"}, {"--ffn-width", "4096"},
                {"--keep-ffn", "1"}, {"--drop-layers", "1", "--keep-layers", "0.5"}};
        String[] why = {"fraction", "layers 0..29", "fraction", "the model's is 1536", "nothing to prune", "not both"};
        for (int i = 0; i < bad.length; i++) {
            StringWriter err = new StringWriter();
            CommandLine cl = Main.commandLine();
            cl.setErr(new PrintWriter(err));
            String[] args = concat(new String[] {"models", "prune", "-m", f16.toString(), "--out", out.toString()}, bad[i]);
            assertEquals(1, cl.execute(args), String.join(" ", args));
            assertTrue(err.toString().contains(why[i]), err.toString());
            QuantizerTest.assertNoOutput(out);
        }
        // width pruning of quantized weights: says how to get an F16 copy
        CtxbenchException e = assertThrows(CtxbenchException.class,
                () -> Pruner.prune(TestFiles.smolLm2(), out, Pruner.Spec.width(0.5, Pruner.Rounding.NONE)));
        assertTrue(e.getMessage().contains("models quantize --type f16"), e.getMessage());
        // the command it advises parses, with no old (hidden) spelling
        String advice = e.getMessage().replaceAll("(?s).*`ctxbench ([^`]*)`.*", "$1");
        CommandLine.ParseResult parsed = Main.commandLine().parseArgs(advice.split(" "));
        while (parsed.hasSubcommand()) {
            parsed = parsed.subcommand();
        }
        assertTrue(parsed.matchedOptions().stream().noneMatch(CommandLine.Model.OptionSpec::hidden), advice);
        QuantizerTest.assertNoOutput(out);
    }

    @Test
    void calibrationTextWithInvalidUtf8IsDecodedAndBinaryIsRefused() throws IOException {
        Path out = dir.resolve("width-latin1.gguf");
        Path latin1 = dir.resolve("latin1.txt");
        java.nio.file.Files.write(latin1, ("La ville est n\u00e9e d'un petit village au bord du fleuve. Au fil des si\u00e8cles elle"
                + " devint une ville de commerce, puis une capitale. ").repeat(8).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter()));
        assertEquals(0, cl.execute("models", "prune", "-m", f16.toString(), "--out", out.toString(), "--keep-ffn", "0.75",
                "--calibration", latin1.toString(), "--calibration-tokens", "128"), err.toString());
        assertEquals(1152, ModelInspector.inspect(out).feedForward());
        Path binary = dir.resolve("calibration.bin");
        java.nio.file.Files.write(binary, new byte[]{'a', 0, 'b', 0, 'c', 0});
        StringWriter err2 = new StringWriter();
        CommandLine cl2 = Main.commandLine();
        cl2.setErr(new PrintWriter(err2, true));
        Path out2 = dir.resolve("width-binary.gguf");
        assertEquals(1, cl2.execute("models", "prune", "-m", f16.toString(), "--out", out2.toString(), "--keep-ffn", "0.75",
                "--calibration", binary.toString()), err2.toString());
        assertTrue(err2.toString().contains("calibration file " + binary + " does not look like text"), err2.toString());
        QuantizerTest.assertNoOutput(out2);
    }

    @Test
    void helpSaysThereIsNoDistillation() {
        StringWriter out = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        assertEquals(0, cl.execute("models", "prune", "--help"));
        assertTrue(out.toString().contains("NO DISTILLATION"), out.toString());
    }

    private static void assertGenerates(Path file, int layers) {
        try (Model m = Model.load(Model.Params.of(file)); Session s = Session.open(m, Session.Params.of(256))) {
            assertEquals(layers, m.info().layers());
            Generation g = s.generate(m.tokenize("The capital of France is", true, false), GenerationOptions.of(5).withIgnoreEos(true));
            assertEquals(5, g.tokens().length);
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
