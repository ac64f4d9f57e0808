package io.ctxbench.cli;

import io.ctxbench.CtxbenchException;
import io.ctxbench.gguf.GgmlType;
import io.ctxbench.gguf.GgufFile;
import io.ctxbench.gguf.GgufTensorInfo;
import io.ctxbench.gguf.GgufWriter;
import io.ctxbench.gguf.ModelCatalog;
import io.ctxbench.gguf.ModelShape;
import io.ctxbench.gguf.SyntheticModel;
import io.ctxbench.gguf.SyntheticModel.Storage;
import io.ctxbench.gguf.SyntheticModel.WeightType;
import io.ctxbench.models.QuantType;
import io.ctxbench.models.Quantizer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/** {@code ctxbench models ...}: model files. */
@Command(name = "models",
        description = "Model files: synthesize random-weight GGUFs in the shape of real models; quantize (with an"
                + " importance matrix from imatrix), prune,"
                + " inspect and pull models.",
        mixinStandardHelpOptions = true,
        subcommands = {ModelsCommand.Synth.class, ModelsQuantizeCommand.class, ModelsImatrixCommand.class, ModelsPruneCommand.class,
                ModelsInspectCommand.class, ModelsPullCommand.class})
public final class ModelsCommand implements Callable<Integer> {

