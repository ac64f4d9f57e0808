package io.ctxbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.Devices;
import io.ctxbench.engine.LlamaLog;
import io.ctxbench.engine.ModelFiles;
import io.ctxbench.engine.NativeLibrary;
import io.ctxbench.report.chart.ChartFiles;
import io.ctxbench.results.CellResult;
import io.ctxbench.results.Environment;
import io.ctxbench.results.Json;
import io.ctxbench.results.ResultsLog;
import io.ctxbench.results.RunFolderLock;
import io.ctxbench.results.SweepCell;
import io.ctxbench.results.SweepResults;
import io.ctxbench.sweep.Charts;
import io.ctxbench.sweep.LlamaBench;
import io.ctxbench.sweep.Reports;
import io.ctxbench.sweep.SweepRunner;
import io.ctxbench.sweep.SweepSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "sweep", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Benchmark matrix in the manner of llama-bench: every parameter takes a comma-separated list and "
                + "the sweep runs their product. A model stays loaded while its cells run; each cell gets a fresh "
                + "session; as in llama-bench the prefill test (-p random tokens) runs all its repetitions, then the "
                + "decode test (-n one-token decodes); before every repetition the cache is cleared and filled to the "
                + "depth (kept and restored between repetitions), and each is timed until the device is done. Reports mean ± stddev of prefill and decode tokens/s, "
                + "TTFT, per-token latency p50/p90/p99, KV bytes and device memory. Cells that cannot run (unknown "
                + "type, quantized V without flash attention, depth beyond the model's context, too big for the "
                + "device) are reported with the reason; the others run.", "",
                "Writes <results-root>/<date>-<machine>-<name>/ (or --out): sweep.json (run manifest + cells), "
                        + "sweep.jsonl, sweep.csv, sweep.md and charts vs depth (decode, prefill, memory; PNG and SVG). "
                        + "Each cell goes to sweep.jsonl as soon as it is done, so a sweep cut short keeps what it "
                        + "measured: --from DIR then writes the tables, charts and sweep.json's cells from it.", "",
                "Examples:",
                "  ctxbench sweep -m l8b-f16.gguf,l8b-q4_k_m.gguf -ctk f16,q8_0 -ctv f16,q4_0 -d 0,32k --compare-llama-bench",
                "  ctxbench sweep -m model.gguf -d 0,4k,8k,16k,32k,64k,128k -p 512 -n 128 -r 3 --memory-limit 40GiB",
                "  ctxbench sweep --from bench/results/2026-11-23-h100-sweep   (tables and charts again, from its sweep.jsonl)",
                ""})
