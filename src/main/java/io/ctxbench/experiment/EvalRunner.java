package io.ctxbench.experiment;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ctxbench.CtxbenchException;
import io.ctxbench.compress.CompressionRequest;
import io.ctxbench.compress.CompressionResult;
import io.ctxbench.compress.CompressionTarget;
import io.ctxbench.compress.PromptCompressor;
import io.ctxbench.engine.ContextMemory;
import io.ctxbench.engine.Devices;
import io.ctxbench.engine.FlashAttention;
import io.ctxbench.engine.Generation;
import io.ctxbench.engine.GenerationOptions;
import io.ctxbench.engine.KvPath;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.ParallelGenerator;
import io.ctxbench.engine.Session;
import io.ctxbench.engine.StopReason;
import io.ctxbench.engine.chat.ChatFormat;
import io.ctxbench.results.Environment;
import io.ctxbench.results.EvalManifest;
import io.ctxbench.results.Json;
import io.ctxbench.results.RecordKey;
import io.ctxbench.results.ResultsLog;
import io.ctxbench.results.RunFolderLock;
import io.ctxbench.results.SampleRecord;
import io.ctxbench.results.Schema;
import io.ctxbench.score.Hallucination;
import io.ctxbench.score.QaScore;
import io.ctxbench.score.RougeL;
import io.ctxbench.tasks.DataIssue;
import io.ctxbench.tasks.Prompts;
import io.ctxbench.tasks.Sample;
import io.ctxbench.tasks.TaskSpec;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

/**
 * Runs models x methods x tasks x samples: the run loop and the lifetimes of models, sessions and compressors. The
 * samples come from {@link SampleSelection}, every (model, method)'s weights from {@link ResolvedWeights} and every
 * model's {@link PromptPlan} (truncation budget, chat format, longest prompt) before anything runs. Per (model,
 * method): the model is loaded once (kept while the next method uses the same file) with its chat formatter, one
 * session with the method's KV types, sized to the longest prompt, is opened and reused for every sample (the KV
 * cache is cleared by each generation), and a short warm-up generation runs first (and a short compression,
 * {@link #WARM_UP}, when the method compresses). A compressed method's compressor comes from the model's
 * {@link CompressorPool}. Per sample: compress the context (if the method does), build the LongBench prompt (middle
 * truncation, chat template), generate greedily, score (QA-F1 with precision and recall, ROUGE-L, hallucination
 * against the original context), and append one {@link SampleRecord}, forced to disk. A resumed run skips every
 * sample whose record is complete. After a model's generation pass, the {@link FidelityPass}. The session's
 * {@link RunSummary} goes to the run manifest; {@link Progress} to stderr.
 */
public final class EvalRunner {
    /**
     * Config entries a resumed run may change: the thread count says how this machine runs, not what is computed.
     * Everything else in the config (models and their files, methods' definitions, baseline, data files and their
     * sha256, tasks and sample selection, lengths, seed, chat format and date, fidelity, GPU layers and batch sizes, which
     * change the recorded speed and memory) must match the first session's. Options outside the config (--verbose,
     * --report, --make-variants) may differ too.
     */
    static final Set<String> MAY_DIFFER_ON_RESUME = Set.of("threads", "parallel", "cost_samples");

    private final EvalConfig cfg;
    private final PrintStream err;
    private final UnaryOperator<FileChannel> resultsChannel;
    private final RunSummary summary = new RunSummary();
    private final FidelityPass fidelityPass;

    public EvalRunner(EvalConfig cfg, PrintStream err) {
        this(cfg, err, UnaryOperator.identity());
    }

    /** With {@code resultsChannel} wrapping the results file's channel (tests inject write faults). */
    EvalRunner(EvalConfig cfg, PrintStream err, UnaryOperator<FileChannel> resultsChannel) {
        this.cfg = cfg;
        this.err = err;
        this.resultsChannel = resultsChannel;
        this.fidelityPass = new FidelityPass(cfg, err, summary);
    }

    /** Runs everything under the run folder's lock; returns the summary (also written to the manifest). */
    public ObjectNode run() {
        try (RunFolderLock lock = lockRunFolder()) {
            return run(lock);
        }
    }

    /**
     * Locks the run folder (created if needed) against a second writer of the same results files, as long as the
     * lock is open; a second eval (or --resume) on the folder fails here at once, naming the holder.
     */
    public RunFolderLock lockRunFolder() {
        return RunFolderLock.acquire(cfg.outDir(), "eval" + cfg.shardSuffix());
    }

