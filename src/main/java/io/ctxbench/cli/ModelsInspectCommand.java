package io.ctxbench.cli;

import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.Devices;
import io.ctxbench.engine.FlashAttention;
import io.ctxbench.engine.KvCacheType;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.Session;
import io.ctxbench.gguf.GgmlType;
import io.ctxbench.gguf.ModelCatalog;
import io.ctxbench.models.ModelInspector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code ctxbench models inspect}. */
@Command(name = "inspect", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Describe a GGUF from its metadata without loading weights (or a catalog shape, no file needed):",
                "architecture, shape, parameters, bytes per tensor type, tokenizer, chat template, context length,",
                "KV cache bytes per token for every cache type llama.cpp takes, and the study's memory estimate for a context:",
                "  weights (tensor bytes) + KV ((-c context + -n new tokens) x KV bytes per token)",
                "  + logits (n_vocab x 4 bytes x 1 output: generation keeps the last position's logits).",
                "Compute buffers and allocator slack are not in the formula; --measure shows the gap.", ""},
        footer = {"", "Examples: ctxbench models inspect -m model.gguf -c 32000 -n 96",
                "          ctxbench models inspect --shape llama-3.1-8b -c 32000 -n 96 -ctk q8_0 -ctv q8_0 --json"})
public final class ModelsInspectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "GGUF", description = "GGUF to inspect.")
    Path model;

    @Option(names = "--shape", paramLabel = "NAME", description = "A shape of the synthetic catalog instead of a file.")
    String shape;

    @Option(names = "--type", defaultValue = "f16", paramLabel = "TYPE", description = "With --shape: type of the 2-D "
            + "weights, as models synth --type. Default: ${DEFAULT-VALUE}.")
    String weights;

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N", description = "Tokens of context (the prompt) in the memory "
            + "estimate; the KV cache holds -c + -n tokens. Without -c, -n and --measure no estimate is made.")
    Integer context;

    @Option(names = {"-n", "--n-predict"}, defaultValue = "0", paramLabel = "N",
            description = "Tokens generated after the context, for the memory estimate (default: ${DEFAULT-VALUE}).")
    int newTokens;

    @Option(names = {"-ctk", "--cache-type-k"}, defaultValue = "f16", paramLabel = "TYPE",
            description = "K cache type of the estimate (and --measure): " + EngineOptions.CACHE_TYPES)
    String typeK;

    @Option(names = {"-ctv", "--cache-type-v"}, defaultValue = "f16", paramLabel = "TYPE",
            description = "V cache type of the estimate (and --measure), as -ctk.")
    String typeV;

    @Option(names = "--measure", description = "Load the model (all layers on the accelerator), create a session of"
            + " context + new tokens, and compare the device memory it took with the estimate.")
    boolean measure;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    // old spellings, hidden, for one release (OldSpelling)
    @Option(names = "--weights", hidden = true)
    String oldWeights;

    @Option(names = "--context", hidden = true)
    Integer oldContext;

    @Option(names = "--new-tokens", hidden = true)
    Integer oldNewTokens;

    @Option(names = "--kv", hidden = true)
    String oldKv;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if ((model == null) == (shape == null)) {
            throw new CtxbenchException("give exactly one of -m/--model FILE or --shape NAME");
        }
        weights = OldSpelling.take(spec, "--type", weights, "--weights", oldWeights);
        int context = orZero(OldSpelling.take(spec, "--ctx-size", this.context, "--context", oldContext));
        newTokens = OldSpelling.take(spec, "--n-predict", newTokens, "--new-tokens", oldNewTokens);
        String kv = OldSpelling.take(spec, "--cache-type-k and --cache-type-v", null, "--kv", oldKv);
        KvCacheType k = KvCacheType.parse(kv != null ? kv : typeK);
        KvCacheType v = KvCacheType.parse(kv != null ? kv : typeV);
        ModelInspector.Report r;
        if (shape != null) {
            GgmlType wt = GgmlType.byName(weights).orElseThrow(() -> new CtxbenchException("unknown weight type " + weights));
            r = ModelInspector.inspect(ModelCatalog.load().require(shape), wt);
        } else {
            r = ModelInspector.inspect(model);
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("model", r);
        ModelInspector.MemoryEstimate est = null;
        if (context > 0 || newTokens > 0 || measure) {
            est = r.estimate(context, newTokens, k, v);
            doc.put("memory_estimate", est);
        }
        if (measure) {
            if (model == null) {
                throw new CtxbenchException("--measure needs a model file (-m)");
            }
            doc.put("measured", measure(est, context, k, v));
        }
        if (json) {
            out.println(Json.pretty(doc));
            return 0;
        }
        print(out, r, est);
        if (doc.get("measured") instanceof Map<?, ?> mm) {
            out.println("measured (device memory taken by weights + session):");
            mm.forEach((key, value) -> out.printf(Locale.ROOT, "  %-26s %s%n", key, value));
        }
        return 0;
    }

    private static int orZero(Integer n) {
        return n == null ? 0 : n;
    }

    private Map<String, Object> measure(ModelInspector.MemoryEstimate est, int context, KvCacheType k, KvCacheType v) {
        Map<String, Object> m = new LinkedHashMap<>();
        int nCtx = context + newTokens;
        try (Model mdl = Model.load(Model.Params.of(model))) {
            try (Session s = Session.open(mdl, Session.Params.of(nCtx).withKv(k, v).withFlashAttention(FlashAttention.ON))) {
                List<Devices.Memory> before = mdl.memoryBeforeLoad();
                List<Devices.Memory> after = s.memoryAfterContext();
                boolean accel = Devices.hasAccelerator();
                List<Devices.Device> devs = Devices.list();
                long used = 0;
                for (int i = 0; i < Math.min(before.size(), after.size()); i++) {
                    if (accel && devs.get(i).type().equals("cpu")) continue;
                    used += after.get(i).used() - before.get(i).used();
                }
                m.put("context_cells", s.contextSize());
                m.put("llama_model_size_bytes", mdl.sizeBytes());
                m.put("llama_kv_bytes", s.kvBytesK() + s.kvBytesV());
                m.put("device_used_bytes", used);
                m.put("device_kind", accel ? "accelerator" : "cpu (host memory: noisy)");
                m.put("estimate_bytes", est.totalBytes());
                m.put("difference_percent", used == 0 ? null : 100.0 * (used - est.totalBytes()) / used);
            }
        }
        return m;
    }

    private static void print(PrintWriter out, ModelInspector.Report r, ModelInspector.MemoryEstimate est) {
        out.printf(Locale.ROOT, "%s%n", r.source());
        out.printf(Locale.ROOT, "  architecture     %s  %s%n", r.architecture(), r.name());
        out.printf(Locale.ROOT, "  shape            layers %d, embedding %d, ffn %d, heads %d, kv heads %d, head dim %d/%d, vocab %d%n",
                r.layers(), r.embedding(), r.feedForward(), r.heads(), r.headsKv(), r.headDimK(), r.headDimV(), r.vocabSize());
        out.printf(Locale.ROOT, "  context length   %,d%n", r.contextLength());
        out.printf(Locale.ROOT, "  parameters       %,d%n", r.parameters());
        out.printf(Locale.ROOT, "  tensor bytes     %,d (%.2f GiB, %.3f bits/weight)%n", r.tensorBytes(), r.tensorBytes() / 1073741824.0, r.bitsPerWeight());
        r.tensorBytesByType().forEach((k, v) -> out.printf(Locale.ROOT, "    %-8s %,18d%n", k, v));
        if (r.fileBytes() >= 0) {
            out.printf(Locale.ROOT, "  file bytes       %,d%n", r.fileBytes());
        }
        out.printf(Locale.ROOT, "  tokenizer        %s%s%n", r.tokenizerModel() == null ? "(none)" : r.tokenizerModel(),
                r.tokenizerPre() == null ? "" : " (pre " + r.tokenizerPre() + ")");
        out.printf(Locale.ROOT, "  chat template    %s%n", r.chatTemplate() ? "yes: " + r.chatTemplateFirstLine() : "no");
        out.printf(Locale.ROOT, "  flags            %s%n", r.flags());
        out.println("  KV bytes/token   " + r.kvBytesPerToken());
        if (est != null) {
            out.printf(Locale.ROOT, "memory estimate for %d + %d tokens, KV %s:%n", est.contextTokens(), est.newTokens(), est.kvType());
            out.printf(Locale.ROOT, "  weights %,18d bytes%n  kv      %,18d bytes%n  logits  %,18d bytes%n  total   %,18d bytes (%.2f GiB)%n",
                    est.weightsBytes(), est.kvBytes(), est.logitsBytes(), est.totalBytes(), est.totalBytes() / 1073741824.0);
        }
    }
}
