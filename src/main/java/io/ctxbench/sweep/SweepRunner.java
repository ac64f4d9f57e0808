package io.ctxbench.sweep;

import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.ContextMemory;
import io.ctxbench.engine.Devices;
import io.ctxbench.engine.FlashAttention;
import io.ctxbench.engine.KvCacheType;
import io.ctxbench.engine.KvRotation;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.Session;
import io.ctxbench.gguf.GgufFile;
import io.ctxbench.results.CellResult;
import io.ctxbench.results.Schema;
import io.ctxbench.results.Stat;
import io.ctxbench.results.SweepCell;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Runs a {@link SweepSpec} the way llama-bench runs its tests: a model stays loaded while its cells run, each
 * cell gets a fresh session, the cache is cleared before every repetition, the cache filled to the depth is kept
 * (llama_state_seq_get/set_data) and restored instead of recomputed when the next repetition or cell needs the
 * same depth with the same KV layout. A cell that cannot run is reported with the reason and the sweep goes on.
 */
public final class SweepRunner {
    /** Safety margin on the memory estimate before a context is created. */
    static final double FIT_MARGIN = 1.05;

    private final SweepSpec spec;
    private final Consumer<String> progress;
    private final LlamaBench llamaBench;

    // the cached depth state: at most one at a time, as llama-bench keeps one
    private Arena stateArena;
    private MemorySegment state;
    private String stateKey;
    private boolean keepState;
    private long deadline = Long.MAX_VALUE;   // System.nanoTime() after which no cell starts
    private Map<Integer, CellResult> done = Map.of();   // cells of an earlier run of the same spec (resume), by index

    /**
     * @param llamaBench when not null, each model's cells are also run by llama-bench (after the model is freed)
     *                   and the ratios attached
     */
    public SweepRunner(SweepSpec spec, LlamaBench llamaBench, Consumer<String> progress) {
        this.spec = Objects.requireNonNull(spec);
        this.llamaBench = llamaBench;
        this.progress = progress == null ? s -> { } : progress;
    }

    /**
     * No cell (and no llama-bench run) starts after {@code seconds} from now; the cells left are reported as
     * skipped. For runs that must end in time (a GPU node lent for minutes).
     */
    public SweepRunner withTimeBudget(long seconds) {
        if (seconds <= 0) {
            throw new CtxbenchException("the time budget must be positive, got " + seconds + " s");
        }
        deadline = System.nanoTime() + seconds * 1_000_000_000L;
        return this;
    }

    /**
     * Cells an earlier run of the same spec finished (by cell index): they are not run again, and not handed to
     * {@code onCell}; {@link #run} returns them in their place. A model whose cells are all done is not loaded.
     */
    public SweepRunner resumeFrom(Map<Integer, CellResult> finished) {
        done = Map.copyOf(finished);
        return this;
    }

    boolean pastDeadline() {
        return System.nanoTime() - deadline > 0;
    }

    /**
     * Runs every cell and returns the results in cell order. {@code onCell} (may be null) sees each result as soon
     * as the cell is done, so that a sweep cut short keeps what it measured; with llama-bench it sees each
     * completed cell a second time, with llama-bench's figures attached, once the model's llama-bench run is
     * done; the second result replaces the first.
     */
    public List<CellResult> run(Consumer<CellResult> onCell) {
        Consumer<CellResult> emit = onCell != null ? onCell : r -> { };
        List<SweepCell> cells = spec.expand();
        List<CellResult> out = new ArrayList<>();
        try {
            int i = 0;
            while (i < cells.size()) {
                int j = i;
                while (j < cells.size() && sameModel(cells.get(i), cells.get(j))) {
                    j++;
                }
                List<SweepCell> todo = cells.subList(i, j).stream().filter(c -> !done.containsKey(c.index())).toList();
                List<CellResult> group = todo.isEmpty() ? List.of() : runModel(todo, emit);
                // runModel has closed its sessions and freed the model (and dropped the kept depth state), so that
                // llama-bench loads the same file into a device holding only this process's CUDA context: a 70B
                // Q4_K_M (40 GiB) twice would not fit an 80 GB GPU (SweepRunnerTest)
                if (llamaBench != null && !group.isEmpty()) {
                    List<CellResult> compared = llamaBench.attach(group, spec, progress, this::pastDeadline);
                    for (int k = 0; k < compared.size(); k++) {
                        if (compared.get(k) != group.get(k)) {
                            emit.accept(compared.get(k));
                        }
                    }
                    group = compared;
                }
                Map<Integer, CellResult> ran = new java.util.HashMap<>();
                group.forEach(r -> ran.put(r.cell().index(), r));
                for (SweepCell c : cells.subList(i, j)) {
                    out.add(done.containsKey(c.index()) ? done.get(c.index()) : ran.get(c.index()));
                }
                i = j;
            }
        } finally {
            dropState();
        }
        return out;
    }