    /** Runs everything while the caller holds {@code lock} (from {@link #lockRunFolder}, e.g. to write the report too). */
    public ObjectNode run(RunFolderLock lock) {
        Objects.requireNonNull(lock, "the run folder must be locked");
        long wall0 = System.nanoTime();
        if (!cfg.resume() && Files.exists(cfg.resultsFile()) && cfg.resultsFile().toFile().length() > 0) {
            throw new CtxbenchException(cfg.resultsFile() + " already holds results: continue it with --resume, or "
                    + "choose another --out folder");
        }
        SampleSelection.Selected selected = SampleSelection.select(cfg);
        for (DataIssue i : selected.issues()) {
            err.println("eval: skipped " + i);
            summary.dataIssue(i);
        }
        ObjectNode first = cfg.resume() ? EvalManifest.config(cfg.manifestFile()) : null;
        LocalDate chatDate = chatDate(first);
        // every model's samples, generated ones in its own tokens, before anything runs
        GeneratedSamples generator = new GeneratedSamples(cfg, err);
        Map<String, List<TaskWork>> work = new LinkedHashMap<>();
        Map<String, List<Integer>> rulerLengths = new LinkedHashMap<>();
        List<TaskWork> all = new ArrayList<>();
        for (ModelSpec m : cfg.models()) {
            GeneratedSamples.ForModel g = generator.forModel(m, chatDate);
            List<TaskWork> w = new ArrayList<>(selected.work());
            w.addAll(g.work());
            work.put(m.name(), w);
            all.addAll(w);
            if (cfg.ruler().any()) {
                rulerLengths.put(m.name(), g.lengths());
            }
        }
        if (all.isEmpty()) {
            throw new CtxbenchException("no samples to run (check --data, --ruler, --limit, --id and --shard)");
        }
        ResolvedWeights weights = ResolvedWeights.resolve(cfg);
        List<PromptPlan> plans = new ArrayList<>();
        long p0 = System.nanoTime();
        for (ModelSpec m : cfg.models()) {
            plans.add(PromptPlan.of(cfg, m, work.get(m.name()), chatDate, err));
        }
        summary.prompt += System.nanoTime() - p0;
        ObjectNode config = cfg.manifestConfig(all, plans, chatDate, rulerLengths);
        if (first != null) {
            List<String> diff = EvalManifest.differences(first, config, MAY_DIFFER_ON_RESUME);
            if (!diff.isEmpty()) {
                throw new CtxbenchException("--resume with different settings: " + String.join(", ", diff) + "; resume with "
                        + "the settings of " + cfg.manifestFile() + " (config), or start a new run with another --out");
            }
        }
        EvalManifest.startSession(lock, cfg.manifestFile(), Environment.collect(commandLine()), config, cfg.argv(),
                variantsMade(), cfg.resume());
        try (ResultsLog results = ResultsLog.open(lock, cfg.resultsFile(), ResultsLog.Keys.RECORD_KEY, resultsChannel);
             ResultsLog fidelity = ResultsLog.open(lock, cfg.fidelityFile())) {
            if (results.droppedBytes() > 0) {
                err.println("eval: dropped a torn last line (" + results.droppedBytes() + " bytes) from " + results.file()
                        + "; that sample runs again");
            }
            if (cfg.resume() && results.size() > 0) {
                err.println("eval: resuming: " + results.size() + " sample(s) already done in " + results.file());
            }
            int parallel = plannedParallel();
            int costTotal = 0, qualityTotal = 0;
            for (ModelSpec m : cfg.models()) {
                for (Method me : cfg.methods()) {
                    for (TaskWork w : work.get(m.name())) {
                        for (int si = 0; si < w.samples().size(); si++) {
                            if (!results.done(new RecordKey(m.name(), me.name(), w.task().name(), w.samples().get(si).id()).text())) {
                                if (cfg.costPass(cfg.indexInTask(si), parallel)) {
                                    costTotal++;
                                } else {
                                    qualityTotal++;
                                }
                            }
                        }
                    }
                }
            }
            try (Progress progress = new Progress(costTotal, qualityTotal, parallel, err)) {
                for (int i = 0; i < cfg.models().size(); i++) {
                    ModelSpec m = cfg.models().get(i);
                    runModel(m, plans.get(i), weights, work.get(m.name()), results, fidelity, progress);
                }
            }
            ObjectNode s = summary.toJson(System.nanoTime() - wall0, results.size(), costTotal + qualityTotal);
            EvalManifest.finishSession(lock, cfg.manifestFile(), s);
            return s;
        }
    }

