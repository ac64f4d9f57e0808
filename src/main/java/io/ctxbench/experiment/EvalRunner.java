package io.ctxbench.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ctxbench.CtxbenchException;
import io.ctxbench.compress.CompressionRequest;
import io.ctxbench.compress.CompressionResult;
import io.ctxbench.compress.CompressionTarget;
import io.ctxbench.compress.PromptCompressor;
import io.ctxbench.engine.Devices;
import io.ctxbench.engine.Generation;
import io.ctxbench.engine.GenerationOptions;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.Session;
import io.ctxbench.results.RunFolderLock;
import io.ctxbench.score.Fidelity;
import io.ctxbench.score.Hallucination;
import io.ctxbench.score.QaScore;
import io.ctxbench.score.RougeL;
import io.ctxbench.tasks.DataIssue;
import io.ctxbench.tasks.DataLoader;
import io.ctxbench.tasks.Metric;
import io.ctxbench.tasks.Prompts;
import io.ctxbench.tasks.Sample;
import io.ctxbench.tasks.SyntheticTasks;
import io.ctxbench.tasks.TaskSpec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * Runs models x methods x tasks x samples. Per (model, method): the weights file is resolved (given variants, the
 * variant provider, or a clear error), the model is loaded once (kept while the next method uses the same file),
 * one session with the method's KV types is opened and reused for every sample (the KV cache is cleared by each
 * generation), and a short warm-up generation runs first. A compressed method's compressor is opened once per
 * (model, compressor id) and reused by every method and sample of that model, including the fidelity pass, then
 * closed (a perplexity compressor's scoring model loads once). Per sample: compress the context (if the method does),
 * build the LongBench prompt (middle truncation, chat template), generate greedily, score (QA-F1 with precision and
 * recall, ROUGE-L, hallucination against the original context), and append one JSON line, forced to disk. A
 * resumed run skips every sample whose line is complete. After generation, the fidelity pass compares each method's
 * next-token distributions with the baseline's on the baseline's generation (teacher forcing).
 */
public final class EvalRunner {
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Config entries a resumed run may change: the thread count says how this machine runs, not what is computed.
     * Everything else in the config (models and their files, methods' definitions, baseline, data files and their
     * sha256, tasks and sample selection, lengths, seed, chat template, fidelity, GPU layers and batch sizes, which
     * change the recorded speed and memory) must match the first session's. Options outside the config (--verbose,
     * --report, --make-variants) may differ too.
     */
    static final Set<String> MAY_DIFFER_ON_RESUME = Set.of("threads");

    private final EvalConfig cfg;
    private final PrintStream err;
    private final UnaryOperator<FileChannel> resultsChannel;
    private final Map<String, Integer> skipped = new TreeMap<>();
    private final List<DataIssue> issues = new ArrayList<>();
    private long tPrompt, tCompress, tGenerate, tScore, tBook, tLoad, tFidelity;
    private int written, fidelityWritten;
    /** Compressed contexts of the samples the fidelity pass will read again (by result key), so it need not recompress. */
    private final Map<String, String> compressedForFidelity = new HashMap<>();

    public EvalRunner(EvalConfig cfg, PrintStream err) {
        this(cfg, err, UnaryOperator.identity());
    }

    /** With {@code resultsChannel} wrapping the results file's channel (tests inject write faults). */
    EvalRunner(EvalConfig cfg, PrintStream err, UnaryOperator<FileChannel> resultsChannel) {
        this.cfg = cfg;
        this.err = err;
        this.resultsChannel = resultsChannel;
    }

    /** The work of one task: its spec and the samples this shard runs. */
    public record TaskWork(TaskSpec task, List<Sample> samples) {
    }

    public static String key(String model, String method, String task, String id) {
        return model + "|" + method + "|" + task + "|" + id;
    }

    /** Loads and selects the samples (data files and synthetic tasks), recording bad lines as issues. */
    public List<TaskWork> selectSamples() {
        Map<String, List<Sample>> byTask = new LinkedHashMap<>();
        for (Path f : cfg.dataFiles()) {
            DataLoader.Result r = DataLoader.load(f, cfg.taskOverride());
            for (DataIssue i : r.issues()) {
                issues.add(i);
                err.println("eval: skipped " + i);
                skipped.merge("bad data: " + i.kind(), 1, Integer::sum);
            }
            for (Sample s : r.samples()) {
                byTask.computeIfAbsent(s.task(), k -> new ArrayList<>()).add(s);
            }
        }
        for (String t : cfg.syntheticTasks()) {
            byTask.computeIfAbsent(t, k -> new ArrayList<>())
                    .addAll(SyntheticTasks.generate(t, cfg.seed(), cfg.syntheticCount(), cfg.syntheticWords()));
        }
        List<TaskWork> out = new ArrayList<>();
        for (Map.Entry<String, List<Sample>> e : byTask.entrySet()) {
            List<Sample> s = e.getValue();
            if (!cfg.ids().isEmpty()) {
                s = s.stream().filter(x -> cfg.ids().contains(x.id())).toList();
            }
            if (cfg.limit() > 0 && s.size() > cfg.limit()) {
                s = s.subList(0, cfg.limit());
            }
            // duplicate ids within a task would collide in the results: keep the first
            Map<String, Sample> unique = new LinkedHashMap<>();
            for (Sample x : s) {
                if (unique.putIfAbsent(x.id(), x) != null) {
                    DataIssue i = new DataIssue(x.source().replaceAll(":\\d+$", ""), lineOf(x.source()), "duplicate id: '" + x.id() + "'");
                    issues.add(i);
                    err.println("eval: skipped " + i);
                    skipped.merge("bad data: duplicate id", 1, Integer::sum);
                }
            }
            List<Sample> mine = new ArrayList<>();
            int k = 0;
            for (Sample x : unique.values()) {
                if (k++ % cfg.shardCount() == cfg.shardIndex()) {
                    mine.add(x);
                }
            }
            if (!mine.isEmpty()) {
                out.add(new TaskWork(TaskSpec.byName(e.getKey()), mine));
            }
        }
        return out;
    }

    private static int lineOf(String source) {
        int c = source.lastIndexOf(':');
        try {
            return Integer.parseInt(source.substring(c + 1));
        } catch (RuntimeException e) {
            return 0;
        }
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
        java.util.Objects.requireNonNull(lock, "the run folder must be locked");
        long wall0 = System.nanoTime();
        if (!cfg.resume() && Files.exists(cfg.resultsFile()) && cfg.resultsFile().toFile().length() > 0) {
            throw new CtxbenchException(cfg.resultsFile() + " already holds results: continue it with --resume, or "
                    + "choose another --out folder");
        }
        List<TaskWork> work = selectSamples();
        if (work.isEmpty()) {
            throw new CtxbenchException("no samples to run (check --data, --limit, --id and --shard)");
        }
        int maxNew = work.stream().mapToInt(w -> cfg.maxNewTokens(w.task())).max().orElse(32);
        int nCtx = cfg.contextSize(maxNew);
        if (cfg.fidelitySamples() != 0) {
            cfg.contextSize(cfg.fidelityTokens());   // refused now rather than after the generation pass
        }
        // resolve every method's weights (making missing variants through the provider) and check every compressor
        // id before anything runs: a missing variant or an unknown compressor fails here, with nothing written
        Map<String, ModelSpec.Resolved> resolved = new HashMap<>();
        for (Method me : cfg.methods()) {
            if (me.compresses()) {
                Compressors.check(me.compressor());
            }
        }
        for (ModelSpec m : cfg.models()) {
            for (Method me : cfg.methods()) {
                resolved.put(m.name() + "|" + me.name(), m.resolve(me, cfg.variants()));
            }
        }
        ObjectNode config = configNode(work);
        ObjectNode first = cfg.resume() ? Manifest.config(cfg.manifestFile()) : null;
        if (first != null) {
            List<String> diff = Manifest.differences(first, config, MAY_DIFFER_ON_RESUME);
            if (!diff.isEmpty()) {
                throw new CtxbenchException("--resume with different settings: " + String.join(", ", diff) + "; resume with "
                        + "the settings of " + cfg.manifestFile() + " (config), or start a new run with another --out");
            }
        }
        // what the variant provider made (or took from its cache) for this session, kept per session so a resumed
        // run's manifest still shows how long the first session spent making them
        ObjectNode sessionExtra = JSON.createObjectNode();
        ArrayNode made = sessionExtra.putArray("variants_made");
        for (VariantProvider.Made x : cfg.variants().made()) {
            made.addObject().put("variant", x.variant()).put("from", x.source().toString()).put("file", x.file().toString())
                    .put("how", x.how()).put("seconds", x.seconds()).put("reused_from_cache", x.reused());
        }
        Manifest.startSession(cfg.manifestFile(), config, cfg.argv(), sessionExtra, cfg.resume());
        try (ResultsLog results = ResultsLog.open(cfg.resultsFile(), resultsChannel); ResultsLog fidelity = ResultsLog.open(cfg.fidelityFile())) {
            if (results.droppedBytes() > 0) {
                err.println("eval: dropped a torn last line (" + results.droppedBytes() + " bytes) from " + results.file()
                        + "; that sample runs again");
            }
            if (cfg.resume() && results.size() > 0) {
                err.println("eval: resuming: " + results.size() + " sample(s) already done in " + results.file());
            }
            int total = 0;
            for (ModelSpec m : cfg.models()) {
                for (Method me : cfg.methods()) {
                    for (TaskWork w : work) {
                        for (Sample s : w.samples()) {
                            if (!results.done(key(m.name(), me.name(), w.task().name(), s.id()))) {
                                total++;
                            }
                        }
                    }
                }
            }
            Progress progress = new Progress(total, err);
            for (ModelSpec m : cfg.models()) {
                Model loaded = null;
                Path loadedPath = null;
                String sha = null;
                // one compressor per id for this model, opened on first use (a scoring model loads once), closed below
                CompressorPool pool = new CompressorPool(m);
                try {
                    for (Method me : cfg.methods()) {
                        ModelSpec.Resolved r = resolved.get(m.name() + "|" + me.name());
                        boolean any = work.stream().anyMatch(w -> w.samples().stream()
                                .anyMatch(s -> !results.done(key(m.name(), me.name(), w.task().name(), s.id()))));
                        if (!any) {
                            continue;
                        }
                        if (!r.file().equals(loadedPath)) {
                            if (loaded != null) {
                                loaded.close();
                                loaded = null;
                            }
                            resetPeakRss();
                            long t0 = System.nanoTime();
                            loaded = Model.load(Model.Params.of(r.file()).withGpuLayers(cfg.gpuLayers()));
                            sha = FileHashes.sha256(r.file());
                            tLoad += System.nanoTime() - t0;
                            loadedPath = r.file();
                        }
                        PromptCompressor comp = null;
                        if (me.compresses()) {
                            long t0 = System.nanoTime();
                            comp = pool.get(me.compressor());
                            tLoad += System.nanoTime() - t0;
                        }
                        resetPeakRss();
                        runMethod(m, me, r, sha, loaded, comp, nCtx, work, results, progress);
                    }
                    if (loaded != null) {
                        loaded.close();
                        loaded = null;
                    }
                    if (cfg.fidelitySamples() != 0) {
                        runFidelity(m, resolved, work, results, fidelity, pool);
                    }
                    compressedForFidelity.clear();
                } finally {
                    try {
                        if (loaded != null) {
                            loaded.close();
                        }
                    } finally {
                        pool.close();
                    }
                }
            }
            ObjectNode summary = summary(System.nanoTime() - wall0, results.size(), total);
            Manifest.finishSession(cfg.manifestFile(), summary);
            return summary;
        }
    }

    private void runMethod(ModelSpec m, Method me, ModelSpec.Resolved r, String sha, Model model, PromptCompressor comp,
                           int nCtx, List<TaskWork> work, ResultsLog results, Progress progress) {
        checkKvFits(model, nCtx, me);
        Session.Params sp = Session.Params.of(nCtx).withKv(me.kvK(), me.kvV()).withFlashAttention(me.flashAttention())
                .withBatch(cfg.batch(), cfg.ubatch()).withThreads(cfg.threads());
        try (Session session = Session.open(model, sp)) {
            // warm-up: one-time costs (graph allocation, first-touch of weights) stay out of the first sample's figures
            session.generate(model.tokenize("Hello", true, false), GenerationOptions.of(2));
            for (TaskWork w : work) {
                TaskSpec task = w.task();
                for (int si = 0; si < w.samples().size(); si++) {
                    Sample s = w.samples().get(si);
                    String key = key(m.name(), me.name(), task.name(), s.id());
                    if (results.done(key)) {
                        continue;
                    }
                    progress.starting(m.name(), me.name(), task.name(), s.id());
                    String record;
                    try {
                        record = runSample(m, me, r, sha, model, session, comp, task, s, si, key);
                    } catch (CtxbenchException e) {
                        err.println("eval: sample " + s.id() + " (" + s.source() + ") of " + task.name() + " with "
                                + me.name() + " failed and is skipped: " + e.getMessage());
                        skipped.merge("failed: " + me.name(), 1, Integer::sum);
                        progress.skip();
                        continue;
                    }
                    // outside the per-sample catch: a results file that cannot be written ends the run, not a sample
                    long b0 = System.nanoTime();
                    results.append(key, record);
                    tBook += System.nanoTime() - b0;
                    written++;
                    progress.done();
                }
            }
        }
    }

    /** Runs and scores one sample; returns its record (one JSON line) for the caller to append. */
    private String runSample(ModelSpec m, Method me, ModelSpec.Resolved r, String sha, Model model, Session session,
                             PromptCompressor comp, TaskSpec task, Sample s, int indexInTask, String key) {
        long t0 = System.nanoTime();
        String context = s.context();
        double compressionMs = 0;
        CompressionResult co = null;
        if (comp != null) {
            long c0 = System.nanoTime();
            co = comp.compress(CompressionRequest.of(instructionOf(task), s.context(), s.input(), CompressionTarget.rate(me.rate())));
            long c1 = System.nanoTime();
            context = co.context();
            compressionMs = (c1 - c0) / 1e6;
            tCompress += c1 - c0;
            if (cfg.fidelitySamples() != 0 && (cfg.fidelitySamples() < 0 || indexInTask < cfg.fidelitySamples())) {
                compressedForFidelity.put(key, context);
            }
        }
        long p0 = System.nanoTime();
        Prompts.Built built = Prompts.build(model, task, context, s.input(), cfg.maxLength(), cfg.chat());
        String bucket = Prompts.bucket(built.rawTokens());
        tPrompt += System.nanoTime() - p0;
        if (!cfg.buckets().isEmpty() && !cfg.buckets().contains(bucket)) {
            throw new CtxbenchException("not in the selected length buckets (" + bucket + ")");
        }
        long g0 = System.nanoTime();
        Generation g = session.generate(built.tokens(), GenerationOptions.of(cfg.maxNewTokens(task)));
        long g1 = System.nanoTime();
        tGenerate += g1 - g0;

        // ---- scoring ----
        String pred = g.text();
        QaScore.Result qa = QaScore.best(pred, s.answers());
        double rouge = RougeL.best(pred, s.answers());
        Hallucination.Result hal = Hallucination.score(pred, s.context());
        long sc1 = System.nanoTime();
        tScore += sc1 - g1;

        // ---- bookkeeping ----
        ObjectNode o = JSON.createObjectNode();
        o.put("key", key);
        o.put("kind", "sample");
        o.put("model", m.name());
        o.put("model_file", r.file().toString());
        o.put("model_sha256", sha);
        o.put("weights_stand_in", r.standIn());
        o.put("method", me.name());
        o.put("level", me.level());
        o.put("weights", me.weights());
        o.put("kv_k", me.kvK().label());
        o.put("kv_v", me.kvV().label());
        o.put("kv_path", session.kvPath().label());
        o.put("compressor", me.compressor());
        o.put("rate", me.rate());
        o.put("task", task.name());
        o.put("metric", task.metric().label());
        o.put("id", s.id());
        o.put("source", s.source());
        o.put("bucket", bucket);
        o.put("dataset_length", s.length());
        o.put("raw_prompt_tokens", built.rawTokens());
        o.put("truncated", built.truncated());
        o.put("prompt_sha256", tokenHash(built.tokens()));
        o.put("prediction", pred);
        ArrayNode ans = o.putArray("answers");
        s.answers().forEach(ans::add);
        ArrayNode ids = o.putArray("generated_token_ids");
        for (int t : g.tokens()) {
            ids.add(t);
        }
        o.put("stop_reason", g.stopReason().toString());
        ObjectNode sc = o.putObject("scores");
        sc.put("score", task.metric() == Metric.QA_F1 ? qa.f1() : rouge);
        sc.put("qa_f1", qa.f1());
        sc.put("qa_precision", qa.precision());
        sc.put("qa_recall", qa.recall());
        sc.put("rouge_l_f", rouge);
        sc.put("hallucination", hal.score());
        sc.put("hallucination_elements", hal.elements());
        sc.put("hallucinated_elements", hal.hallucinated());
        Generation.Timings t = g.timings();
        ObjectNode mt = o.putObject("metrics");
        mt.put("prompt_tokens", t.promptTokens());
        mt.put("generated_tokens", t.generatedTokens());
        mt.put("decode_tps", t.decodeTokensPerSecond());
        mt.put("prefill_tps", t.prefillTokensPerSecond());
        mt.put("ttft_ms", t.ttftMillis());
        mt.put("e2e_ms", t.endToEndMillis() + compressionMs);
        mt.put("generation_ms", t.endToEndMillis());
        mt.put("compression_ms", compressionMs);
        mt.put("context_chars", s.context().length());
        mt.put("compressed_context_chars", context.length());
        if (co != null) {
            mt.put("compression_original_tokens", co.originalTokens());
            mt.put("compression_kept_tokens", co.compressedTokens());
            mt.put("compression_achieved_rate", co.achievedRate());
            mt.put("compression_target_met", co.targetMet());
            mt.put("compression_device", co.device());
        }
        long peakDevice = -1;
        for (Devices.Memory d : g.memory().peakDuringGeneration()) {
            if (!d.name().toLowerCase().startsWith("cpu")) {
                peakDevice = Math.max(peakDevice, d.used());
            }
        }
        mt.put("peak_device_bytes", peakDevice);
        mt.put("process_peak_rss_bytes", g.memory().processPeakResidentBytes());
        mt.put("model_bytes", g.memory().modelBytes());
        mt.put("kv_bytes", g.memory().kvBytes());
        ObjectNode costs = o.putObject("costs");
        costs.put("sample_ms", (sc1 - t0) / 1e6);
        costs.put("scoring_ms", (sc1 - g1) / 1e6);
        o.put("finished", OffsetDateTime.now().toString());
        String line;
        try {
            line = JSON.writeValueAsString(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        tBook += System.nanoTime() - sc1;
        return line;
    }

    // ---------------------------------------------------------------- fidelity

    private void runFidelity(ModelSpec m, Map<String, ModelSpec.Resolved> resolved, List<TaskWork> work,
                             ResultsLog results, ResultsLog fidelity, CompressorPool pool) {
        Method base = baseline();
        if (base == null) {
            return;
        }
        Map<String, int[]> baseTokens = baselineTokens(cfg.resultsFile(), m.name(), base.name());
        ModelSpec.Resolved br = resolved.get(m.name() + "|" + base.name());
        for (Method me : cfg.methods()) {
            if (me.name().equals(base.name())) {
                continue;
            }
            ModelSpec.Resolved mr = resolved.get(m.name() + "|" + me.name());
            List<Sample[]> todo = new ArrayList<>();
            List<TaskSpec> todoTask = new ArrayList<>();
            for (TaskWork w : work) {
                int n = cfg.fidelitySamples() < 0 ? w.samples().size() : Math.min(cfg.fidelitySamples(), w.samples().size());
                for (Sample s : w.samples().subList(0, n)) {
                    String k = key(m.name(), me.name(), w.task().name(), s.id());
                    if (!fidelity.done(k) && baseTokens.containsKey(key(m.name(), base.name(), w.task().name(), s.id()))
                            && results.done(k)) {
                        todo.add(new Sample[]{s});
                        todoTask.add(w.task());
                    }
                }
            }
            if (todo.isEmpty()) {
                continue;
            }
            long f0 = System.nanoTime();
            err.println("eval: fidelity of " + me.name() + " against " + base.name() + " on " + todo.size() + " sample(s)");
            try (Model bm = Model.load(Model.Params.of(br.file()).withGpuLayers(cfg.gpuLayers()));
                 Model mm = mr.file().equals(br.file()) ? null : Model.load(Model.Params.of(mr.file()).withGpuLayers(cfg.gpuLayers()))) {
                Model methodModel = mm == null ? bm : mm;
                PromptCompressor comp = me.compresses() ? pool.get(me.compressor()) : null;
                int maxNew = cfg.fidelityTokens();
                int nCtx = cfg.contextSize(maxNew);
                checkKvFits(bm, nCtx, base);
                checkKvFits(methodModel, nCtx, me);
                try (Session bs = Session.open(bm, Session.Params.of(nCtx).withKv(base.kvK(), base.kvV())
                        .withFlashAttention(base.flashAttention()).withBatch(cfg.batch(), cfg.ubatch()).withThreads(cfg.threads()));
                     Session ms = Session.open(methodModel, Session.Params.of(nCtx).withKv(me.kvK(), me.kvV())
                             .withFlashAttention(me.flashAttention()).withBatch(cfg.batch(), cfg.ubatch()).withThreads(cfg.threads()))) {
                    for (int i = 0; i < todo.size(); i++) {
                        Sample s = todo.get(i)[0];
                        TaskSpec task = todoTask.get(i);
                        int[] gen = baseTokens.get(key(m.name(), base.name(), task.name(), s.id()));
                        int[] basePrompt = Prompts.build(bm, task, s.context(), s.input(), cfg.maxLength(), cfg.chat()).tokens();
                        String done = compressedForFidelity.get(key(m.name(), me.name(), task.name(), s.id()));
                        String ctx = comp == null ? s.context() : done != null ? done
                                : comp.compress(CompressionRequest.of(instructionOf(task), s.context(), s.input(),
                                        CompressionTarget.rate(me.rate()))).context();
                        int[] methodPrompt = Prompts.build(methodModel, task, ctx, s.input(), cfg.maxLength(), cfg.chat()).tokens();
                        Fidelity.Accumulator acc = compare(bs, basePrompt, ms, methodPrompt, gen, maxNew);
                        ObjectNode o = JSON.createObjectNode();
                        String k = key(m.name(), me.name(), task.name(), s.id());
                        o.put("key", k);
                        o.put("kind", "fidelity");
                        o.put("model", m.name());
                        o.put("method", me.name());
                        o.put("baseline", base.name());
                        o.put("task", task.name());
                        o.put("id", s.id());
                        o.put("positions", acc.positions());
                        o.put("kl_mean", acc.positions() == 0 ? null : acc.meanKl());
                        o.put("kl_max", acc.positions() == 0 ? null : acc.maxKl());
                        o.put("top1_agreement", acc.positions() == 0 ? null : acc.top1Agreement());
                        try {
                            fidelity.append(k, JSON.writeValueAsString(o));
                        } catch (IOException e) {
                            throw new IllegalStateException(e);
                        }
                        fidelityWritten++;
                    }
                }
            }
            tFidelity += System.nanoTime() - f0;
        }
    }

    /**
     * Teacher forcing: both sessions read their own prompt, then the baseline's generated tokens; at each of the
     * first {@code maxPositions} generated positions the two next-token distributions are compared.
     */
    public static Fidelity.Accumulator compare(Session base, int[] basePrompt, Session method, int[] methodPrompt,
                                               int[] continuation, int maxPositions) {
        int positions = Math.min(maxPositions, continuation.length);
        Fidelity.Accumulator acc = new Fidelity.Accumulator();
        if (positions == 0) {
            return acc;
        }
        int vocab = base.model().vocabSize();
        if (method.model().vocabSize() != vocab) {
            throw new CtxbenchException("fidelity needs the same vocabulary: baseline has " + vocab + " tokens, method "
                    + method.model().vocabSize());
        }
        double[][] baseLogp = new double[positions][vocab];
        int[] baseTop = new int[positions];
        feed(base, basePrompt, continuation, positions, (i, logits) -> baseTop[i] = Fidelity.logSoftmax(logits, vocab, baseLogp[i]));
        double[] tmp = new double[vocab];
        feed(method, methodPrompt, continuation, positions, (i, logits) -> {
            int top = Fidelity.logSoftmax(logits, vocab, tmp);
            acc.add(Fidelity.kl(baseLogp[i], tmp, vocab), top == baseTop[i]);
        });
        return acc;
    }

    private interface PositionConsumer {
        void accept(int index, java.lang.foreign.MemorySegment logits);
    }

    private static void feed(Session s, int[] prompt, int[] cont, int positions, PositionConsumer c) {
        s.clear();
        if (prompt.length > 1) {
            s.evaluate(Arrays.copyOf(prompt, prompt.length - 1), null);
        }
        int[] tail = new int[positions];
        tail[0] = prompt[prompt.length - 1];
        System.arraycopy(cont, 0, tail, 1, positions - 1);
        int start = prompt.length - 1;
        s.evaluate(tail, (pos, logits) -> c.accept(pos - start, logits));
    }

    private Method baseline() {
        if (cfg.baseline() != null) {
            return cfg.methods().stream().filter(x -> x.name().equals(cfg.baseline())).findFirst().orElse(null);
        }
        return cfg.methods().getFirst();
    }

    /** The generated tokens of {@code model}'s {@code method} records in {@code resultsFile}, by key. */
    static Map<String, int[]> baselineTokens(Path resultsFile, String model, String method) {
        Map<String, int[]> out = new HashMap<>();
        try (BufferedReader in = Files.newBufferedReader(resultsFile, StandardCharsets.UTF_8)) {
            int lineNo = 0;
            for (String line; (line = in.readLine()) != null; ) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n = ResultsLog.record(line);
                if (n == null) {
                    throw new CtxbenchException(resultsFile + " is damaged at line " + lineNo + " (not one record); "
                            + "another writer may have used it: repair or remove that line by hand");
                }
                if (model.equals(n.path("model").asText()) && method.equals(n.path("method").asText())) {
                    JsonNode ids = n.path("generated_token_ids");
                    int[] t = new int[ids.size()];
                    for (int i = 0; i < t.length; i++) {
                        t[i] = ids.get(i).asInt();
                    }
                    out.put(n.get("key").asText(), t);
                }
            }
        } catch (IOException e) {
            throw new CtxbenchException("cannot read " + resultsFile + ": " + e.getMessage(), e);
        }
        return out;
    }

    // ---------------------------------------------------------------- helpers

    /** The task template's text before the context: the instruction a compressor reads but never changes. */
    static String instructionOf(TaskSpec task) {
        return task.template().substring(0, Math.max(0, task.template().indexOf("{context}")));
    }

    /** The compressors opened for one model: one instance per id, reused across methods and samples, closed together. */
    private final class CompressorPool implements AutoCloseable {
        private final ModelSpec model;
        private final Map<String, PromptCompressor> open = new LinkedHashMap<>();

        CompressorPool(ModelSpec model) {
            this.model = model;
        }

        PromptCompressor get(String id) {
            PromptCompressor c = open.get(id);
            if (c == null) {
                long t0 = System.nanoTime();
                c = Compressors.open(id, new Compressors.Setup(model.given(), cfg.compressorModel(), cfg.threads(), cfg.gpuLayers()));
                open.put(id, c);
                err.printf(java.util.Locale.ROOT, "eval: compressor %s opened for %s in %.2f s%n", id, model.name(),
                        (System.nanoTime() - t0) / 1e9);
            }
            return c;
        }

        @Override
        public void close() {
            RuntimeException first = null;
            List<PromptCompressor> cs = new ArrayList<>(open.values());
            open.clear();
            for (int i = cs.size() - 1; i >= 0; i--) {
                try {
                    cs.get(i).close();
                } catch (RuntimeException e) {
                    if (first == null) {
                        first = e;
                    }
                }
            }
            if (first != null) {
                throw first;
            }
        }
    }

    /**
     * Refuses a context whose KV cache alone is larger than the memory of every device together (llama.cpp's view:
     * GPUs' free memory, the host's physical memory): llama.cpp would try to allocate it and the process be killed.
     */
    private void checkKvFits(Model model, int nCtx, Method me) {
        long padded = (nCtx + 255L) / 256 * 256;   // llama.cpp pads n_ctx to a multiple of 256
        long kv = padded * model.kvBytesPerToken(me.kvK(), me.kvV());
        long all = 0;
        for (Devices.Memory d : Devices.memory()) {
            if (cfg.gpuLayers() != 0 || d.name().toLowerCase(java.util.Locale.ROOT).startsWith("cpu")) {
                all += d.free();
            }
        }
        if (kv > all) {
            throw new CtxbenchException(String.format(java.util.Locale.ROOT, "--max-length %d needs a context of %d tokens "
                    + "whose KV cache (%s/%s) takes %.1f GiB, more than the %.1f GiB of memory llama.cpp sees: lower "
                    + "--max-length", cfg.maxLength(), nCtx, me.kvK().label(), me.kvV().label(), kv / GIB, all / GIB));
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
            return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.array()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private ObjectNode configNode(List<TaskWork> work) {
        ObjectNode c = JSON.createObjectNode();
        ArrayNode models = c.putArray("models");
        for (ModelSpec m : cfg.models()) {
            ObjectNode mo = models.addObject().put("name", m.name()).put("given", absolute(m.given())).put("stand_in", m.standIn());
            ObjectNode v = mo.putObject("variants");
            m.variants().forEach((k, p) -> v.put(k, absolute(p)));
        }
        c.put("compressor_scoring_model", cfg.compressorModel() == null ? null : absolute(cfg.compressorModel()));
        ArrayNode methods = c.putArray("methods");
        for (Method me : cfg.methods()) {
            ObjectNode mo = methods.addObject().put("name", me.name()).put("level", me.level()).put("weights", me.weights())
                    .put("kv_k", me.kvK().label()).put("kv_v", me.kvV().label()).put("compressor", me.compressor())
                    .put("rate", me.rate()).put("flash_attention", me.flashAttention().toString()).put("about", me.about());
            ArrayNode p = mo.putArray("pipeline");
            me.pipeline().forEach(p::add);
        }
        Method base = baseline();
        c.put("baseline", base == null ? null : base.name());
        ObjectNode tasks = c.putObject("tasks");
        for (TaskWork w : work) {
            tasks.putObject(w.task().name()).put("samples", w.samples().size()).put("max_new_tokens", cfg.maxNewTokens(w.task()))
                    .put("metric", w.task().metric().label());
        }
        ArrayNode data = c.putArray("data");
        cfg.dataFiles().forEach(f -> data.add(absolute(f)));
        ArrayNode dataSha = c.putArray("data_sha256");
        cfg.dataFiles().forEach(f -> dataSha.add(FileHashes.sha256(f)));
        c.put("task_override", cfg.taskOverride());
        ArrayNode synth = c.putArray("synthetic_tasks");
        cfg.syntheticTasks().forEach(synth::add);
        c.put("synthetic_count", cfg.syntheticCount());
        c.put("max_length", cfg.maxLength());
        c.put("limit", cfg.limit());
        ArrayNode ids = c.putArray("ids");
        cfg.ids().stream().sorted().forEach(ids::add);
        ArrayNode buckets = c.putArray("buckets");
        cfg.buckets().stream().sorted().forEach(buckets::add);
        c.put("shard", cfg.shardIndex() + "/" + cfg.shardCount());
        c.put("threads", cfg.threads());
        c.put("gpu_layers", cfg.gpuLayers());
        c.put("batch", cfg.batch());
        c.put("ubatch", cfg.ubatch());
        c.put("chat_template", cfg.chat());
        c.put("max_new_tokens_cap", cfg.maxNewTokensCap());
        c.put("fidelity_samples", cfg.fidelitySamples());
        c.put("fidelity_tokens", cfg.fidelityTokens());
        c.put("synthetic_words", cfg.syntheticWords());
        c.put("seed", cfg.seed());
        return c;
    }

    private static String absolute(Path p) {
        return p.toAbsolutePath().normalize().toString();
    }

    private ObjectNode summary(long wallNs, int recordsInFile, int planned) {
        ObjectNode s = JSON.createObjectNode();
        s.put("samples_written", written);
        s.put("samples_planned", planned);
        s.put("records_in_results_file", recordsInFile);
        s.put("fidelity_records_written", fidelityWritten);
        int sk = skipped.values().stream().mapToInt(Integer::intValue).sum();
        s.put("samples_skipped", sk);
        ObjectNode why = s.putObject("skipped_by_reason");
        skipped.forEach(why::put);
        ArrayNode iss = s.putArray("data_issues");
        issues.forEach(i -> iss.add(i.toString()));
        ObjectNode t = s.putObject("seconds");
        t.put("wall", wallNs / 1e9);
        t.put("model_loading", tLoad / 1e9);
        t.put("compression", tCompress / 1e9);
        t.put("prompt_building", tPrompt / 1e9);
        t.put("generation", tGenerate / 1e9);
        t.put("scoring", tScore / 1e9);
        t.put("bookkeeping", tBook / 1e9);
        t.put("fidelity", tFidelity / 1e9);
        s.put("scoring_and_bookkeeping_share_of_wall", wallNs == 0 ? 0 : (double) (tScore + tBook) / wallNs);
        return s;
    }

    /** Progress with ETA on stderr: one line per sample. */
    static final class Progress {
        private final int total;
        private final PrintStream err;
        private final long t0 = System.nanoTime();
        private int done, skippedCount;
        private String what = "";

        Progress(int total, PrintStream err) {
            this.total = total;
            this.err = err;
        }

        void starting(String model, String method, String task, String id) {
            what = method + " " + task + " " + id;
        }

        void done() {
            done++;
            print();
        }

        void skip() {
            skippedCount++;
            print();
        }

        private void print() {
            int finished = done + skippedCount;
            double el = (System.nanoTime() - t0) / 1e9;
            double eta = finished == 0 ? 0 : el / finished * (total - finished);
            err.printf("eval: [%d/%d] %s  elapsed %s, ETA %s%n", finished, total, what, fmt(el), fmt(eta));
            err.flush();
        }

        static String fmt(double s) {
            long x = Math.round(s);
            return x >= 3600 ? String.format("%dh%02dm", x / 3600, x % 3600 / 60)
                    : x >= 60 ? String.format("%dm%02ds", x / 60, x % 60) : x + "s";
        }
    }
}
