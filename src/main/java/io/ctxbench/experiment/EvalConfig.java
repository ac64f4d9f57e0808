package io.ctxbench.experiment;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.chat.ChatFormat;
import io.ctxbench.engine.chat.ChatTemplate;
import io.ctxbench.results.Json;
import io.ctxbench.tasks.ruler.RulerData;
import io.ctxbench.tasks.Prompts;

import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything one {@code ctxbench eval} run needs. {@code limit}: first N samples of each task (0 = all);
 * {@code ids}/{@code buckets}: empty = all; {@code maxLength}: the token budget of middle truncation for every model
 * (0: each model's own, LongBench's trained context minus 500, see {@link PromptPlan});
 * {@code fidelitySamples}: per task, how many samples get the KL/top-1 fidelity pass against the baseline method
 * (-1 all, 0 none), over at most {@code fidelityTokens} positions of the baseline's generation;
 * {@code maxNewTokensCap} &gt; 0 lowers every task's max new tokens to at most that (a documented deviation from
 * LongBench for quick runs; 0 keeps LongBench's values); {@code variants} makes weights variants that were not
 * given (null: none); {@code compressorModels}: the models of model-based compressors, by id or for all (null: their
 * defaults, SmolLM2-135M-Instruct for perplexity); {@code chatFormat} wraps the prompts (null: no chat template, --no-chat), with
 * {@code chatDate} as the day a template that prints the date writes (null: the first session's day); {@code ruler}:
 * the generated tasks (RULER and the needle grid), {@link RulerSpec#NONE} for none; {@code parallel}: sequences
 * in flight in the quality pass (1: every sample at batch 1, as the study; 0: chosen per method from free memory,
 * see {@link EvalRunner#autoParallel}); {@code costSamples}: per task and method, the first samples that run at batch
 * 1 as the cost pass when {@code parallel} is not 1 (-1: all).
 */
public record EvalConfig(List<ModelSpec> models, List<Method> methods, String baseline, List<Path> dataFiles,
                         String taskOverride, RulerSpec ruler, long seed, int limit, Set<String> ids, Set<String> buckets, int maxLength, int shardIndex,
                         int shardCount, Path outDir, boolean resume, int threads, int gpuLayers, int batch, int ubatch,
                         int fidelitySamples, int fidelityTokens, ChatFormat chatFormat, LocalDate chatDate,
                         int maxNewTokensCap, VariantProvider variants,
                         CompressorModels compressorModels, List<String> argv, int parallel, int costSamples) {
    public EvalConfig {
        compressorModels = compressorModels == null ? CompressorModels.NONE : compressorModels;
        if (parallel < 0 || parallel > io.ctxbench.engine.ParallelGenerator.MAX_PARALLEL) {
            throw new CtxbenchException("--parallel must be 0 (auto) .. " + io.ctxbench.engine.ParallelGenerator.MAX_PARALLEL
                    + ", got " + parallel);
        }
        if (costSamples < -1) {
            throw new CtxbenchException("--cost-samples must be -1 (all) or >= 0, got " + costSamples);
        }
        if (models.isEmpty()) {
            throw new CtxbenchException("no model to evaluate");
        }
        if (methods.isEmpty()) {
            throw new CtxbenchException("no method to evaluate");
        }
        ruler = ruler == null ? RulerSpec.NONE : ruler;
        if (dataFiles.isEmpty() && !ruler.any()) {
            throw new CtxbenchException("no data: give --data FILE, --ruler TASKS and/or --needle");
        }
        if (maxLength != 0 && maxLength < MIN_MAX_LENGTH) {
            throw new CtxbenchException("--max-length must be at least " + MIN_MAX_LENGTH + " tokens, got " + maxLength);
        }
        if (shardCount < 1 || shardIndex < 0 || shardIndex >= shardCount) {
            throw new CtxbenchException("bad shard " + shardIndex + "/" + shardCount + ": use i/n with 0 <= i < n");
        }
        if (limit < 0) {
            throw new CtxbenchException("--limit must be >= 0");
        }
        if (fidelityTokens < 1) {
            throw new CtxbenchException("--fidelity-tokens must be >= 1");
        }
        if (baseline != null && methods.stream().noneMatch(m -> m.name().equals(baseline))) {
            throw new CtxbenchException("baseline method " + baseline + " is not among the methods run");
        }
        if (maxNewTokensCap < 0) {
            throw new CtxbenchException("--max-new-tokens must be >= 0");
        }
        variants = variants == null ? VariantProvider.NONE : variants;
    }

    /** Every sample at batch 1 (no quality pass in parallel), as before --parallel. */
    public EvalConfig(List<ModelSpec> models, List<Method> methods, String baseline, List<Path> dataFiles,
                      String taskOverride, RulerSpec ruler, long seed, int limit, Set<String> ids, Set<String> buckets,
                      int maxLength, int shardIndex, int shardCount, Path outDir, boolean resume, int threads, int gpuLayers,
                      int batch, int ubatch, int fidelitySamples, int fidelityTokens, ChatFormat chatFormat,
                      LocalDate chatDate, int maxNewTokensCap, VariantProvider variants, Path compressorModel,
                      List<String> argv) {
        this(models, methods, baseline, dataFiles, taskOverride, ruler, seed, limit, ids, buckets, maxLength, shardIndex,
                shardCount, outDir, resume, threads, gpuLayers, batch, ubatch, fidelitySamples, fidelityTokens, chatFormat,
                chatDate, maxNewTokensCap, variants, CompressorModels.of(compressorModel), argv, 1, -1);
    }

    /**
     * The place in its whole task (all shards) of this shard's sample {@code indexInShard}: shard i of n runs the
     * task's samples i, i + n, ... ({@link SampleSelection#forShard}). What counts "the first K samples of a task"
     * (--cost-samples, --fidelity) counts in these places, so the shards of a run together pick the samples one
     * process would.
     */
    public int indexInTask(int indexInShard) {
        return shardIndex + indexInShard * shardCount;
    }

    /** Whether sample {@code indexInTask} of a task runs in the batch-1 cost pass (else in the parallel quality pass). */
    public boolean costPass(int indexInTask, int parallelResolved) {
        return parallelResolved == 1 || costSamples < 0 || indexInTask < costSamples;
    }

    /** The smallest truncation budget. */
    public static final int MIN_MAX_LENGTH = 64;

    /** Max new tokens for a task: LongBench's value, lowered to the cap when one is set. */
    public int maxNewTokens(io.ctxbench.tasks.TaskSpec t) {
        return maxNewTokensCap > 0 ? Math.min(maxNewTokensCap, t.maxNewTokens()) : t.maxNewTokens();
    }

    /** File-name suffix of this shard's outputs: "" for an unsharded run, else "-shard-i-of-n". */
    public String shardSuffix() {
        return shardCount == 1 ? "" : "-shard-" + shardIndex + "-of-" + shardCount;
    }

    public Path resultsFile() {
        return outDir.resolve("results" + shardSuffix() + ".jsonl");
    }

    public Path fidelityFile() {
        return outDir.resolve("fidelity" + shardSuffix() + ".jsonl");
    }

    public Path manifestFile() {
        return outDir.resolve("manifest" + shardSuffix() + ".json");
    }

    /** The method the others are compared with: the one named by --baseline, else the first. */
    public Method baselineMethod() {
        return baseline == null ? methods.getFirst()
                : methods.stream().filter(x -> x.name().equals(baseline)).findFirst().orElseThrow();
    }

    /**
     * The config as the run manifest records it: everything that decides what is computed (a resume must keep it,
     * see {@link io.ctxbench.results.EvalManifest#differences}), with absolute paths and the data files' sha256.
     */
    ObjectNode manifestConfig(List<TaskWork> work, List<PromptPlan> plans, LocalDate chatDate,
                              Map<String, List<Integer>> rulerLengths) {
        ObjectNode c = Json.MAPPER.createObjectNode();
        ArrayNode ms = c.putArray("models");
        for (int i = 0; i < models.size(); i++) {
            ModelSpec m = models.get(i);
            ObjectNode mo = ms.addObject().put("name", m.name()).put("given", absolute(m.given())).put("stand_in", m.standIn())
                    .put("n_ctx_train", plans.get(i).trainedContext()).put("max_length", plans.get(i).maxLength());
            ObjectNode v = mo.putObject("variants");
            m.variants().forEach((k, p) -> v.put(k, absolute(p)));
        }
        c.put("compressor_scoring_model", compressorModels.fallback() == null ? null : absolute(compressorModels.fallback()));
        if (!compressorModels.byId().isEmpty()) {   // only then: a run written before the key existed resumes as it was
            ObjectNode cm = c.putObject("compressor_models");
            new java.util.TreeMap<>(compressorModels.byId()).forEach((id, p) -> cm.put(id, absolute(p)));
        }
        ArrayNode mes = c.putArray("methods");
        for (Method me : methods) {
            ObjectNode mo = mes.addObject().put("name", me.name()).put("level", me.level()).put("weights", me.weights())
                    .put("kv_k", me.kvK().label()).put("kv_v", me.kvV().label()).put("kv_rotation", me.kvRotation().label()).put("kv_evict", me.kvEviction().label())
                    .put("compressor", me.compressor())
                    .put("rate", me.rate()).put("flash_attention", me.flashAttention().toString()).put("about", me.about());
            ArrayNode p = mo.putArray("pipeline");
            me.pipeline().forEach(p::add);
        }
        c.put("baseline", baselineMethod().name());
        ArrayNode synthetic = c.putArray("synthetic_models");   // random weights: the report labels their scores
        models.stream().filter(ModelSpec::synthetic).forEach(m -> synthetic.add(m.name()));
        ObjectNode tasks = c.putObject("tasks");
        for (TaskWork w : work) {
            tasks.putObject(w.task().name()).put("samples", w.samples().size()).put("max_new_tokens", maxNewTokens(w.task()))
                    .put("metric", w.task().metric().label());
        }
        ArrayNode data = c.putArray("data");
        dataFiles.forEach(f -> data.add(absolute(f)));
        ArrayNode dataSha = c.putArray("data_sha256");
        dataFiles.forEach(f -> dataSha.add(FileHashes.sha256(f)));
        c.put("task_override", taskOverride);
        c.set("ruler", rulerConfig(rulerLengths));
        c.put("max_length", maxLength > 0 ? Integer.valueOf(maxLength) : null);
        c.put("limit", limit);
        ArrayNode idsNode = c.putArray("ids");
        ids.stream().sorted().forEach(idsNode::add);
        ArrayNode bucketsNode = c.putArray("buckets");
        buckets.stream().sorted().forEach(bucketsNode::add);
        c.put("shard", shardIndex + "/" + shardCount);
        c.put("threads", threads);
        c.put("gpu_layers", gpuLayers);
        c.put("batch", batch);
        c.put("ubatch", ubatch);
        c.put("chat_format", chatFormat == null ? Prompts.NO_CHAT : chatFormat.id());
        boolean jinja = chatFormat == ChatFormat.JINJA;
        c.put("chat_template_engine", jinja ? ChatTemplate.ENGINE : null);
        c.put("chat_date", jinja ? chatDate.toString() : null);
        c.put("max_new_tokens_cap", maxNewTokensCap);
        c.put("fidelity_samples", fidelitySamples);
        c.put("fidelity_tokens", fidelityTokens);
        c.put("seed", seed);
        c.put("parallel", parallel);
        c.put("cost_samples", costSamples);
        return c;
    }

    /**
     * The generated tasks as asked for, the lengths each model ran ({@code rulerLengths}, by model name), and the
     * prose and question files they were generated from, with their sha256 (other files, other samples).
     */
    private ObjectNode rulerConfig(Map<String, List<Integer>> rulerLengths) {
        ObjectNode r = Json.MAPPER.createObjectNode();
        ArrayNode t = r.putArray("tasks");
        ruler.tasks().forEach(t::add);
        ArrayNode l = r.putArray("lengths");
        ruler.lengths().forEach(l::add);
        ObjectNode byModel = r.putObject("lengths_by_model");
        rulerLengths.forEach((m, ls) -> {
            ArrayNode a = byModel.putArray(m);
            ls.forEach(a::add);
        });
        r.put("samples", ruler.samples());
        r.put("needle", ruler.needle());
        ArrayNode d = r.putArray("depths");
        if (ruler.needle() != null) {
            ruler.depthList().forEach(d::add);
        }
        r.put("data_dir", ruler.any() ? absolute(ruler.dataDir()) : null);
        ObjectNode sha = r.putObject("data_sha256");
        if (ruler.any()) {
            for (Path f : RulerData.files(ruler.dataDir())) {
                sha.put(ruler.dataDir().relativize(f).toString(), FileHashes.sha256(f));
            }
        }
        return r;
    }

    private static String absolute(Path p) {
        return p.toAbsolutePath().normalize().toString();
    }
}