    /**
     * The one date of the run's chat templates (what a template that prints today's date writes): --chat-date, else
     * the first session's, so that a resumed run builds the same prompts, else today.
     */
    private LocalDate chatDate(ObjectNode first) {
        if (cfg.chatDate() != null) {
            return cfg.chatDate();
        }
        if (first != null && first.path("chat_date").isTextual()) {
            return LocalDate.parse(first.get("chat_date").asText());
        }
        return LocalDate.now();
    }

    /** "ctxbench eval ARGS" as typed (through Main the arguments start with "eval"; a test may pass them without). */
    private List<String> commandLine() {
        List<String> c = new ArrayList<>(List.of("ctxbench"));
        if (cfg.argv().isEmpty() || !cfg.argv().getFirst().equals("eval")) {
            c.add("eval");
        }
        c.addAll(cfg.argv());
        return c;
    }

    /**
     * What the variant provider made (or took from its cache) for this session, kept per session so a resumed run's
     * manifest still shows how long the first session spent making them.
     */
    private ObjectNode variantsMade() {
        ObjectNode extra = Json.MAPPER.createObjectNode();
        ArrayNode made = extra.putArray("variants_made");
        for (VariantProvider.Made x : cfg.variants().made()) {
            made.addObject().put("variant", x.variant()).put("from", x.source().toString()).put("file", x.file().toString())
                    .put("how", x.how()).put("seconds", x.seconds()).put("reused_from_cache", x.reused());
        }
        return extra;
    }

    /** How many of the samples of method {@code me} on model {@code m} have no record yet. */
    private static int todo(ModelSpec m, Method me, List<TaskWork> work, ResultsLog results) {
        int n = 0;
        for (TaskWork w : work) {
            for (Sample s : w.samples()) {
                if (!results.done(new RecordKey(m.name(), me.name(), w.task().name(), s.id()).text())) {
                    n++;
                }
            }
        }
        return n;
    }

    /**
     * One model: each method's generation pass, the methods that share a weights file one after another on one load
     * of it ({@link LoadedModels}), then the fidelity pass on the same loads; the models and the compressors opened
     * for it are closed before the next model.
     */
    private void runModel(ModelSpec m, PromptPlan plan, ResolvedWeights weights, List<TaskWork> work, ResultsLog results,
                          ResultsLog fidelity, Progress progress) {
        int nCtx = plan.contextSize(work.stream().mapToInt(w -> cfg.maxNewTokens(w.task())).max().orElse(32));
        try (CompressorPool pool = new CompressorPool(cfg, m, err);
             LoadedModels models = new LoadedModels(cfg.gpuLayers(), plan::formatter, summary)) {
            for (Method me : byWeightsFile(m, weights)) {
                if (todo(m, me, work, results) == 0) {
                    continue;
                }
                ModelSpec.Resolved r = weights.of(m, me);
                LoadedModels.Loaded loaded = models.get(r.file());
                PromptCompressor comp = null;
                if (me.compresses()) {
                    long t0 = System.nanoTime();
                    comp = pool.get(me.compressor());
                    summary.loading += System.nanoTime() - t0;
                }
                resetPeakRss();
                runMethod(m, me, r, loaded, plan, comp, nCtx, work, results, progress);
            }
            if (cfg.fidelitySamples() != 0) {
                fidelityPass.run(m, plan, weights, work, results, fidelity, pool, models);
            }
        }
    }

    /** The run's methods, those on the same weights file next to each other (files in order of first use). */
    private List<Method> byWeightsFile(ModelSpec m, ResolvedWeights weights) {
        Map<Path, List<Method>> byFile = new LinkedHashMap<>();
        for (Method me : cfg.methods()) {
            byFile.computeIfAbsent(weights.of(m, me).file(), f -> new ArrayList<>()).add(me);
        }
        return byFile.values().stream().flatMap(List::stream).toList();
    }

    /** A sample of a method still to run, and where it stands in its task. */
    private record Todo(TaskSpec task, Sample sample, int indexInTask, RecordKey key) {
    }

