package io.ctxbench.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.NativeLibrary;
import io.ctxbench.results.CellResult;
import io.ctxbench.results.Json;
import io.ctxbench.results.Stat;
import io.ctxbench.results.SweepCell;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Parity mode: runs llama.cpp's own llama-bench (from the same build as the loaded libraries) on the cells a
 * model's Java run completed, with the same settings, and attaches its figures and the ratio Java / native.
 * One llama-bench process per model, GPU layers, KV pair, flash attention and batch setting, with the cells'
 * prompt sizes, generation lengths and depths as lists (llama-bench runs pp and tg as separate tests at each
 * depth, which is what a cell measures). Cells that were rejected are not passed on, so that llama-bench, which
 * stops at its first failing test, runs the rest.
 */
public final class LlamaBench {
    private final Path executable;
    private final Path logFile;
    private final Path rawDir;
    private final long timeoutSeconds;
    private int invocations;   // numbers the raw JSON files across every model of the sweep

    /**
     * @param executable llama-bench; null = bin/llama-bench next to the lib folder the engine loaded
     * @param logFile    where llama-bench's stderr goes (appended); null = discarded
     * @param rawDir     where each invocation's JSON is kept; null = not kept
     */
    public LlamaBench(Path executable, Path logFile, Path rawDir, long timeoutSeconds) {
        this.executable = executable != null ? executable : NativeLibrary.locate().getParent().resolve("bin").resolve("llama-bench");
        if (!Files.isExecutable(this.executable)) {
            throw new CtxbenchException("llama-bench not found at " + this.executable
                    + ": build llama.cpp with native/build.sh (it builds llama-bench) or pass --llama-bench PATH");
        }
        this.logFile = logFile;
        this.rawDir = rawDir;
        this.timeoutSeconds = timeoutSeconds;
    }

    public Path executable() {
        return executable;
    }