    private static boolean sameModel(SweepCell a, SweepCell b) {
        return a.model().equals(b.model()) && a.gpuLayers() == b.gpuLayers();
    }

    /** Checks a cell needs no model for: types, attention, sizes. Null when it may run. */
    static String staticCheck(SweepCell c) {
        try {
            KvCacheType k = KvCacheType.parse(c.typeK());
            KvCacheType v = KvCacheType.parse(c.typeV());
            KvRotation rot = KvRotation.parse(c.kvRotation());
            FlashAttention fa = FlashAttention.parse(c.flashAttn());
            if (c.nPrompt() < 0 || c.nGen() < 0 || c.depth() < 0) {
                return "prompt length, generation length and depth must be >= 0";
            }
            new Session.Params(Math.max(1, (int) Math.min(Integer.MAX_VALUE, c.contextNeeded())), c.batch(), c.ubatch(),
                    c.threads(), fa, k, v, rot);
            if (c.contextNeeded() > Integer.MAX_VALUE - 256) {
                return "depth " + c.depth() + " plus the test needs more positions than llama.cpp can hold";
            }
            return null;
        } catch (CtxbenchException e) {
            return e.getMessage();
        }
    }

    /** The model's cells, each handed to {@code emit} as soon as its result is known. */
    private List<CellResult> runModel(List<SweepCell> cells, Consumer<CellResult> emit) {
        CellResult[] res = new CellResult[cells.size()];
        List<Integer> runnable = new ArrayList<>();
        for (int i = 0; i < cells.size(); i++) {
            String why = staticCheck(cells.get(i));
            if (why != null) {
                emit.accept(res[i] = CellResult.rejected(cells.get(i), why));
                progress.accept("cell " + cells.get(i).index() + " rejected: " + why);
            } else {
                runnable.add(i);
            }
        }
        if (!runnable.isEmpty() && pastDeadline()) {
            for (int i : runnable) {
                emit.accept(res[i] = CellResult.skipped(cells.get(i), "time budget used up before the model was loaded"));
            }
            runnable.clear();
        }
        if (!runnable.isEmpty()) {
            SweepCell first = cells.get(runnable.getFirst());
            String why = weightsFit(first);
            if (why != null) {
                for (int i : runnable) {
                    emit.accept(res[i] = CellResult.rejected(cells.get(i), why));
                }
                progress.accept(why);
            } else {
                progress.accept("loading " + first.model());
                Model model = null;
                try {
                    model = Model.load(Model.Params.of(Path.of(first.model())).withGpuLayers(first.gpuLayers()));
                } catch (CtxbenchException e) {
                    for (int i : runnable) {
                        emit.accept(res[i] = CellResult.failed(cells.get(i), "model did not load: " + e.getMessage()));
                    }
                    progress.accept("model did not load: " + e.getMessage());
                }
                if (model != null) {
                    try (Model m = model) {
                        for (int n = 0; n < runnable.size(); n++) {
                            SweepCell c = cells.get(runnable.get(n));
                            // the depth is used by every repetition of the prefill test and of the decode test
                            keepState = spec.repetitions() * ((c.nPrompt() > 0 ? 1 : 0) + (c.nGen() > 0 ? 1 : 0)) > 1;
                            for (int later = n + 1; later < runnable.size() && !keepState; later++) {
                                keepState = depthKey(cells.get(runnable.get(later))).equals(depthKey(c));
                            }
                            CellResult r = pastDeadline() ? CellResult.skipped(c, "time budget used up before the cell started")
                                    : runCell(m, c);
                            emit.accept(res[runnable.get(n)] = r);
                        }
                    } finally {
                        dropState();   // the state belongs to this model
                    }
                }
            }
        }
        return Arrays.asList(res);
    }