    /** What a compressed method's cost pass compresses first, outside any sample: long enough to reach every stage. */
    static final CompressionRequest WARM_UP = CompressionRequest.of("Answer the question.",
            "The committee met on Tuesday to review the budget. ".repeat(64), "When did the committee meet?",
            CompressionTarget.rate(2));

    /**
     * One method on its loaded weights: the samples of the cost pass one at a time in a {@link Session} (batch 1, the
     * study's timings), then the rest in the quality pass, many sequences at once ({@link ParallelGenerator}); with
     * --parallel 1 (the default on a CPU) every sample is in the cost pass.
     */
    private void runMethod(ModelSpec m, Method me, ModelSpec.Resolved r, LoadedModels.Loaded l, PromptPlan plan,
                           PromptCompressor comp, int nCtx, List<TaskWork> work, ResultsLog results, Progress progress) {
        Model model = l.model();
        checkKvFits(cfg, model, nCtx, me, plan);
        Session.Params params = sessionParams(cfg, nCtx, me);
        // an eviction that reads attention (snapkv) is captured at batch 1 only: all of its samples take the cost pass
        int parallel = params.kvEviction().observesAttention() ? 1
                : cfg.parallel() == 0 ? autoParallel(model, params) : cfg.parallel();
        List<Todo> cost = new ArrayList<>(), quality = new ArrayList<>();
        for (TaskWork w : work) {
            for (int si = 0; si < w.samples().size(); si++) {
                Sample s = w.samples().get(si);
                RecordKey key = new RecordKey(m.name(), me.name(), w.task().name(), s.id());
                if (!results.done(key.text())) {
                    (cfg.costPass(cfg.indexInTask(si), parallel) ? cost : quality).add(new Todo(w.task(), s, cfg.indexInTask(si), key));
                }
            }
        }
        if (!cost.isEmpty()) {
            try (Session session = Session.open(model, params)) {
                // warm-up: one-time costs (graph allocation, first-touch of weights) stay out of the first sample's figures
                session.generate(model.tokenize("Hello", true, false), GenerationOptions.of(2));
                if (comp != null) {   // and the compressor's: its scoring session, graphs and first kernel launches
                    try {
                        comp.compress(WARM_UP);
                    } catch (CtxbenchException e) {
                        // not a sample: a compressor that cannot run fails each sample below, where it is recorded
                    }
                }
                for (Todo t : cost) {
                    progress.starting(me.name(), t.task().name(), t.sample().id(), session::progressLine);
                    SampleRecord record;
                    try {
                        Prepared p = prepare(me, model, l.chat(), plan, comp, t);
                        long g0 = System.nanoTime();
                        Generation g = session.generate(p.built().tokens(), GenerationOptions.of(cfg.maxNewTokens(t.task())));
                        summary.generation += System.nanoTime() - g0;
                        record = record(me, r, l.sha256(), p, g.text(), g.tokens(), g.stopReason(), session.kvPath(),
                                session.kvRotation(), SampleRecord.COST_PASS, costMetrics(p, g));
                    } catch (CtxbenchException e) {
                        failed(me, t, e);
                        progress.skip(false);
                        continue;
                    }
                    write(results, t.key(), record);   // outside the catch: a results file that cannot be written ends the run
                    progress.done(false, null);
                }
            }
        }
        if (!quality.isEmpty()) {
            runQualityPass(me, r, l, plan, comp, params, parallel, quality, results, progress);
        }
    }