    /** The K/V types llama-bench of the pinned build parses (tools/llama-bench/llama-bench.cpp ggml_type_from_name): no f32. */
    static final List<String> BENCH_KV_TYPES = List.of("f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "iq4_nl");

    /** The llama-bench arguments for a group of cells sharing everything but test sizes and depth. */
    static List<String> arguments(List<SweepCell> cells, SweepSpec spec) {
        SweepCell c = cells.getFirst();
        TreeSet<Integer> pp = new TreeSet<>(), tg = new TreeSet<>(), d = new TreeSet<>();
        for (SweepCell x : cells) {
            if (x.nPrompt() > 0) {
                pp.add(x.nPrompt());
            }
            if (x.nGen() > 0) {
                tg.add(x.nGen());
            }
            d.add(x.depth());
        }
        List<String> a = new ArrayList<>(List.of("-m", c.model(), "-ngl", String.valueOf(c.gpuLayers()),
                "-ctk", c.typeK(), "-ctv", c.typeV(), "-fa", faArg(c.flashAttn()),
                "-p", pp.isEmpty() ? "0" : join(pp), "-n", tg.isEmpty() ? "0" : join(tg), "-d", join(d),
                "-b", String.valueOf(c.batch()), "-ub", String.valueOf(c.ubatch()), "-t", String.valueOf(c.threads()),
                "-r", String.valueOf(spec.repetitions()), "-o", "json"));
        if (!spec.warmup()) {
            a.add("--no-warmup");
        }
        return a;
    }

    private static String faArg(String fa) {
        return switch (fa) {
            case "on", "1", "true", "enabled" -> "1";
            case "off", "0", "false", "disabled" -> "0";
            default -> "auto";
        };
    }

    private static String join(TreeSet<Integer> s) {
        return String.join(",", s.stream().map(String::valueOf).toList());
    }

    private static String groupKey(SweepCell c) {
        return c.model() + "|" + c.gpuLayers() + "|" + c.typeK() + "|" + c.typeV() + "|" + c.kvRotation() + "|" + c.flashAttn() + "|" + c.batch()
                + "|" + c.ubatch() + "|" + c.threads();
    }

    /** Runs llama-bench for the group's completed cells and returns the results with its figures attached. */
    List<CellResult> attach(List<CellResult> results, SweepSpec spec, Consumer<String> progress,
                            java.util.function.BooleanSupplier pastDeadline) {
        Map<String, List<SweepCell>> groups = new LinkedHashMap<>();
        for (CellResult r : results) {
            if (r.ok()) {
                groups.computeIfAbsent(groupKey(r.cell()), k -> new ArrayList<>()).add(r.cell());
            }
        }
        Map<String, JsonNode> tests = new LinkedHashMap<>();
        Map<String, String> errors = new LinkedHashMap<>();
        for (var g : groups.entrySet()) {
            if (pastDeadline.getAsBoolean()) {
                errors.put(g.getKey(), "not run: time budget used up");
                continue;
            }
            SweepCell first = g.getValue().getFirst();
            if (!BENCH_KV_TYPES.contains(first.typeK()) || !BENCH_KV_TYPES.contains(first.typeV())) {
                errors.put(g.getKey(), "not run: llama-bench's -ctk/-ctv take only " + String.join(", ", BENCH_KV_TYPES)
                        + " (tools/llama-bench ggml_type_from_name)");
                continue;
            }
            List<String> args = arguments(g.getValue(), spec);
            boolean rotationOff = g.getValue().getFirst().kvRotation().equals("off");
            progress.accept((rotationOff ? ROTATION_OFF + " " : "") + "llama-bench " + String.join(" ", args));
            try {
                JsonNode arr = run(args, rotationOff, invocations++);
                for (JsonNode t : arr) {
                    tests.put(g.getKey() + "|" + t.path("n_prompt").asInt() + "|" + t.path("n_gen").asInt() + "|"
                            + t.path("n_depth").asInt(), t);
                }
            } catch (CtxbenchException e) {
                errors.put(g.getKey(), e.getMessage());
                progress.accept("llama-bench failed: " + e.getMessage());
            }
        }
        List<CellResult> out = new ArrayList<>();
        for (CellResult r : results) {
            if (!r.ok()) {
                out.add(r);
                continue;
            }
            SweepCell c = r.cell();
            String key = groupKey(c);
            if (errors.containsKey(key)) {
                out.add(r.withNative(new CellResult.NativeResult(null, null, null, null, errors.get(key))));
                continue;
            }
            JsonNode pp = c.nPrompt() > 0 ? tests.get(key + "|" + c.nPrompt() + "|0|" + c.depth()) : null;
            JsonNode tg = c.nGen() > 0 ? tests.get(key + "|0|" + c.nGen() + "|" + c.depth()) : null;
            Stat nPp = stat(pp), nTg = stat(tg);
            String missing = (c.nPrompt() > 0 && pp == null) || (c.nGen() > 0 && tg == null) ? "llama-bench reported no such test" : null;
            out.add(r.withNative(new CellResult.NativeResult(nPp, nTg, ratio(r.prefillTokensPerSecond(), nPp),
                    ratio(r.decodeTokensPerSecond(), nTg), missing)));
        }
        return out;
    }

    private static Stat stat(JsonNode t) {
        if (t == null) {
            return null;
        }
        JsonNode s = t.path("samples_ts");
        double[] runs = new double[s.size()];
        for (int i = 0; i < runs.length; i++) {
            runs[i] = s.get(i).asDouble();
        }
        return new Stat(t.path("avg_ts").asDouble(), t.path("stddev_ts").asDouble(), runs);
    }

    private static Double ratio(Stat java, Stat nat) {
        return java == null || nat == null || nat.mean() <= 0 ? null : java.mean() / nat.mean();
    }

    /**
     * Kills a process and everything it started (a wrapper script's llama-bench, llama-bench's own helpers), children
     * first so that none is re-parented and left running on the device.
     */
    static void destroyTree(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    /** llama-bench's environment for a cell with KV rotation off (llama.cpp has no option for it: KvRotation). */
    static final String ROTATION_OFF = "LLAMA_ATTN_ROT_DISABLE=1";

    /**
     * Runs llama-bench with the arguments and parses its JSON array; with {@code rotationOff} it gets
     * LLAMA_ATTN_ROT_DISABLE=1, else the variable is removed from its environment (the cells say rotation on).
     */
    JsonNode run(List<String> args, boolean rotationOff, int invocation) {
        List<String> cmd = new ArrayList<>();
        cmd.add(executable.toString());
        cmd.addAll(args);
        try {
            Path out = Files.createTempFile("llama-bench-", ".json");
            try {
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile());
                String var = ROTATION_OFF.substring(0, ROTATION_OFF.indexOf('='));
                pb.environment().remove(var);
                if (rotationOff) {
                    pb.environment().put(var, ROTATION_OFF.substring(var.length() + 1));
                }
                if (logFile != null) {
                    Files.writeString(logFile, "$ " + (rotationOff ? ROTATION_OFF + " " : "") + String.join(" ", cmd) + "\n", StandardCharsets.UTF_8,
                            java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
                    pb.redirectError(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
                } else {
                    pb.redirectError(ProcessBuilder.Redirect.DISCARD);
                }
                Process p = pb.start();
                // a sweep stopped (SIGTERM, Ctrl-C) while llama-bench runs takes it along instead of leaving it on the GPU
                Thread stop = new Thread(() -> destroyTree(p), "llama-bench-stop");
                Runtime.getRuntime().addShutdownHook(stop);
                try {
                    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                        destroyTree(p);
                        throw new CtxbenchException("llama-bench did not finish within " + timeoutSeconds + " s");
                    }
                } finally {
                    try {
                        Runtime.getRuntime().removeShutdownHook(stop);
                    } catch (IllegalStateException shuttingDown) {
                        // the hook runs (or ran) anyway
                    }
                }
                String json = Files.readString(out, StandardCharsets.UTF_8);
                if (rawDir != null) {
                    Files.writeString(rawDir.resolve("llama-bench-" + invocation + ".json"), json, StandardCharsets.UTF_8);
                }
                if (p.exitValue() != 0) {
                    throw new CtxbenchException("llama-bench exited with " + p.exitValue()
                            + (logFile != null ? " (see " + logFile.getFileName() + ")" : ""));
                }
                JsonNode arr = Json.MAPPER.readTree(json);
                if (arr == null || !arr.isArray()) {
                    throw new CtxbenchException("llama-bench printed no JSON array");
                }
                return arr;
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new CtxbenchException("cannot run llama-bench: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CtxbenchException("interrupted while llama-bench ran");
        }
    }
}