    /** Before loading: do the weights fit in what the device has free (and in the limit)? Null when they do. */
    private String weightsFit(SweepCell c) {
        Path p = Path.of(c.model());
        try {
            GgufFile.requireRegularFile(p, "model file");   // a pipe, folder or device is named for what it is
        } catch (CtxbenchException e) {
            return e.getMessage();
        }
        long size;
        try {
            size = Files.size(p);
        } catch (java.io.IOException e) {
            return "cannot read model file " + p + ": " + e.getMessage();
        }
        if (c.gpuLayers() == 0) {
            return null;   // weights stay in host memory (mapped)
        }
        Devices.Memory dev = primaryDevice();
        if (dev == null || dev.name().startsWith("CPU")) {
            return null;
        }
        long budget = spec.memoryLimit() > 0 ? Math.min(dev.free(), spec.memoryLimit()) : dev.free();
        if (size > budget) {
            return "the weights (" + gib(size) + " GiB file) do not fit in " + gib(budget) + " GiB of " + dev.name()
                    + (spec.memoryLimit() > 0 ? " (free memory, capped by the memory limit)" : " free memory");
        }
        return null;
    }

    /** The device whose memory the sweep reports: the first GPU/accelerator, else the CPU (host memory). */
    static Devices.Memory primaryDevice() {
        List<Devices.Device> devs = Devices.list();
        List<Devices.Memory> mem = Devices.memory();
        for (Devices.Device d : devs) {
            if (!d.type().equals("cpu")) {
                return mem.get(d.index());
            }
        }
        return mem.isEmpty() ? null : mem.getFirst();
    }