    /**
     * The quality pass: every sample's prompt built (compressed first when the method compresses), then all of them
     * generated {@code parallel} at a time, each record written once its sequence and those before it have finished.
     */
    private void runQualityPass(Method me, ModelSpec.Resolved r, LoadedModels.Loaded l, PromptPlan plan,
                                PromptCompressor comp, Session.Params params, int parallel, List<Todo> todo,
                                ResultsLog results, Progress progress) {
        List<Prepared> prepared = new ArrayList<>();
        List<ParallelGenerator.Request> requests = new ArrayList<>();
        for (Todo t : todo) {
            try {
                Prepared p = prepare(me, l.model(), l.chat(), plan, comp, t);
                prepared.add(p);
                requests.add(new ParallelGenerator.Request(p.built().tokens(), GenerationOptions.of(cfg.maxNewTokens(t.task()))));
            } catch (CtxbenchException e) {
                failed(me, t, e);
                progress.skip(true);
            }
        }
        if (requests.isEmpty()) {
            return;
        }
        int slots = Math.min(parallel, requests.size());
        err.printf(Locale.ROOT, "eval: %s quality pass: %d sample(s), %d sequences in flight%n", me.name(), requests.size(), slots);
        progress.passStarting(me.name());
        long g0 = System.nanoTime();
        // scoring and writing on a thread of their own, so the decode loop never waits for them, and in the samples'
        // order (a record finished early waits for those before it), so the results file reads as a batch-1 run's and
        // the report's bootstrap sees the same order; the first failure (a results file that cannot be written) stops
        // the pass at its next finished sequence
        ExecutorService writer = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("eval-writer").factory());
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        SampleRecord[] waiting = new SampleRecord[prepared.size()];
        int[] nextToWrite = {0};
        ParallelGenerator.Run run;
        try (ParallelGenerator gen = ParallelGenerator.open(l.model(), params, slots)) {
            run = gen.generate(requests, new ParallelGenerator.Listener() {
                @Override
                public void finished(int index, ParallelGenerator.Result res) {
                    RuntimeException f = failure.get();
                    if (f != null) {
                        throw f;
                    }
                    KvPath kvPath = gen.kvPath();
                    String kvRotation = gen.kvRotation();
                    writer.execute(() -> {
                        if (failure.get() != null) {
                            return;
                        }
                        try {
                            Prepared p = prepared.get(index);
                            waiting[index] = record(me, r, l.sha256(), p, res.text(), res.tokens(), res.stopReason(),
                                    kvPath, kvRotation, SampleRecord.QUALITY_PASS, qualityMetrics(p, res, l.model()));
                            while (nextToWrite[0] < waiting.length && waiting[nextToWrite[0]] != null) {
                                Prepared w = prepared.get(nextToWrite[0]);
                                write(results, w.todo().key(), waiting[nextToWrite[0]]);
                                waiting[nextToWrite[0]++] = null;
                                progress.done(true, me.name() + " " + w.todo().task().name() + " " + w.todo().sample().id());
                            }
                        } catch (RuntimeException e) {
                            failure.compareAndSet(null, e);
                        }
                    });
                }

                @Override
                public void progress(ParallelGenerator.Progress pr) {
                    progress.passProgress(String.format(Locale.ROOT, "%s quality pass: %d of %d done, %d in flight, %,d "
                                    + "prompt and %,d new tokens, %.1f new tokens/s (%.1f lately)", me.name(), pr.done(),
                            pr.requests(), pr.inFlight(), pr.promptTokens(), pr.generatedTokens(), pr.tokensPerSecond(),
                            pr.recentTokensPerSecond()));
                }
            }, Progress.TICK_MS);
        } finally {
            writer.shutdown();
            try {
                writer.awaitTermination(1, TimeUnit.HOURS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        err.printf(Locale.ROOT, "eval: %s quality pass done in %s%n", me.name(), run.breakdown());
        summary.generation += System.nanoTime() - g0;
    }

    private void failed(Method me, Todo t, CtxbenchException e) {
        err.println("eval: sample " + t.sample().id() + " (" + t.sample().source() + ") of " + t.task().name() + " with "
                + me.name() + " failed and is skipped: " + e.getMessage());
        summary.failed(me.name());
    }

    private void write(ResultsLog results, RecordKey key, SampleRecord record) {
        long b0 = System.nanoTime();
        results.append(key.text(), Json.line(record));
        summary.bookkeeping += System.nanoTime() - b0;
        summary.written++;
    }

    /**
     * Sequences in flight when --parallel is 0 (auto): 1 on a CPU-only run (batching gains little there and batch 1 is
     * what the study measures); on GPUs as many as leave half the free device memory unused, at most 16.
     */
    static int autoParallel(Model model, Session.Params params) {
        if (model.params().gpuLayers() == 0 || !Devices.hasAccelerator()) {
            return 1;
        }
        long free = Devices.freeBytes(true);
        long perSequence = ContextMemory.estimateBytes(model.info(), params.contextSize(),
                params.ubatchSize(), params.typeK(), params.typeV(), params.flashAttention() != FlashAttention.OFF);
        return (int) Math.max(1, Math.min(16, free / 2 / Math.max(1, perSequence)));
    }

    /** The sequences the run plans for before any model is loaded (for the progress line's totals). */
    private int plannedParallel() {
        return cfg.parallel() != 0 ? cfg.parallel() : cfg.gpuLayers() != 0 && Devices.hasAccelerator() ? 16 : 1;
    }

    /** A sample made ready to generate: its (compressed) context, prompt and bucket. */
    private record Prepared(Todo todo, long t0, String context, CompressionResult compression, double compressionMs,
                            Prompts.Built built, String bucket) {
    }

    /** Compresses (when the method does) and builds the prompt of one sample. */
    private Prepared prepare(Method me, Model model, ChatFormat.Formatter chat, PromptPlan plan, PromptCompressor comp,
                             Todo t) {
        long t0 = System.nanoTime();
        TaskSpec task = t.task();
        Sample s = t.sample();
        String context = s.context();
        double compressionMs = 0;
        CompressionResult co = null;
        if (comp != null) {
            long c0 = System.nanoTime();
            co = comp.compress(CompressionRequest.of(instructionOf(task, s), s.context(), s.input(),
                    CompressionTarget.rate(me.rate())));
            long c1 = System.nanoTime();
            context = co.context();
            compressionMs = (c1 - c0) / 1e6;
            summary.compression += c1 - c0;
            if (cfg.fidelitySamples() != 0 && fidelityPass.covers(t.indexInTask())) {
                fidelityPass.rememberCompressed(t.key(), context);
            }
        }
        long p0 = System.nanoTime();
        Prompts.Built built = plan.build(model, chat, task, s, context);
        String bucket = Prompts.bucket(s, built);
        summary.prompt += System.nanoTime() - p0;
        if (s.generated() == null && !cfg.buckets().isEmpty() && !cfg.buckets().contains(bucket)) {
            throw new CtxbenchException("not in the selected length buckets (" + bucket + ")");
        }
        return new Prepared(t, t0, context, co, compressionMs, built, bucket);
    }

    /** What a batch-1 generation cost: its timings, memory and the compression before it. */
    private static SampleRecord.Metrics costMetrics(Prepared p, Generation g) {
        Generation.Timings t = g.timings();
        long peakDevice = -1;
        for (Devices.Memory d : g.memory().peakDuringGeneration()) {
            if (!d.cpu()) {
                peakDevice = Math.max(peakDevice, d.used());
            }
        }
        CompressionResult co = p.compression();
        return new SampleRecord.Metrics(t.promptTokens(), t.generatedTokens(), t.decodeTokensPerSecond(),
                t.prefillTokensPerSecond(), t.ttftMillis(), t.endToEndMillis() + p.compressionMs(), t.endToEndMillis(),
                p.compressionMs(), p.todo().sample().context().length(), p.context().length(),
                co == null ? null : co.originalTokens(), co == null ? null : co.compressedTokens(),
                co == null ? null : co.achievedRate(), co == null ? null : co.targetMet(), co == null ? null : co.device(),
                peakDevice, g.memory().processPeakResidentBytes(), g.memory().modelBytes(), g.memory().kvBytes());
    }

    /**
     * A quality-pass sample's figures: token counts and the compression only; its latencies were shared with the
     * other sequences in flight, so no timing or memory figure is recorded (the report's costs come from the cost pass).
     */
    private static SampleRecord.Metrics qualityMetrics(Prepared p, ParallelGenerator.Result res, Model model) {
        CompressionResult co = p.compression();
        return new SampleRecord.Metrics(res.promptTokens(), res.tokens().length, null, null, null, null, null,
                p.compressionMs(), p.todo().sample().context().length(), p.context().length(),
                co == null ? null : co.originalTokens(), co == null ? null : co.compressedTokens(),
                co == null ? null : co.achievedRate(), co == null ? null : co.targetMet(), co == null ? null : co.device(),
                null, null, model.sizeBytes(), null);
    }

    /** Scores a generation of a prepared sample and makes its record. */
    private SampleRecord record(Method me, ModelSpec.Resolved r, String sha, Prepared p, String pred, int[] tokens,
                                StopReason stop, KvPath kvPath, String kvRotation, String pass, SampleRecord.Metrics metrics) {
        long sc0 = System.nanoTime();
        TaskSpec task = p.todo().task();
        Sample s = p.todo().sample();
        QaScore.Result qa = QaScore.best(pred, s.answers());
        double rouge = RougeL.best(pred, s.answers());
        Hallucination.Result hal = Hallucination.score(pred, s.context());
        long sc1 = System.nanoTime();
        summary.scoring += sc1 - sc0;
        SampleRecord.Scores scores = new SampleRecord.Scores(task.score(pred, s.answers(), s.allClasses()), qa.f1(),
                qa.precision(), qa.recall(), rouge, hal.score(), hal.elements(), hal.hallucinated());
        Prompts.Built built = p.built();
        RecordKey key = p.todo().key();
        return new SampleRecord(Schema.CURRENT, key.text(), SampleRecord.KIND, key.model(), r.file().toString(),
                sha, r.standIn(), me.name(), me.level(), me.weights(), me.kvK().label(), me.kvV().label(),
                kvPath.label(), kvRotation, me.kvEviction().evicts() ? me.kvEviction().label() : null,
                me.kvEviction().evicts() ? me.kvEviction().kept(built.tokens().length) : null, me.compressor(), me.rate(),
                task.name(), task.metric().label(), s.id(), s.source(),
                p.bucket(), s.length(), built.rawTokens(), built.truncated(), built.chatFormat(),
                s.generated() == null ? null : s.generated().targetLength(),
                s.generated() == null || s.generated().depth() < 0 ? null : s.generated().depth(),
                tokenHash(built.tokens()), pred, s.answers(), tokens, stop.toString(), pass, scores, metrics,
                new SampleRecord.Costs(pass.equals(SampleRecord.COST_PASS) ? (sc1 - p.t0()) / 1e6 : null, (sc1 - sc0) / 1e6),
                OffsetDateTime.now().toString());
    }

    // ---------------------------------------------------------------- helpers (the fidelity pass shares them)

    /** The task template's text before the context: the instruction a compressor reads but never changes. */
    static String instructionOf(TaskSpec task, Sample s) {
        return s.generated() != null ? s.generated().before() : instructionOf(task);
    }

    /** The task template's text before the context. */
    static String instructionOf(TaskSpec task) {
        return task.template().substring(0, Math.max(0, task.template().indexOf("{context}")));
    }

    /** A session of {@code nCtx} positions as method {@code me} runs it (KV types, rotation and eviction, flash attention) with the run's batches. */
    static Session.Params sessionParams(EvalConfig cfg, int nCtx, Method me) {
        return Session.Params.of(nCtx).withKv(me.kvK(), me.kvV()).withKvRotation(me.kvRotation())
                .withFlashAttention(me.flashAttention()).withKvEviction(me.kvEviction())
                .withBatch(cfg.batch(), cfg.ubatch()).withThreads(cfg.threads());
    }

    /**
     * Refuses a context whose KV cache alone is larger than the memory of every device together (llama.cpp's view:
     * GPUs' free memory, the host's physical memory): llama.cpp would try to allocate it and the process be killed.
     */
    static void checkKvFits(EvalConfig cfg, Model model, int nCtx, Method me, PromptPlan plan) {
        long padded = (nCtx + 255L) / 256 * 256;   // llama.cpp pads n_ctx to a multiple of 256
        long kv = padded * model.kvBytesPerToken(me.kvK(), me.kvV());
        long all = 0;
        for (Devices.Memory d : Devices.memory()) {
            if (cfg.gpuLayers() != 0 || d.cpu()) {
                all += d.free();
            }
        }
        if (kv > all) {
            throw new CtxbenchException(String.format(Locale.ROOT, "the longest prompt (%d tokens, truncated to at most "
                    + "%d) needs a context of %d tokens whose KV cache (%s/%s) takes %.1f GiB, more than the %.1f GiB of "
                    + "memory llama.cpp sees: lower --max-length", plan.longestPrompt(), plan.maxLength(), nCtx,
                    me.kvK().label(), me.kvV().label(), kv / GIB, all / GIB));
        }
    }

    private static final double GIB = 1024.0 * 1024 * 1024;

    /** Resets the process's peak resident set size (VmHWM) so each method's peak is its own (Linux; else no-op). */
    static void resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException | RuntimeException e) {
            // not Linux or not permitted: the peak then covers the whole process lifetime
        }
    }

    static String tokenHash(int[] tokens) {
        ByteBuffer b = ByteBuffer.allocate(tokens.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int t : tokens) {
            b.putInt(t);
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.array()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