final class SweepCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, split = ",", paramLabel = "GGUF", description = "Model files (list; required unless --from).")
    List<String> models;

    @Option(names = "--from", paramLabel = "DIR", description = "Run nothing: re-read DIR/sweep.jsonl of an earlier sweep "
            + "(e.g. one from a GPU node without fonts, where charts cannot be drawn, or one cut short) and write "
            + "sweep.md, sweep.csv, the charts and sweep.json's cells there again.")
    Path from;

    // the engine options as lists, under EngineOptions' names and defaults (OptionVocabularyTest keeps them equal)
    @Option(names = {"-ngl", "--n-gpu-layers", "--gpu-layers"}, split = ",", defaultValue = "-1", paramLabel = "N",
            description = EngineOptions.GPU_LAYERS + " (list)")
    List<Integer> gpuLayers;

    @Option(names = {"-ctk", "--cache-type-k"}, split = ",", defaultValue = "f16", paramLabel = "TYPE",
            description = "K cache types (list): " + EngineOptions.CACHE_TYPES)
    List<String> typesK;

    @Option(names = {"-ctv", "--cache-type-v"}, split = ",", defaultValue = "f16", paramLabel = "TYPE",
            description = "V cache types (list; default ${DEFAULT-VALUE}); every K/V pair of -ctk x -ctv runs, as in "
                    + "llama-bench. A quantized V cache needs flash attention. With it every pair is read by a fused "
                    + "kernel on the CPU, and on CUDA every pair the build compiled (native/build.sh compiles all 49 pairs "
                    + "of f16, bf16, q8_0, q5_1, q5_0, q4_1 and q4_0; 'ctxbench info' lists them). A pair without a CUDA "
                    + "kernel (another build; f32 always) is converted to f16 on every decode step: the cell's kv_path "
                    + "then says 'converted', and its figures are that fallback's, not the pair's; CUDA has no "
                    + "flash attention for iq4_nl at all, which then runs on the CPU (kv_path 'host').")
    List<String> typesV;

    @Option(names = "--kv-rotation", split = ",", defaultValue = "on", paramLabel = "on|off",
            description = "KV rotation (list; default ${DEFAULT-VALUE}): " + EngineOptions.KV_ROTATION + " Every K/V "
                    + "pair runs with each; llama-bench gets LLAMA_ATTN_ROT_DISABLE=1 for the off cells. Off is "
                    + "rejected for a cell whose K and V are both unquantized.")
    List<String> kvRotation;

    @Option(names = {"-fa", "--flash-attn"}, split = ",", defaultValue = "auto", paramLabel = "on|off|auto",
            description = EngineOptions.FLASH_ATTN + " (list)")
    List<String> flashAttn;

    @Option(names = {"-p", "--n-prompt"}, split = ",", defaultValue = "512", paramLabel = "N", description = "Prefill sizes in tokens; 0 = none (list; default ${DEFAULT-VALUE}).")
    List<String> prompts;

    @Option(names = {"-n", "--n-gen"}, split = ",", defaultValue = "128", paramLabel = "N", description = "Decode lengths in tokens; 0 = none (list; default ${DEFAULT-VALUE}).")
    List<String> gens;

    @Option(names = {"-d", "--n-depth"}, split = ",", defaultValue = "0", paramLabel = "N", description = "Context depths: "
            + "tokens already in the cache, e.g. 0,4k,8k,16k,32k,64k,128k (list; default ${DEFAULT-VALUE}).")
    List<String> depths;

    @Option(names = {"-b", "--batch-size"}, split = ",", defaultValue = "2048", paramLabel = "N",
            description = EngineOptions.BATCH + " (list)")
    List<Integer> batches;

    @Option(names = {"-ub", "--ubatch-size"}, split = ",", defaultValue = "512", paramLabel = "N",
            description = EngineOptions.UBATCH + " (list)")
    List<Integer> ubatches;

    @Mixin
    EngineOptions.Threads threads = new EngineOptions.Threads();

    @Option(names = {"-r", "--repetitions"}, defaultValue = "3", paramLabel = "N", description = "Measured repetitions per cell (default ${DEFAULT-VALUE}).")
    int repetitions;

    @Option(names = "--warmup", negatable = true, defaultValue = "true", fallbackValue = "true", description = "An "
            + "unmeasured prefill + decode before each cell's repetitions, as llama-bench (default: on; --no-warmup skips it).")
    boolean warmup;

    @Option(names = "--memory-limit", paramLabel = "SIZE", description = "Treat the device as holding at most this much "
            + "(weights + KV + compute), e.g. 40GiB to see what fits a 40 GB card; cells beyond it are rejected.")
    String memoryLimit;

    @Option(names = "--beyond-trained-context", description = "Run depths past the model's trained context (llama.cpp "
            + "allows it; cost measurements stay valid) instead of rejecting those cells.")
    boolean beyondTrainedContext;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the random token ids (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--compare-llama-bench", description = "Also run llama.cpp's llama-bench (same build) on each model's "
            + "completed cells, after the model is freed, and report Java/native ratios.")
    boolean compare;

    @Option(names = "--llama-bench", paramLabel = "PATH", description = "llama-bench to compare with (default: bin/llama-bench of the loaded build).")
    Path llamaBenchPath;

    @Option(names = "--llama-bench-timeout", defaultValue = "3600", description = "Seconds one llama-bench run may take (default ${DEFAULT-VALUE}).")
    long llamaBenchTimeout;

    @Option(names = "--time-budget", paramLabel = "SECONDS", description = "Start no cell after this many seconds; the "
            + "cells left are reported as skipped (for GPU nodes lent for minutes).")
    Long timeBudget;

    @Option(names = {"-o", "--output"}, defaultValue = "md", paramLabel = "FORMAT", description = "What to print on stdout: md, csv, json, jsonl, none (default ${DEFAULT-VALUE}).")
    String output;

    @Option(names = "--out", paramLabel = "DIR", description = "Results folder (default: <results-root>/<date>-<machine>-<name>). "
            + "A folder that holds files already is refused unless --resume or --force.")
    Path out;

    @Option(names = "--results-root", defaultValue = "results", paramLabel = "DIR", description = "Where the default results "
            + "folder goes (default: ${DEFAULT-VALUE}, relative to the current directory; git-ignored in the project).")
    Path resultsRoot;

    @Option(names = "--resume", description = "Continue the sweep in the results folder (one cut short: killed, out of "
            + "time): cells already in its sweep.jsonl are kept, the others run. The options must give the same matrix.")
    boolean resume;

    @Option(names = "--force", description = "Replace the sweep files (sweep.*, charts, llama-bench output) in an existing results folder.")
    boolean force;

    @Option(names = "--name", defaultValue = "sweep", description = "Run name for the results folder (default ${DEFAULT-VALUE}).")
    String name;

    @Option(names = "--charts", split = ",", defaultValue = "png,svg", description = "Chart formats: png, svg, none (default ${DEFAULT-VALUE}).")
    List<String> charts;

    @Option(names = {"-v", "--verbose"}, description = "Show llama.cpp's log.")
    boolean verbose;

    @Option(names = {"-q", "--quiet"}, description = "No progress lines on stderr.")
    boolean quiet;

    // old spellings, hidden, for one release (OldSpelling): the K/V list of types or pairs, and --depth
    @Option(names = {"--kv", "-kv"}, split = ",", hidden = true)
    List<String> oldKv;

    @Option(names = "--depth", split = ",", hidden = true)
    List<String> oldDepths;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec commandSpec;

    @Override
    public Integer call() throws IOException {
        LlamaLog.setVerbose(verbose);
        String fmt = output.strip().toLowerCase(Locale.ROOT);
        if (!List.of("md", "csv", "json", "jsonl", "none").contains(fmt)) {
            throw new CtxbenchException("unknown output format '" + output + "': use md, csv, json, jsonl or none");
        }
        boolean png = false, svg = false;
        for (String c : charts) {
            switch (c.strip().toLowerCase(Locale.ROOT)) {
                case "png" -> png = true;
                case "svg" -> svg = true;
                case "none" -> { }
                default -> throw new CtxbenchException("unknown chart format '" + c + "': use png, svg or none");
            }
        }
        if (from != null) {
            if (!Files.isRegularFile(from.resolve("sweep.jsonl"))) {
                throw new CtxbenchException("--from " + from + ": no sweep.jsonl there");
            }
            try (RunFolderLock lock = RunFolderLock.acquire(from, "sweep")) {   // not while a sweep writes there
                return replot(lock, from, fmt, png, svg);
            }
        }
        if (models == null || models.isEmpty()) {
            throw new CtxbenchException("no model: give -m GGUF[,GGUF...] (or --from DIR to redraw an earlier sweep)");
        }
        if (!name.matches("[A-Za-z0-9._-]+")) {
            throw new CtxbenchException("--name may hold only letters, digits, '.', '_' and '-', got '" + name + "'");
        }
        List<String> kv = OldSpelling.take(commandSpec, "--cache-type-k and --cache-type-v", pairs(typesK, typesV), "--kv", oldKv);
        List<String> depths = OldSpelling.take(commandSpec, "--n-depth", this.depths, "--depth", oldDepths);
        SweepSpec spec = new SweepSpec(models, gpuLayers, kv, kvRotation, flashAttn, tokens(prompts), tokens(gens), tokens(depths),
                batches, ubatches, threads.count, repetitions, warmup, memoryLimit == null ? 0 : SweepSpec.parseBytes(memoryLimit), seed,
                beyondTrainedContext);
        List<SweepCell> cells = spec.expand();   // refuses an empty matrix before anything loads
        for (String m : new java.util.LinkedHashSet<>(models)) {
            ModelFiles.checkGguf(Path.of(m), false);   // a missing or broken model ends the sweep before it starts
        }
        if (resume && force) {
            throw new CtxbenchException("--resume continues the sweep in the folder, --force replaces it: give one of them");
        }
        NativeLibrary.ensureLoaded();
        Path dir = out != null ? out : resultsRoot.resolve(LocalDate.now(ZoneOffset.UTC) + "-" + machineSlug() + "-" + name);
        try (RunFolderLock lock = RunFolderLock.acquire(dir, "sweep")) {   // a second sweep on the folder is refused
            return run(lock, dir, spec, cells, fmt, png, svg);
        }
    }

    /** A short machine name for result folders: the first GPU's model (e.g. nvidia-h100-80gb-hbm3), else cpu. */
    static String machineSlug() {
        for (Devices.Device d : Devices.list()) {
            if (!d.type().equals("cpu")) {
                String t = d.description().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-+|-+$)", "");
                return t.isEmpty() ? "unknown" : t;
            }
        }
        return "cpu";
    }

    private Integer run(RunFolderLock lock, Path dir, SweepSpec spec, List<SweepCell> cells, String fmt, boolean png,
                        boolean svg) throws IOException {
        Map<Integer, CellResult> done = prepareFolder(dir, spec, cells);
        LlamaBench lb = compare ? new LlamaBench(llamaBenchPath, dir.resolve("llama-bench.log"), dir, llamaBenchTimeout) : null;
        // the arguments as typed, so that a results folder says how to run it again
        // (through Main they start with "sweep"; a test may run this command on its own)
        List<String> args = commandSpec.commandLine().getParseResult().originalArgs();
        List<String> commandLine = new ArrayList<>(List.of("ctxbench"));
        if (args.isEmpty() || !args.getFirst().equals("sweep")) {
            commandLine.add("sweep");
        }
        commandLine.addAll(args);
        Map<String, Object> extra = new LinkedHashMap<>();
        if (resume) {
            extra.put("resumed_with_cells_done", done.size());
        }
        if (lb != null) {
            extra.put("llama_bench", lb.executable().toString());
        }
        ObjectNode doc = SweepResults.document(Environment.collect(commandLine), extra, spec, List.copyOf(done.values()));
        // the manifest first: a sweep cut short (a GPU node's time limit) still says what ran where, and
        // `sweep --from DIR` completes the folder from the cells streamed to sweep.jsonl
        SweepResults.writeDocument(lock, dir, doc);
        Path jsonl = dir.resolve(SweepResults.JSONL);
        List<CellResult> results;
        // each cell is forced to disk as soon as it is done: a sweep killed (or a node taken back) keeps every cell
        // it measured, and --resume or --from continue from there (opening the log cuts a torn last line)
        try (ResultsLog log = SweepResults.openLog(lock, dir)) {
            SweepRunner runner = new SweepRunner(spec, lb, quiet ? null : s -> System.err.println("sweep: " + s)).resumeFrom(done);
            if (timeBudget != null) {
                runner.withTimeBudget(timeBudget);
            }
            if (!done.isEmpty() && !quiet) {
                commandSpec.commandLine().getErr().println("sweep: resuming: " + done.size() + " of " + cells.size()
                        + " cells already done in " + jsonl);
                commandSpec.commandLine().getErr().flush();
            }
            results = runner.run(r -> SweepResults.append(log, r));
        }
        SweepResults.rewrite(lock, dir, results);   // every cell final now: one line each, in cell order
        String md = Reports.markdown(results);
        Files.writeString(dir.resolve("sweep.md"), md, StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("sweep.csv"), Reports.csv(results), StandardCharsets.UTF_8);
        String json = SweepResults.writeDocument(lock, dir, SweepResults.withCells(doc, results));
        List<Path> drawn = charts(results, dir, png, svg);
        print(fmt, md, results, json, jsonl);
        long ok = results.stream().filter(CellResult::ok).count();
        if (ok == 0) {
            throw new CtxbenchException("no cell could run (" + reasons(results) + "); the reasons are in " + dir.resolve("sweep.md"));
        }
        if (!quiet) {
            System.err.println("sweep: " + ok + " of " + results.size() + " cells ran; results in " + dir
                    + (drawn.isEmpty() ? "" : " (" + drawn.size() + " charts)"));
        }
        return 0;
    }

    /** The distinct reasons of cells that did not run, most frequent first, for a one-line error. */
    static String reasons(List<CellResult> results) {
        Map<String, Long> n = new java.util.TreeMap<>();
        results.stream().filter(r -> !r.ok()).forEach(r -> n.merge(r.status() + ": " + r.reason(), 1L, Long::sum));
        return n.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(3)
                .map(e -> e.getValue() + " x " + e.getKey()).collect(java.util.stream.Collectors.joining("; "));
    }

    /** The files a sweep writes into its folder; --force removes these and nothing else. */
    private static boolean sweepFile(Path p) {
        String n = p.getFileName().toString();
        return n.startsWith("sweep.") || n.startsWith("llama-bench") || n.endsWith("-vs-depth.png") || n.endsWith("-vs-depth.svg");
    }

    /**
     * Makes the results folder ready: a new or empty folder is used as it is; a folder holding files is refused
     * unless --force (the sweep's files are removed) or --resume (the cells in its sweep.jsonl are returned, after
     * checking they belong to this matrix, and a torn last line is cut off so that new lines start on a fresh one).
     */
    private Map<Integer, CellResult> prepareFolder(Path dir, SweepSpec spec, List<SweepCell> cells) throws IOException {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new CtxbenchException("the results folder " + dir + " is a file");
        }
        Files.createDirectories(dir);
        List<Path> present;
        try (var s = Files.list(dir)) {   // the lock file this sweep holds is not content
            present = s.filter(p -> !(p.getFileName().toString().startsWith(".ctxbench-") && p.toString().endsWith(".lock"))).toList();
        }
        Path jsonl = dir.resolve(SweepResults.JSONL);
        if (resume) {
            if (!Files.isRegularFile(jsonl)) {
                throw new CtxbenchException("--resume: " + dir + " holds no sweep.jsonl to continue");
            }
            checkSameMatrix(dir.resolve(SweepResults.JSON), spec);
            java.io.PrintWriter err = commandSpec.commandLine().getErr();
            List<CellResult> earlier = SweepResults.read(jsonl, w -> err.println("sweep: warning: " + w));
            err.flush();
            Map<Integer, CellResult> done = new LinkedHashMap<>();
            for (CellResult r : earlier) {
                int i = r.cell().index();
                if (i < 0 || i >= cells.size() || !cells.get(i).equals(r.cell())) {
                    throw new CtxbenchException("--resume: " + jsonl + " holds a cell of another matrix (" + r.cell() + ")");
                }
                // a cell measured before llama-bench compared it runs again, so that every ratio comes from one run
                boolean final_ = !CellResult.SKIPPED.equals(r.status()) && (!compare || !r.ok() || r.llamaBench() != null);
                if (final_) {
                    done.put(i, r);
                } else {
                    done.remove(i);
                }
            }
            return done;
        }
        if (!present.isEmpty()) {
            if (!force) {
                throw new CtxbenchException("the results folder " + dir + " is not empty: continue a sweep cut short with "
                        + "--resume, replace its results with --force, or choose another --out / --name");
            }
            for (Path p : present) {
                if (sweepFile(p)) {
                    Files.delete(p);
                }
            }
        }
        return Map.of();
    }

    /** Refuses to resume a folder whose sweep.json describes another matrix, naming the settings that differ. */
    private static void checkSameMatrix(Path jsonFile, SweepSpec spec) {
        JsonNode before;
        try {
            before = SweepResults.readDocument(jsonFile).path("spec");
        } catch (IOException e) {
            throw new CtxbenchException("--resume: cannot read " + jsonFile + " (" + e.getMessage() + ")");
        }
        JsonNode now = Json.MAPPER.valueToTree(spec);
        List<String> differ = new ArrayList<>();
        now.fieldNames().forEachRemaining(f -> {
            if (!String.valueOf(now.get(f)).equals(String.valueOf(before.get(f)))) {   // as text: 0 read back is an int, written a long
                differ.add(f + " " + before.get(f) + " -> " + now.get(f));
            }
        });
        if (before.isMissingNode() || !differ.isEmpty()) {
            throw new CtxbenchException("--resume with another matrix than " + jsonFile + " describes: "
                    + (before.isMissingNode() ? "it has no spec" : String.join(", ", differ)));
        }
    }

    /**
     * Charts are a convenience: a format a machine cannot draw (PNG without fonts) is said once and the other
     * format and every result are still written; the charts can be drawn again elsewhere from sweep.jsonl.
     */
    private static List<Path> charts(List<CellResult> results, Path dir, boolean png, boolean svg) {
        List<ChartFiles.Format> formats = new ArrayList<>();
        if (svg) {
            formats.add(ChartFiles.SVG);
        }
        if (png) {
            formats.add(ChartFiles.PNG);
        }
        ChartFiles files = new ChartFiles(formats, w -> System.err.println("sweep: warning: " + w
                + "; every result is written; to draw the charts elsewhere: ctxbench sweep --from " + dir));
        List<Path> drawn = new ArrayList<>();
        Charts.of(results).forEach((name, chart) -> drawn.addAll(files.save(chart, dir, name)));
        return drawn;
    }

    private Integer replot(RunFolderLock lock, Path dir, String fmt, boolean png, boolean svg) throws IOException {
        Path jsonl = dir.resolve(SweepResults.JSONL);
        if (!Files.isRegularFile(jsonl)) {
            throw new CtxbenchException("--from " + dir + ": no sweep.jsonl there");
        }
        java.io.PrintWriter err = commandSpec.commandLine().getErr();
        List<CellResult> results = SweepResults.read(jsonl, w -> err.println("sweep: warning: " + w));
        err.flush();
        String md = Reports.markdown(results);
        Files.writeString(dir.resolve("sweep.md"), md, StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("sweep.csv"), Reports.csv(results), StandardCharsets.UTF_8);
        List<Path> drawn = charts(results, dir, png, svg);
        Path jsonFile = dir.resolve(SweepResults.JSON);
        String json = "";
        if (Files.isRegularFile(jsonFile)) {   // keep its manifest and spec, take the cells from sweep.jsonl
            ObjectNode o;
            try {
                o = SweepResults.readDocument(jsonFile);
            } catch (IOException e) {
                throw new CtxbenchException(jsonFile + " is not a sweep's JSON (" + e.getMessage() + "); move it away to redraw from sweep.jsonl alone");
            }
            json = SweepResults.writeDocument(lock, dir, SweepResults.withCells(o, results));
        }
        print(fmt, md, results, json, jsonl);
        if (!quiet) {
            System.err.println("sweep: redrew " + results.size() + " cells from " + jsonl + " (" + drawn.size() + " charts)");
        }
        return 0;
    }

    private static void print(String fmt, String md, List<CellResult> results, String json, Path jsonl) throws IOException {
        switch (fmt) {
            case "md" -> System.out.print(md);
            case "csv" -> System.out.print(Reports.csv(results));
            case "json" -> System.out.print(json);
            case "jsonl" -> System.out.print(Files.readString(jsonl, StandardCharsets.UTF_8));
            default -> { }
        }
    }

    /** Every K/V pair, K outermost as in llama-bench: "t" when both are t (as the sweep has always named it), else "k/v". */
    static List<String> pairs(List<String> typesK, List<String> typesV) {
        List<String> out = new ArrayList<>();
        for (String k : typesK) {
            for (String v : typesV) {
                out.add(k.strip().equalsIgnoreCase(v.strip()) ? k.strip() : k.strip() + "/" + v.strip());
            }
        }
        return out;
    }

    private static List<Integer> tokens(List<String> l) {
        List<Integer> out = new ArrayList<>();
        for (String s : l) {
            out.add(SweepSpec.parseTokens(s));
        }
        return out;
    }
}
