package io.ctxbench.cli;

import io.ctxbench.CtxbenchException;
import io.ctxbench.models.Imatrix;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code ctxbench models imatrix}. */
@Command(name = "imatrix", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Compute an importance matrix for quantizing, in-process, as llama-imatrix does: the calibration",
                "text is cut into chunks of --ctx-size tokens, each evaluated on its own (BOS first, every position an",
                "output), and llama.cpp's eval callback sums, for each weight matrix of the blocks (every mul_mat and",
                "mul_mat_id input), the squared activation of each input column, and counts the rows. The file is",
                "llama-imatrix's GGUF format: `models quantize --imatrix` and llama-quantize read it. Low-bit types",
                "(IQ1/IQ2/IQ3_XXS/IQ3_XS, Q2_K_S) need one; the others use it to weight the rounding error.",
                "Run it on the F16/BF16 model (the weights being quantized); it runs on the CPU.", ""},
        footer = {"", "Examples:",
                "  ctxbench models imatrix -m smol-f16.gguf -f calibration.txt --out smol.imatrix.gguf",
                "  ctxbench models quantize -m smol-f16.gguf --imatrix smol.imatrix.gguf --type iq2_xs --out smol-iq2_xs.gguf"})
public final class ModelsImatrixCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "GGUF", description = "Model GGUF (F16/BF16/F32 "
            + "for an imatrix of the weights you will quantize).")
    Path model;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Calibration text (UTF-8; llama-imatrix's -f). "
            + "Default: the built-in text (" + Imatrix.BUILTIN_TEXT_NAME + ", about 5.5k tokens).")
    Path text;

    @Mixin
    ModelOutputOptions outputOptions = new ModelOutputOptions();

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N", description = "Tokens per chunk; the text must give at "
            + "least two chunks (default: 512, as llama-imatrix).")
    Integer ctxSize;

    @Option(names = "--chunks", defaultValue = "-1", paramLabel = "N", description = "At most N chunks (-1: all; default: ${DEFAULT-VALUE}).")
    int chunks;

    @Option(names = "--process-output", description = "Collect output.weight too (llama-imatrix's --process-output).")
    boolean processOutput;

    @Option(names = "--parse-special", description = "Tokenize special-token text as special tokens.")
    boolean parseSpecial;

    @Mixin
    EngineOptions.Threads threads = new EngineOptions.Threads();

    @Option(names = "--no-progress", description = "Do not draw the progress line on stderr.")
    boolean noProgress;

    @Override
    public Integer call() throws IOException {
        Path out = outputOptions.requiredFile(spec);
        if (!out.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf")) {
            throw new CtxbenchException("--out " + out + ": the importance matrix is written in llama-imatrix's GGUF format;"
                    + " name the file .gguf (the legacy .dat format is not written)");
        }
        if (Files.exists(out) && !outputOptions.force) {
            throw new CtxbenchException("output " + out + " exists; use --force to overwrite it");
        }
        String calibration = text != null ? TextFiles.read(text, "calibration file") : Imatrix.builtinText();
        String dataset = text != null ? text.toString() : Imatrix.BUILTIN_TEXT_NAME;
        Imatrix.Options o = Imatrix.Options.defaults().withCtxSize(ctxSize == null ? 512 : ctxSize).withChunks(chunks).withProcessOutput(processOutput)
                .withParseSpecial(parseSpecial).withThreads(threads.count).withProgress(noProgress ? null : System.err);
        long t0 = System.nanoTime();
        Imatrix im = Imatrix.compute(model, calibration, dataset, o);
        im.write(out);
        PrintWriter w = spec.commandLine().getOut();
        w.printf(Locale.ROOT, "wrote %s%n  weights   %d%n  chunks    %d x %d tokens%n  time      %.1f s%n", out,
                im.entries().size(), im.chunkCount(), im.chunkSize(), (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
