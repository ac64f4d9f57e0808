package io.ctxbench.cli;

import io.ctxbench.models.QuantType;
import io.ctxbench.models.Quantizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code ctxbench models quantize}. */
@Command(name = "quantize", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Quantize (or convert) a GGUF through llama.cpp's llama_model_quantize, in-process: the same",
                "tensor types and sizes as the llama-quantize tool gives. Types by llama-quantize's names:",
                "F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q2_K Q2_K_S Q3_K_S Q3_K_M Q3_K_L Q4_K_S Q4_K_M Q5_K_S Q5_K_M Q6_K",
                "IQ1_S IQ1_M IQ2_XXS IQ2_XS IQ2_S IQ2_M IQ3_XXS IQ3_XS IQ3_S IQ3_M IQ4_NL IQ4_XS TQ1_0 TQ2_0 Q1_0 Q2_0 COPY",
                "(aliases Q3_K, Q4_K, Q5_K). The output appears complete or not at all.", ""},
        footer = {"", "Example: ctxbench models quantize -m model-f16.gguf --out model-q4_k_m.gguf --type q4_k_m"})
public final class ModelsQuantizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "GGUF", description = "Input GGUF.")
    Path model;

    @Mixin
    ModelOutputOptions outputOptions = new ModelOutputOptions();
    Path output;

    @Option(names = "--type", required = true, paramLabel = "TYPE", description = "Target type, e.g. f16, bf16, q8_0, "
            + "q4_0, q4_k_m. (Its old short name -t is now --threads, as in every command.)")
    String type;

    @Option(names = "--allow-requantize", description = "Allow quantizing already-quantized tensors (loses quality).")
    boolean allowRequantize;

    @Option(names = "--imatrix", paramLabel = "FILE", description = "Importance matrix (GGUF from llama-imatrix).")
    Path imatrix;

    @Option(names = "--pure", description = "Every tensor to the target type (no per-tensor mix).")
    boolean pure;

    @Mixin
    EngineOptions.Threads threads = new EngineOptions.Threads();

    @Option(names = "--no-progress", description = "Do not draw the progress line on stderr.")
    boolean noProgress;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;


    @Override
    public Integer call() {
        output = outputOptions.requiredFile(spec);
        PrintWriter out = spec.commandLine().getOut();
        Quantizer.Options o = Quantizer.Options.of(QuantType.parse(type)).withAllowRequantize(allowRequantize)
                .withImatrix(imatrix).withPure(pure).withThreads(threads.count).withOverwrite(outputOptions.force)
                .withProgress(noProgress || json ? null : System.err);
        Quantizer.Result r = Quantizer.quantize(model, output, o);
        if (json) {
            out.println(Json.pretty(r));
            return 0;
        }
        out.printf(Locale.ROOT, "wrote %s%n  file size      %,d bytes (%.2f MiB; input %.2f MiB)%n  tensor data    %,d bytes%n"
                        + "  parameters     %,d%n  bits/weight    %.3f%n  time           %.2f s%n", r.output(), r.fileBytes(),
                r.fileBytes() / 1048576.0, r.inputBytes() / 1048576.0, r.tensorBytes(), r.parameters(), r.bitsPerWeight(),
                r.elapsed().toNanos() / 1e9);
        for (Map.Entry<?, Long> e : r.bytesByType().entrySet()) {
            out.printf(Locale.ROOT, "  %-8s %,16d bytes%n", e.getKey(), e.getValue());
        }
        return 0;
    }
}
