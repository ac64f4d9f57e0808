package io.ctxbench.cli;

import io.ctxbench.CtxbenchException;
import io.ctxbench.bench.CellResult;
import io.ctxbench.bench.Charts;
import io.ctxbench.bench.LlamaBench;
import io.ctxbench.bench.Reports;
import io.ctxbench.bench.RunManifest;
import io.ctxbench.bench.SweepRunner;
import io.ctxbench.bench.SweepSpec;
import io.ctxbench.engine.LlamaLog;
import io.ctxbench.engine.NativeLibrary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
                "  ctxbench sweep -m l8b-f16.gguf,l8b-q4_k_m.gguf --kv f16,q8_0,q4_0 -fa on -d 0,32k --compare-llama-bench",
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

    @Option(names = {"-ngl", "--gpu-layers"}, split = ",", defaultValue = "-1", description = "Layers on the GPU; -1 = all (list; default ${DEFAULT-VALUE}).")
    List<Integer> gpuLayers;

    @Option(names = {"--kv", "-kv"}, split = ",", defaultValue = "f16", paramLabel = "T|K/V",
            description = "KV cache types: f16, bf16, q8_0, q4_0, or K/V pairs such as q8_0/f16 (list; default ${DEFAULT-VALUE}).")
    List<String> kv;

    @Option(names = {"-fa", "--flash-attn"}, split = ",", defaultValue = "on", description = "Flash attention: on, off, auto (list; default ${DEFAULT-VALUE}).")
    List<String> flashAttn;

    @Option(names = {"-p", "--n-prompt"}, split = ",", defaultValue = "512", description = "Prefill sizes in tokens; 0 = none (list; default ${DEFAULT-VALUE}).")
    List<String> prompts;

    @Option(names = {"-n", "--n-gen"}, split = ",", defaultValue = "128", description = "Decode lengths in tokens; 0 = none (list; default ${DEFAULT-VALUE}).")
    List<String> gens;

    @Option(names = {"-d", "--depth"}, split = ",", defaultValue = "0", description = "Context depths: tokens already in the cache, e.g. 0,4k,8k,16k,32k,64k,128k (list; default ${DEFAULT-VALUE}).")
    List<String> depths;

    @Option(names = {"-b", "--batch-size"}, split = ",", defaultValue = "2048", description = "Logical batch sizes (list; default ${DEFAULT-VALUE}).")
    List<Integer> batches;

    @Option(names = {"-ub", "--ubatch-size"}, split = ",", defaultValue = "512", description = "Micro-batch sizes (list; default ${DEFAULT-VALUE}).")
    List<Integer> ubatches;

    @Option(names = {"-t", "--threads"}, defaultValue = "0", converter = ThreadCount.class, description = "CPU threads; 0 = one per processor (default).")
    int threads;

    @Option(names = {"-r", "--repetitions"}, defaultValue = "3", description = "Measured repetitions per cell (default ${DEFAULT-VALUE}).")
    int repetitions;

    @Option(names = "--no-warmup", description = "Skip the unmeasured prefill + decode before each cell's repetitions.")
    boolean noWarmup;

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

    @Option(names = {"-o", "--output"}, defaultValue = "md", description = "What to print on stdout: md, csv, json, jsonl, none (default ${DEFAULT-VALUE}).")
    String output;

    @Option(names = "--out", paramLabel = "DIR", description = "Results folder (default: <results-root>/<date>-<machine>-<name>).")
    Path out;

    @Option(names = "--results-root", defaultValue = "bench/results", paramLabel = "DIR", description = "Default: ${DEFAULT-VALUE}.")
    Path resultsRoot;

    @Option(names = "--name", defaultValue = "sweep", description = "Run name for the results folder (default ${DEFAULT-VALUE}).")
    String name;

    @Option(names = "--charts", split = ",", defaultValue = "png,svg", description = "Chart formats: png, svg, none (default ${DEFAULT-VALUE}).")
    List<String> charts;

    @Option(names = {"-v", "--verbose"}, description = "Show llama.cpp's log.")
    boolean verbose;

    @Option(names = {"-q", "--quiet"}, description = "No progress lines on stderr.")
    boolean quiet;

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
            return replot(from, fmt, png, svg);
        }
        if (models == null || models.isEmpty()) {
            throw new CtxbenchException("no model: give -m GGUF[,GGUF...] (or --from DIR to redraw an earlier sweep)");
        }
        if (!name.matches("[A-Za-z0-9._-]+")) {
            throw new CtxbenchException("--name may hold only letters, digits, '.', '_' and '-', got '" + name + "'");
        }
        SweepSpec spec = new SweepSpec(models, gpuLayers, kv, flashAttn, tokens(prompts), tokens(gens), tokens(depths),
                batches, ubatches, threads, repetitions, !noWarmup, memoryLimit == null ? 0 : SweepSpec.parseBytes(memoryLimit), seed,
                beyondTrainedContext);
        spec.expand();   // refuses an empty matrix before anything loads
        NativeLibrary.ensureLoaded();
        Path dir = out != null ? out : resultsRoot.resolve(RunManifest.today() + "-" + RunManifest.machineSlug() + "-" + name);
        Files.createDirectories(dir);
        LlamaBench lb = compare ? new LlamaBench(llamaBenchPath, dir.resolve("llama-bench.log"), dir, llamaBenchTimeout) : null;
        // the arguments as typed, so that a results folder says how to run it again
        // (through Main they start with "sweep"; a test may run this command on its own)
        List<String> args = commandSpec.commandLine().getParseResult().originalArgs();
        List<String> commandLine = new ArrayList<>(List.of("ctxbench"));
        if (args.isEmpty() || !args.getFirst().equals("sweep")) {
            commandLine.add("sweep");
        }
        commandLine.addAll(args);
        Map<String, Object> manifest = RunManifest.collect(commandLine);
        if (lb != null) {
            manifest.put("llama_bench", lb.executable().toString());
        }
        Path jsonl = dir.resolve("sweep.jsonl");
        Path jsonFile = dir.resolve("sweep.json");
        // the manifest first: a sweep cut short (a GPU node's time limit) still says what ran where, and
        // `sweep --from DIR` completes the folder from the cells streamed to sweep.jsonl
        Files.writeString(jsonFile, Reports.json(manifest, spec, List.of()), StandardCharsets.UTF_8);
        List<CellResult> results;
        try (Writer w = Files.newBufferedWriter(jsonl, StandardCharsets.UTF_8)) {
            SweepRunner runner = new SweepRunner(spec, lb, quiet ? null : s -> System.err.println("sweep: " + s));
            if (timeBudget != null) {
                runner.withTimeBudget(timeBudget);
            }
            results = runner.run(r -> {
                try {
                    w.write(Reports.jsonLine(r));
                    w.flush();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
        writeJsonl(jsonl, results);   // every cell final now: one line each, in cell order
        String md = Reports.markdown(results);
        Files.writeString(dir.resolve("sweep.md"), md, StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("sweep.csv"), Reports.csv(results), StandardCharsets.UTF_8);
        String json = Reports.json(manifest, spec, results);
        Files.writeString(jsonFile, json, StandardCharsets.UTF_8);
        List<Path> drawn = charts(results, dir, png, svg);
        print(fmt, md, results, json, jsonl);
        long ok = results.stream().filter(CellResult::ok).count();
        if (!quiet) {
            System.err.println("sweep: " + ok + " of " + results.size() + " cells ran; results in " + dir
                    + (drawn.isEmpty() ? "" : " (" + drawn.size() + " charts)"));
        }
        return 0;
    }

    /** Charts are a convenience: a machine that cannot draw them (no fonts) keeps every result and says how to draw them later. */
    private static List<Path> charts(List<CellResult> results, Path dir, boolean png, boolean svg) {
        if (!png && !svg) {
            return List.of();
        }
        try {
            return Charts.write(results, dir, png, svg);
        } catch (CtxbenchException e) {
            System.err.println("sweep: warning: " + e.getMessage() + "; the results are written; draw the charts on "
                    + "another machine with: ctxbench sweep --from " + dir);
            return List.of();
        }
    }

    private Integer replot(Path dir, String fmt, boolean png, boolean svg) throws IOException {
        Path jsonl = dir.resolve("sweep.jsonl");
        if (!Files.isRegularFile(jsonl)) {
            throw new CtxbenchException("--from " + dir + ": no sweep.jsonl there");
        }
        java.io.PrintWriter err = commandSpec.commandLine().getErr();
        List<CellResult> results = Reports.readJsonl(jsonl, w -> err.println("sweep: warning: " + w));
        err.flush();
        String md = Reports.markdown(results);
        Files.writeString(dir.resolve("sweep.md"), md, StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("sweep.csv"), Reports.csv(results), StandardCharsets.UTF_8);
        List<Path> drawn = charts(results, dir, png, svg);
        Path jsonFile = dir.resolve("sweep.json");
        String json = "";
        if (Files.isRegularFile(jsonFile)) {   // keep its manifest and spec, take the cells from sweep.jsonl
            com.fasterxml.jackson.databind.node.ObjectNode o;
            try {
                o = (com.fasterxml.jackson.databind.node.ObjectNode) Reports.MAPPER.readTree(jsonFile.toFile());
            } catch (IOException | ClassCastException e) {
                throw new CtxbenchException(jsonFile + " is not a sweep's JSON (" + e.getMessage() + "); move it away to redraw from sweep.jsonl alone");
            }
            o.set("cells", Reports.MAPPER.valueToTree(results));
            json = Reports.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n";
            Files.writeString(jsonFile, json, StandardCharsets.UTF_8);
        }
        print(fmt, md, results, json, jsonl);
        if (!quiet) {
            System.err.println("sweep: redrew " + results.size() + " cells from " + jsonl + " (" + drawn.size() + " charts)");
        }
        return 0;
    }

    /** Replaces the streamed sweep.jsonl by one line per cell, atomically: a reader sees the old file or the new one. */
    private static void writeJsonl(Path jsonl, List<CellResult> results) throws IOException {
        Path tmp = jsonl.resolveSibling(jsonl.getFileName() + ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            for (CellResult r : results) {
                w.write(Reports.jsonLine(r));
            }
        }
        Files.move(tmp, jsonl, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
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

    private static List<Integer> tokens(List<String> l) {
        List<Integer> out = new ArrayList<>();
        for (String s : l) {
            out.add(SweepSpec.parseTokens(s));
        }
        return out;
    }
}