    /** The llama.cpp commit prefix of native/llama.cpp.pin, which names the source folder in the cache. */
    public static final String LLAMA_CPP_PIN = "de3ff815";

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    /** {@code ${CTXBENCH_CACHE:-~/.cache/ctxbench}}. */
    static Path cacheDir() {
        String env = System.getenv("CTXBENCH_CACHE");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "ctxbench");
    }

    /** Where native/build.sh unpacks the pinned llama.cpp vocab GGUFs. */
    static Path defaultVocabDir() {
        return cacheDir().resolve("src").resolve("llama.cpp-" + LLAMA_CPP_PIN).resolve("models");
    }

    @Command(name = "synth",
            sortOptions = false,
            description = {
                    "Write a GGUF with RANDOM WEIGHTS in the shape of a real model: a llama-architecture decoder, or an",
                    "encoder as llama.cpp's arch bert runs it (xlm-roberta-large-llmlingua2: the llmlingua2 compressor's).",
                    "",
                    "Its compute cost, memory footprint and KV cache equal the real model's, so it is fit for speed,",
                    "memory and long-context cost measurements without downloading the model. Its output is",
                    "meaningless text: NEVER use a synthetic model for quality or accuracy scores.",
                    "Files carry the GGUF key ctxbench.synthetic = true.",
                    ""},
            footer = {"",
                    "Example: ctxbench models synth --shape llama-3.1-8b --type f16 --out llama-3.1-8b-synth-f16.gguf",
                    "         ctxbench models synth --shape llama-3.1-70b --type q4_k_m --dry-run   (types and size only)",
                    "         ctxbench models synth --shape llama-3.1-8b --type iq2_xs --out llama-3.1-8b-synth-iq2_xs.gguf",
                    "The tokenizer is copied from the shape's llama.cpp vocab GGUF (models/ggml-vocab-*.gguf of the",
                    "pinned llama.cpp source, which native/build.sh fetches)."},
            mixinStandardHelpOptions = true)
    public static final class Synth implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--list", description = "Print the shape catalog and exit.")
        boolean list;

        @Option(names = "--shape", paramLabel = "NAME", description = "Shape from the catalog (see --list).")
        String shape;

        @Option(names = "--type", paramLabel = "TYPE", defaultValue = "f16",
                description = {"Weight type of the 2-D tensors (norms stay F32). Default: ${DEFAULT-VALUE}.",
                        "  f16, bf16, q4_0: every 2-D tensor of that type (q4_0 as llama-quantize --pure: token_embd"
                                + " and output too).",
                        "  q4_k_m: llama-quantize's Q4_K_M mixture, with exactly the per-tensor types it gives the"
                                + " shape (Q4_K; Q6_K for output, and for attn_v/ffn_down in the layers llama.cpp"
                                + " gives more bits; Q5_K attn_v for 70B-class shapes; Q5_0/Q5_1/Q8_0/F16 where rows"
                                + " are not multiples of 256), written directly, with no F16 file to quantize.",
                        "  any other llama-quantize type (q8_0, q6_k, q5_k_m, iq4_xs, q3_k_m, iq3_xxs, q2_k, iq2_xs,"
                                + " ...): the per-tensor types llama.cpp's quantizer picks for the shape (a dry run on a"
                                + " sparse F16 stand-in, as with an importance matrix; needs the llama.cpp build),"
                                + " written directly with random blocks: no F16 file, no minutes of quantizing."})
        String type;

        @Option(names = "--vocab", paramLabel = "FILE",
                description = "Vocab GGUF giving the tokenizer, or a folder holding the shape's vocab file. "
                        + "Default: the shape's file in $${CTXBENCH_CACHE:-~/.cache/ctxbench}/src/llama.cpp-" + LLAMA_CPP_PIN + "/models/.")
        Path vocab;

        @Mixin
        ModelOutputOptions outputOptions = new ModelOutputOptions();
        Path output;

        @Option(names = "--seed", defaultValue = "42", description = "Random seed (output depends only on it). Default: ${DEFAULT-VALUE}.")
        long seed;

        @Mixin
        EngineOptions.Threads threads = new EngineOptions.Threads();

        @Option(names = "--sparse", description = "Write the 2-D weights as file holes (zeros, no disk space; for shapes"
                + " the disk cannot hold, e.g. llama-3.1-70b F16). Marked ctxbench.sparse = true.")
        boolean sparse;

        @Option(names = "--dry-run", description = "Write nothing: print the tensor types (count and bytes per type) and"
                + " the exact file size that would be written (--out not needed).")
        boolean dryRun;


        @Override
        public Integer call() {
            output = outputOptions.file(spec);
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            ModelCatalog catalog;
            try {
                catalog = ModelCatalog.load();
            } catch (CtxbenchException e) {
                err.println("error: " + e.getMessage());
                return 1;
            }
            if (list) {
                printCatalog(out, catalog);
                return 0;
            }
            if (shape == null) {
                return usage(err, "missing --shape (one of: " + names(catalog) + ")");
            }
            ModelShape s = catalog.get(shape).orElse(null);
            if (s == null) {
                return usage(err, "unknown shape '" + shape + "' (known: " + names(catalog) + ")");
            }
            WeightType own = null;
            QuantType planned = null;
            try {
                own = WeightType.parse(type);
            } catch (IllegalArgumentException e) {
                try {
                    planned = QuantType.parse(type);
                } catch (CtxbenchException e2) {
                    return usage(err, "unknown weight type '" + type + "': f16, bf16, q4_0, q4_k_m, or a llama-quantize type"
                            + " (q8_0, q6_k, q5_k_m, iq4_xs, q3_k_m, iq3_xxs, q2_k, iq2_xs, ...)");
                }
                if (planned == QuantType.COPY) {
                    return usage(err, "COPY is no weight type");
                }
            }
            if (s.encoder() && own != WeightType.F16 && own != WeightType.BF16) {
                return usage(err, "shape " + s.name() + " is an encoder (arch bert): its synthetic file is f16 or bf16, not " + type);
            }
            if (output == null && !dryRun) {
                return usage(err, "missing --out FILE");
            }
            if (!dryRun) {   // before planning a type, which takes seconds
                Integer bad = checkOutput(output.toAbsolutePath(), err);
                if (bad != null) {
                    return bad;
                }
            }
            Storage wt = own;
            if (planned != null) {
                Path v = vocabFile(s, err);
                if (v == null) {
                    return vocabError;
                }
                try {
                    wt = plannedMixture(s, planned, v, output == null ? null : output.toAbsolutePath().getParent());
                } catch (CtxbenchException e) {
                    err.println("error: " + e.getMessage());
                    return 1;
                }
            }
            if (dryRun) {
                Path v = vocabFile(s, err);
                return v == null ? vocabError : plan(out, err, s, wt, v);
            }
            Path outAbs = output.toAbsolutePath();
            Path v = vocabFile(s, err);
            if (v == null) {
                return vocabError;
            }
            out.printf(Locale.ROOT, "writing synthetic %s (%s, random weights, %,d parameters) to %s ...%n",
                    s.name(), wt.label(), s.parameterCount(), outAbs);
            out.flush();
            try {
                SyntheticModel.Result r = sparse ? SyntheticModel.writeSparse(s, wt, v, outAbs, seed, threads.count)
                        : SyntheticModel.write(s, wt, v, outAbs, seed, threads.count);
                out.printf(Locale.ROOT, "wrote %s%n  size       %,d bytes (%.2f GiB)%n  parameters %,d%n  time       %.2f s (%.2f GB/s)%n",
                        r.path(), r.fileBytes(), r.fileBytes() / (double) (1L << 30), r.parameters(),
                        r.elapsed().toNanos() / 1e9, r.gigabytesPerSecond());
                out.println("  NOTE: random weights - for speed/memory measurements only, never for quality scores.");
                return 0;
            } catch (CtxbenchException e) {
                err.println("error: " + e.getMessage());
                return 1;
            }
        }

        /** Null when {@code outAbs} can be written, else the exit code after saying why not. */
        private Integer checkOutput(Path outAbs, PrintWriter err) {
            if (Files.isDirectory(outAbs)) {
                return usage(err, "output " + outAbs + " is a folder; give a file name");
            }
            if (Files.exists(outAbs) && !outputOptions.force) {
                return usage(err, "output " + outAbs + " exists; use --force to overwrite it");
            }
            Path dir = outAbs.getParent();
            if (dir == null || !Files.isDirectory(dir)) {
                return usage(err, "output folder " + dir + " does not exist");
            }
            if (!Files.isWritable(dir)) {
                return usage(err, "output folder " + dir + " is not writable");
            }
            return null;
        }

        private int vocabError;

        /** The tokenizer vocab file, or null after printing why there is none (exit code in {@link #vocabError}). */
        private Path vocabFile(ModelShape s, PrintWriter err) {
            Path v = vocab != null && Files.isDirectory(vocab) ? vocab.resolve(s.vocab()) : vocab;
            if (v == null) {
                v = defaultVocabDir().resolve(s.vocab());
                if (!Files.isRegularFile(v)) {
                    err.println("error: tokenizer vocab " + v + " not found.");
                    err.println("  It ships with the pinned llama.cpp source (models/" + s.vocab() + "): run native/build.sh,");
                    err.println("  which unpacks it there (set CTXBENCH_CACHE to use another cache), or pass --vocab FILE");
                    err.println("  with a copy of llama.cpp's models/" + s.vocab() + ".");
                    vocabError = 1;
                    return null;
                }
            } else if (!Files.isRegularFile(v)) {
                vocabError = usage(err, "vocab file " + v + " not found");
                return null;
            }
            return v;
        }

        /**
         * The per-tensor types llama.cpp's quantizer gives {@code s} for {@code t}: its dry run on a sparse F16 stand-in
         * of the shape (file holes: a few MB of disk whatever the shape), written in {@code dir} (null: the temp folder)
         * and deleted after.
         */
        private static SyntheticModel.Mixture plannedMixture(ModelShape s, QuantType t, Path vocab, Path dir) {
            Path standIn = null;
            try {
                standIn = dir != null && Files.isDirectory(dir) ? Files.createTempFile(dir, ".synth-plan-", ".gguf")
                        : Files.createTempFile("synth-plan-", ".gguf");
                SyntheticModel.writeSparse(s, WeightType.F16, vocab, standIn, 0, 1);
                Map<String, GgmlType> types = Quantizer.plan(standIn, t);
                for (var e : types.entrySet()) {
                    if (!SyntheticModel.canFill(e.getValue())) {
                        throw new CtxbenchException("llama.cpp plans " + e.getValue() + " for " + e.getKey() + " in a " + t
                                + " file, a type synth cannot write random blocks of");
                    }
                }
                return new SyntheticModel.Mixture(t.name().toLowerCase(Locale.ROOT), t.ftype, types);
            } catch (java.io.IOException e) {
                throw new CtxbenchException("cannot write the F16 stand-in for planning " + t + ": " + e.getMessage(), e);
            } finally {
                if (standIn != null) {
                    try {
                        Files.deleteIfExists(standIn);
                    } catch (java.io.IOException ignored) {
                        // a temp file left behind is harmless
                    }
                }
            }
        }

        /** --dry-run: the planned tensor types and the exact file size. */
        private static int plan(PrintWriter out, PrintWriter err, ModelShape s, Storage wt, Path vocabFile) {
            GgufWriter w;
            try {
                w = SyntheticModel.plan(s, wt, GgufFile.open(vocabFile), 0);
            } catch (CtxbenchException e) {
                err.println("error: " + e.getMessage());
                return 1;
            }
            Map<GgmlType, long[]> byType = new TreeMap<>();
            for (GgufTensorInfo t : w.tensors()) {
                long[] a = byType.computeIfAbsent(t.type(), k -> new long[2]);
                a[0]++;
                a[1] += t.nBytes();
            }
            out.printf(Locale.ROOT, "synthetic %s as %s (dry run, nothing written): %d tensors, %,d parameters%n",
                    s.name(), wt.label(), w.tensors().size(), s.parameterCount());
            out.printf(Locale.ROOT, "  %-6s %7s %20s%n", "type", "tensors", "bytes");
            byType.forEach((k, a) -> out.printf(Locale.ROOT, "  %-6s %7d %,20d%n", k, a[0], a[1]));
            long data = byType.values().stream().mapToLong(a -> a[1]).sum();
            out.printf(Locale.ROOT, "  tensor data %,d bytes (%.3f bits/weight)%n", data, data * 8.0 / s.parameterCount());
            out.printf(Locale.ROOT, "  file size   %,d bytes (%.2f GiB)%n", w.fileSize(), w.fileSize() / (double) (1L << 30));
            return 0;
        }

        private int usage(PrintWriter err, String msg) {
            err.println("error: " + msg);
            err.println("try: ctxbench models synth --help");
            return 2;
        }

        private static String names(ModelCatalog c) {
            return String.join(", ", c.all().stream().map(ModelShape::name).toList());
        }

        private static void printCatalog(PrintWriter out, ModelCatalog c) {
            out.printf(Locale.ROOT, "%-28s %6s %6s %6s %5s %4s %4s %7s %8s %16s %10s %10s %10s%n", "shape", "layers", "embd",
                    "ff", "heads", "kv", "hdim", "vocab", "ctx", "parameters", "F16 GiB", "Q4_0 GiB", "Q4_K_M GiB");
            for (ModelShape s : c.all()) {
                out.printf(Locale.ROOT, "%-28s %6d %6d %6d %5d %4d %4d %7d %8d %,16d %10.2f %10s %10s%n", s.name(),
                        s.nLayer(), s.nEmbd(), s.nFf(), s.nHead(), s.nHeadKv(), s.headDim(), s.nVocab(),
                        s.contextLength(), s.parameterCount(), s.tensorBytes(GgmlType.F16) / (double) (1L << 30),
                        s.encoder() ? "-" : String.format(Locale.ROOT, "%.2f", s.tensorBytes(GgmlType.Q4_0) / (double) (1L << 30)),
                        s.encoder() ? "-" : String.format(Locale.ROOT, "%.2f",
                                SyntheticModel.tensorBytes(s, WeightType.Q4_K_M) / (double) (1L << 30)));
            }
            out.println();
            for (ModelShape s : c.all()) {
                out.println(s.name() + ": " + s.source() + " [tokenizer " + s.vocab() + (s.tiedEmbeddings() ? ", tied output" : "") + "]");
            }
            out.println();
            out.println("Synthetic models have random weights: compute cost equals the real model's; never use them for quality scores.");
        }
    }

    /** Lets the command run on its own: {@code java -cp ctxbench.jar io.ctxbench.cli.ModelsCommand synth ...}. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new ModelsCommand()).execute(args));
    }
}