    private CellResult runCell(Model m, SweepCell c) {
        KvCacheType k = KvCacheType.parse(c.typeK());
        KvCacheType v = KvCacheType.parse(c.typeV());
        FlashAttention fa = FlashAttention.parse(c.flashAttn());
        Model.Info info = m.info();
        if (!spec.beyondTrainedContext() && info.trainedContext() > 0 && c.contextNeeded() > info.trainedContext()) {
            String why = "depth " + c.depth() + " + " + Math.max(c.nPrompt(), c.nGen()) + " test tokens = " + c.contextNeeded()
                    + " positions exceeds the model's context of " + info.trainedContext() + " (--beyond-trained-context runs it anyway)";
            progress.accept("cell " + c.index() + " rejected: " + why);
            return CellResult.rejected(c, why);
        }
        int headsKv = Math.max(1, info.headsKv());
        for (KvCacheType t : new KvCacheType[]{k, v}) {
            int headDim = (t == k ? info.kvWidthK() : info.kvWidthV()) / headsKv;
            if (headDim % t.blockSize != 0) {
                String why = "KV type " + t + " stores blocks of " + t.blockSize + " values but the model's head size is "
                        + headDim + " (llama.cpp refuses it)";
                progress.accept("cell " + c.index() + " rejected: " + why);
                return CellResult.rejected(c, why);
            }
        }
        long estimate = ContextMemory.estimateBytes(info, c.contextNeeded(), c.ubatch(), k, v, fa != FlashAttention.OFF);
        Devices.Memory dev = primaryDevice();
        long used0 = usage();
        if (dev != null) {
            long free = dev.free();
            String where = dev.name() + (c.gpuLayers() == 0 || dev.name().startsWith("CPU") ? " (host memory)" : "");
            String why = null;
            if (estimate * FIT_MARGIN > free) {
                why = "does not fit: the context needs about " + gib(estimate) + " GiB (KV cache + compute buffers) but "
                        + where + " has " + gib(free) + " GiB free";
            } else if (spec.memoryLimit() > 0 && (m.sizeBytes() + estimate) * FIT_MARGIN > spec.memoryLimit()) {
                why = "does not fit the memory limit of " + gib(spec.memoryLimit()) + " GiB: weights " + gib(m.sizeBytes())
                        + " GiB + context about " + gib(estimate) + " GiB";
            }
            if (why != null) {
                progress.accept("cell " + c.index() + " rejected: " + why);
                return CellResult.rejected(c, why);
            }
        }
        progress.accept("cell " + c.index() + ": " + c.configuration() + " depth " + c.depth() + " pp " + c.nPrompt()
                + " tg " + c.nGen());
        Session.Params sp = new Session.Params((int) c.contextNeeded(), c.batch(), c.ubatch(), c.threads(), fa, k, v,
                KvRotation.parse(c.kvRotation()));
        try (Session s = Session.open(m, sp)) {
            long usedCtx = usage();
            long peak = usedCtx;
            SplittableRandom rnd = new SplittableRandom(spec.seed() + c.index());
            int vocab = m.vocabSize();
            int bos = bos(m);
            int[] pp = randomTokens(rnd, c.nPrompt(), vocab, c.depth() == 0 ? bos : -1);
            int[] tg = randomTokens(rnd, c.nGen(), vocab, bos);
            long[] steps = new long[c.nGen()];
            // llama-bench's order: the prefill test (warm-up, then every repetition back to back), then the decode
            // test. Interleaving them would make every measured prefill follow a one-token graph, so llama.cpp would
            // rebuild its prefill graph each time where llama-bench reuses it.
            int reps = spec.repetitions();
            double[] ppTps = new double[c.nPrompt() > 0 ? reps : 0];
            double[] ttft = new double[ppTps.length];
            double[] tgTps = new double[c.nGen() > 0 ? reps : 0];
            long[] allSteps = new long[c.nGen() > 0 ? reps * c.nGen() : 0];
            if (c.nPrompt() > 0) {
                if (spec.warmup()) {
                    s.clear();
                    s.prefill(pp);
                }
                for (int r = 0; r < reps; r++) {
                    peak = Math.max(peak, toDepth(s, c, vocab, bos));
                    long ns = s.prefill(pp);
                    long t0 = System.nanoTime();
                    s.sampleNext();
                    ttft[r] = (ns + System.nanoTime() - t0) / 1e6;
                    ppTps[r] = c.nPrompt() * 1e9 / ns;
                    peak = Math.max(peak, usage());
                }
            }
            if (c.nGen() > 0) {
                if (spec.warmup()) {
                    s.clear();
                    s.decodeStep(tg[0]);
                }
                for (int r = 0; r < reps; r++) {
                    peak = Math.max(peak, toDepth(s, c, vocab, bos));
                    s.decodeSteps(tg, steps);
                    long sum = 0;
                    for (long x : steps) {
                        sum += x;
                    }
                    tgTps[r] = c.nGen() * 1e9 / sum;
                    System.arraycopy(steps, 0, allSteps, r * c.nGen(), c.nGen());
                    peak = Math.max(peak, usage());
                }
            }
            Double p50 = null, p90 = null, p99 = null;
            if (allSteps.length > 0) {
                Arrays.sort(allSteps);
                p50 = percentile(allSteps, 0.50) / 1e6;
                p90 = percentile(allSteps, 0.90) / 1e6;
                p99 = percentile(allSteps, 0.99) / 1e6;
            }
            long afterLoad = used(m.memoryAfterLoad());
            String devName = dev == null || dev.name().startsWith("CPU") ? "host (process resident memory)" : dev.name();
            return new CellResult(Schema.CURRENT, c, c.configuration(), CellResult.OK, null, info.description(), m.sizeBytes(),
                    info.parameters(), s.contextSize(), s.kvBytesK() + s.kvBytesV(), s.kvPath().label(), estimate,
                    devName, afterLoad < 0 ? null : afterLoad, usedCtx, peak, usedCtx - used0,
                    Stat.of(ppTps), Stat.of(tgTps), Stat.of(ttft), p50, p90, p99, null);
        } catch (CtxbenchException e) {
            progress.accept("cell " + c.index() + " failed: " + e.getMessage());
            return CellResult.failed(c, e.getMessage());
        }
    }

