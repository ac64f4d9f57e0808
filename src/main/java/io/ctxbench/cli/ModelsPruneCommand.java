package io.ctxbench.cli;

import io.ctxbench.models.Pruner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code ctxbench models prune}. */
@Command(name = "prune", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Structured pruning of a llama-style GGUF: drop layers (depth) and/or keep the most important",
                "FFN neurons (width). NO DISTILLATION STEP: unlike NVIDIA's Minitron models, the pruned model is not",
                "retrained, so its quality is far below a distilled one; use it for cost measurements and as a",
                "starting point, and prefer the published Minitron models (ctxbench models pull) for quality.",
                "",
                "Width importance: with --calibration, the RMS of each neuron's SwiGLU activation over the text,",
                "gathered through llama.cpp's eval callback; without it, |gate row| x |up row| x |down column|.",
                "Width pruning needs F16/BF16/F32 FFN weights (quantize to f16 first with --allow-requantize);",
                "depth pruning works on any file. Output keeps the input's tensor types.", ""},
        footer = {"", "Examples:",
                "  ctxbench models prune -m smol-f16.gguf --out smol-d75.gguf --keep-layers 0.75",
                "  ctxbench models prune -m smol-f16.gguf --out smol-w75.gguf --keep-ffn 0.75 --round 256 --calibration t.txt"})
public final class ModelsPruneCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "GGUF", description = "Input GGUF.")
    Path model;

    @Mixin
    ModelOutputOptions outputOptions = new ModelOutputOptions();
    Path output;

    @Option(names = "--drop-layers", split = ",", paramLabel = "N", description = "Layer indices to drop, e.g. 20,21,22.")
    List<Integer> dropLayers;

    @Option(names = "--keep-layers", paramLabel = "FRACTION",
            description = "Fraction of layers to keep; drops a contiguous block just before the last layer.")
    Double keepLayers;

    @Option(names = "--keep-ffn", paramLabel = "FRACTION", description = "Fraction of FFN neurons to keep per layer.")
    Double keepFfn;

    @Option(names = "--ffn-width", paramLabel = "N", description = "FFN width to keep per layer.")
    Integer ffnWidth;

    @Option(names = "--round", defaultValue = "none", paramLabel = "none|256|pow2",
            description = "Round the kept FFN width to the nearest multiple of 256 or power of two. Default: ${DEFAULT-VALUE}.")
    String round;

    @Option(names = "--calibration", paramLabel = "FILE", description = "Calibration text for activation importance (UTF-8;"
            + " invalid bytes become U+FFFD, a file that is not text is refused).")
    Path calibration;

    @Option(names = "--calibration-tokens", defaultValue = "2048", description = "Tokens of calibration text used. Default: ${DEFAULT-VALUE}.")
    int calibrationTokens;

    @Mixin
    EngineOptions.Threads threads = new EngineOptions.Threads();

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;


    @Override
    public Integer call() throws IOException {
        output = outputOptions.requiredFile(spec);
        PrintWriter out = spec.commandLine().getOut();
        // decoded with U+FFFD like compress's input: a stray non-UTF-8 byte in a scraped corpus barely moves activation
        // statistics, so it should not stop a prune; a file that is not text at all is refused
        String text = calibration != null ? TextFiles.read(calibration, "calibration file") : null;
        Pruner.Spec s = new Pruner.Spec(dropLayers, keepLayers, keepFfn, ffnWidth, Pruner.Rounding.parse(round), text,
                calibrationTokens, threads.count, outputOptions.force);
        Pruner.Result r = Pruner.prune(model, output, s);
        if (json) {
            out.println(Json.pretty(r));
            return 0;
        }
        out.printf(Locale.ROOT, "wrote %s (%,d bytes)%n  layers      %d -> %d (dropped %s)%n  ffn width   %d -> %d%n"
                        + "  importance  %s%n  parameters  %,d -> %,d%n  NOTE: no distillation was done; quality drops accordingly.%n",
                r.output(), r.fileBytes(), r.layersBefore(), r.layersAfter(), r.droppedLayers(), r.ffnBefore(), r.ffnAfter(),
                r.importance(), r.parametersBefore(), r.parametersAfter());
        return 0;
    }
}