    /**
     * Empties the cache and fills it to the cell's depth, as each llama-bench repetition does: restores the kept
     * state when it fits this context, else prefills random tokens (and keeps the state when it will be used
     * again). Returns the device use then (0 at depth 0, where nothing is filled).
     */
    private long toDepth(Session s, SweepCell c, int vocab, int bos) {
        s.clear();
        if (c.depth() == 0) {
            return 0;
        }
        String key = depthKey(c);
        if (!(key.equals(stateKey) && s.restoreState(state) && s.position() == c.depth())) {
            s.clear();
            s.prefill(randomTokens(new SplittableRandom(spec.seed() ^ c.depth()), c.depth(), vocab, bos));
            dropState();
            if (keepState) {
                stateArena = Arena.ofShared();
                state = s.saveState(stateArena);
                stateKey = key;
            }
        }
        return usage();
    }

    private static String depthKey(SweepCell c) {
        return c.model() + "|" + c.gpuLayers() + "|" + c.typeK() + "|" + c.typeV() + "|" + c.kvRotation() + "|" + c.flashAttn()
                + "|" + c.depth();
    }

    private void dropState() {
        if (stateArena != null) {
            stateArena.close();
        }
        stateArena = null;
        state = null;
        stateKey = null;
    }

    private static int bos(Model m) {
        int[] t = m.tokenize("", true, false);
        return t.length == 1 ? t[0] : -1;
    }

    /** Random token ids as llama-bench uses (ids do not change the cost); the first is BOS when {@code first >= 0}. */
    static int[] randomTokens(SplittableRandom rnd, int n, int vocab, int first) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = rnd.nextInt(vocab);
        }
        if (n > 0 && first >= 0) {
            t[0] = first;
        }
        return t;
    }

    /** Used bytes of the primary device; on a CPU-only run the process's resident memory (ggml's CPU device reports none used). */
    static long usage() {
        Devices.Memory d = primaryDevice();
        if (d == null || d.name().startsWith("CPU")) {
            return io.ctxbench.engine.ProcessMemory.residentBytes();
        }
        return d.used();
    }

    private static long used(List<Devices.Memory> snapshot) {
        Devices.Memory d = primaryDevice();
        if (d == null || d.name().startsWith("CPU")) {
            return -1;   // no snapshot of the process taken at load time
        }
        for (Devices.Memory x : snapshot) {
            if (x.index() == d.index()) {
                return x.used();
            }
        }
        return 0;
    }

    /**
     * Bytes in use on the device the sweep reports (the first GPU/accelerator); on a CPU-only build the process's
     * resident memory, since ggml's CPU device reports nothing as used.
     */
    public static long primaryDeviceUsedBytes() {
        return usage();
    }

    static String gib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.2f", bytes / (double) (1L << 30));
    }

    /** The q-quantile (0..1) of sorted values by the nearest-rank method. */
    static double percentile(long[] sorted, double q) {
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    /** Cells grouped by configuration (everything but depth and test sizes), in first-seen order, for charts. */
    static Map<String, List<CellResult>> byConfiguration(List<CellResult> results) {
        Map<String, List<CellResult>> m = new LinkedHashMap<>();
        for (CellResult r : results) {
            m.computeIfAbsent(r.configuration(), x -> new ArrayList<>()).add(r);
        }
        return m;
    }
}
