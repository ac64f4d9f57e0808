package io.ctxbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctxbench.CtxbenchException;
import io.ctxbench.compress.CompressionRequest;
import io.ctxbench.compress.CompressionResult;
import io.ctxbench.compress.CompressionTarget;
import io.ctxbench.compress.ExtractiveCompressor;
import io.ctxbench.compress.PerplexityCompressor;
import io.ctxbench.compress.PromptCompressor;
import io.ctxbench.compress.TokenClassifierCompressor;
import io.ctxbench.compress.TokenCounter;
import io.ctxbench.engine.FlashAttention;
import io.ctxbench.engine.LlamaLog;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.Session;
import io.ctxbench.models.PackagedModels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "compress", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Compress a prompt's context (the \"_c\" methods): drop the least informative tokens as scored "
                + "by a small LM (perplexity, LLMLingua-style) or keep the sentences most relevant to the question "
                + "(extractive, BM25, no model). The instruction and question are never changed. Prints the kept "
                + "text on stdout and the statistics on stderr (or everything as JSON).", "",
                "Rates are measured in the target model's tokens (--target-model; default: the scoring model, "
                        + "SmolLM2-135M-Instruct unless -m says otherwise). Input files are read as UTF-8; invalid "
                        + "bytes become U+FFFD; a file that is not text (NUL bytes, or mostly invalid UTF-8) is refused.", "",
                "Examples:",
                "  ctxbench compress -f paper.txt --question 'What is the seed lexicon?' --rate 2",
                "  ctxbench compress --data ../shared/data/longbench/multi_news.jsonl --line 3 --compressor extractive --json",
                "  ctxbench compress --data qasper.jsonl --limit 20 --json          (one JSON line per sample)",
                "",
                "Quality of compressed prompts (FP16_c against FP16) is measured by the evaluation harness:",
                "  ctxbench eval -m model.gguf --methods FP16,FP16_c,FP16_c:perplexity --data qasper.jsonl --limit 20",
                ""})
public final class CompressCommand implements Callable<Integer> {
    @Option(names = "--compressor", defaultValue = "perplexity", paramLabel = "ID", description = "perplexity "
            + "(LLMLingua-style, scored by -m), llmlingua2 (LLMLingua-2's token classifier given by -m: an encoder GGUF with"
            + " a 2-label head, docs/compress.md) or extractive (BM25 sentence selection, no model) (default: ${DEFAULT-VALUE}).")
    String method;

    @Option(names = {"-m", "--model"}, paramLabel = "GGUF", description = "Scoring model for the perplexity compressor "
            + "(default: SmolLM2-135M-Instruct, fetched on first use), or the classifier for llmlingua2 (no default).")
    Path model;

    @Option(names = "--target-model", paramLabel = "GGUF", description = "Model whose tokenizer measures the rate "
            + "(loaded vocabulary-only). Default: the scoring model.")
    Path targetModel;

    @Option(names = "--rate", paramLabel = "X", description = "Compression rate, e.g. 2 or 2x (default 2).")
    String rate;

    @Option(names = "--tokens", paramLabel = "N", description = "Token budget instead of a rate.")
    Integer tokens;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Context from a text file.")
    Path file;

    @Option(names = "--data", paramLabel = "JSONL", description = "LongBench-style JSONL (fields context, input, answers, _id).")
    Path dataset;

    @Option(names = "--line", paramLabel = "N", description = "Line of --data (1-based).")
    Integer line;

    @Option(names = "--id", description = "Sample of --data with this _id.")
    String id;

    @Option(names = {"-l", "--limit"}, paramLabel = "N", description = "Compress the first N samples of --data (JSON lines out).")
    Integer limit;

    @Option(names = "--question", paramLabel = "TEXT", description = "Question (query-aware ranking; never changed). "
            + "Default with --data: its input.")
    String question;

    @Option(names = "--instruction", paramLabel = "TEXT", description = "Instruction (never changed).")
    String instruction;

    @Option(names = "--keep", paramLabel = "TEXT", description = "Never drop words containing this text (repeatable).")
    List<String> force = new ArrayList<>();

    @Option(names = "--segment", defaultValue = "256", description = "Perplexity: tokens per segment (default: ${DEFAULT-VALUE}).")
    int segment;

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N", description = "Perplexity: context size of the scoring "
            + "session, in tokens (default: " + SCORING_CONTEXT + ").")
    Integer ctxSize;

    @Option(names = "--no-iterative", description = "Perplexity: score once against the full prefix (no re-evaluation of kept tokens).")
    boolean noIterative;

    @Option(names = "--reduction", defaultValue = "auto", paramLabel = "WHERE", description = "Perplexity: where each token's "
            + "self-information is computed: device (in llama.cpp's graph, one float a token comes out), host (the logits "
            + "rows copied out and reduced in Java), auto (device when the scoring model runs on a GPU). Default: ${DEFAULT-VALUE}.")
    String reduction;

    @Option(names = "--calls", defaultValue = "auto", paramLabel = "SHAPE", description = "Perplexity: how tokens go to "
            + "llama_decode: separate (kept tokens, the last of them, the next segment: three calls a segment, the outputs "
            + "of earlier releases on a CPU), merged (kept tokens and the next segment in one call: a third of the calls, "
            + "the same conditioning, other rounding), fixed (merged calls padded to one shape, so llama.cpp reuses its graph "
            + "and CUDA replays it; with --reduction device), auto (on a GPU fixed with the device reduction, merged with the host one; separate on a CPU). "
            + "Default: ${DEFAULT-VALUE}.")
    String calls;

    @Option(names = "--no-coarse", description = "Perplexity: no query-aware sentence filtering first.")
    boolean noCoarse;

    @Option(names = "--no-protect", description = "Perplexity: do not prefer words with digits or capitals.")
    boolean noProtect;

    @Option(names = "--max-input-tokens", paramLabel = "N", defaultValue = "1048576", description = "Perplexity: refuse a "
            + "context above N tokens of the target tokenizer (default: ${DEFAULT-VALUE}, above any study model's context "
            + "window; scoring runs at prefill speed, so millions of tokens take hours).")
    int maxInputTokens;

    @Option(names = "--no-progress", description = "Perplexity: no progress lines on stderr (printed every 5 s while scoring "
            + "lasts longer than that: tokens scored, rate, time left).")
    boolean noProgress;

    // the engine options that act here: the compressor sizes its batches by --segment and lets llama.cpp choose
    // flash attention
    @Mixin
    EngineOptions.Gpu gpu = new EngineOptions.Gpu();

    @Mixin
    EngineOptions.Threads threads = new EngineOptions.Threads();

    @Option(names = "--profile", description = "Perplexity: after each sample, print on stderr where the scoring time "
            + "went (scoring passes, logits reduction, re-evaluation, re-seeding) and, for reference, the time of one "
            + "prefill of the whole context's tokens by the scoring model (-c sized to fit them).")
    boolean profile;

    @Option(names = "--json", description = "JSON output (one object; one line per sample with --limit).")
    boolean json;

    @Option(names = {"-v", "--verbose"}, description = "Show llama.cpp's log.")
    boolean verbose;

    /** {@code value} of option {@code flag} as one of {@code type}'s constants, by name in any case. */
    private static <E extends Enum<E>> E choice(String flag, String value, Class<E> type) {
        String v = value.strip().toUpperCase(java.util.Locale.ROOT);
        E[] all = type.getEnumConstants();
        for (E e : all) {
            if (e.name().equals(v)) {
                return e;
            }
        }
        List<String> names = java.util.Arrays.stream(all).map(e -> e.name().toLowerCase(java.util.Locale.ROOT)).toList();
        throw new CtxbenchException(flag + " takes " + String.join(", ", names.subList(0, names.size() - 1)) + " or "
                + names.getLast() + ", not '" + value + "'");
    }

    // old spellings, hidden, for one release (OldSpelling)
    @Option(names = "--method", hidden = true)
    String oldMethod;

    @Option(names = "-r", hidden = true)
    String oldRate;

    @Option(names = "--dataset", hidden = true)
    Path oldDataset;

    @Option(names = "-q", hidden = true)
    String oldQuestion;

    @Option(names = "--force", hidden = true)
    List<String> oldForce;

    @Spec
    CommandSpec spec;

    /** The scoring session's context when -c is not given: the perplexity compressor's own default. */
    private static final int SCORING_CONTEXT = 2048;

    /** Runs the command on its own: {@code java -cp ctxbench.jar io.ctxbench.cli.CompressCommand ...}. */
    public static void main(String[] args) {
        System.exit(new picocli.CommandLine(new CompressCommand()).setExecutionExceptionHandler(Main::onError).execute(args));
    }

    @Override
    public Integer call() throws IOException {
        method = OldSpelling.take(spec, "--compressor", method, "--method", oldMethod);
        rate = OldSpelling.take(spec, "--rate", rate, "-r", oldRate);
        dataset = OldSpelling.take(spec, "--data", dataset, "--dataset", oldDataset);
        question = OldSpelling.take(spec, "--question", question, "-q", oldQuestion);
        force = OldSpelling.take(spec, "--keep", force, "--force", oldForce);
        LlamaLog.setVerbose(verbose);
        if (rate != null && tokens != null) {
            throw new CtxbenchException("give either --rate or --tokens, not both");
        }
        CompressionTarget target = tokens != null ? CompressionTarget.tokens(tokens)
                : CompressionTarget.parse(rate != null ? rate : "2");
        String m = method.toLowerCase(Locale.ROOT);
        if (!m.equals("perplexity") && !m.equals("extractive") && !m.equals("llmlingua2")) {
            throw new CtxbenchException("unknown --compressor '" + method + "': use perplexity, llmlingua2 or extractive");
        }
        if (m.equals("llmlingua2") && model == null) {
            throw new CtxbenchException("--compressor llmlingua2 needs the classifier: -m FILE (an LLMLingua-2 GGUF, or for"
                    + " cost alone `ctxbench models synth --shape xlm-roberta-large-llmlingua2 --out FILE`)");
        }
        if ((file == null) == (dataset == null)) {
            throw new CtxbenchException("give the context with --file or --data (one of them)");
        }
        if (dataset != null && (line != null ? 1 : 0) + (id != null ? 1 : 0) + (limit != null ? 1 : 0) != 1) {
            throw new CtxbenchException("with --data give one of --line, --id or --limit");
        }
        if (line != null && line < 1 || limit != null && limit < 1) {
            throw new CtxbenchException("--line and --limit count from 1");
        }
        PerplexityCompressor.Options popts = PerplexityCompressor.Options.defaults().withContext(ctxSize != null ? ctxSize : SCORING_CONTEXT, segment)
                .withThreads(threads.count).withIterative(!noIterative).withCoarse(!noCoarse).withProtection(!noProtect, !noProtect)
                .withMaxInputTokens(maxInputTokens).withReduction(choice("--reduction", reduction, PerplexityCompressor.Reduction.class))
                .withCalls(choice("--calls", calls, PerplexityCompressor.Calls.class))
                .withProgress(noProgress ? null : PerplexityCompressor.Progress.lines(System.err, 5_000_000_000L));
        List<JsonNode> samples = dataset != null ? readSamples() : List.of();
        String context = file != null ? TextFiles.read(file, "context file") : null;

        Path scoringPath = model != null ? model : PackagedModels.ensure(PackagedModels.SMOLLM2);
        try (Model scoring = Model.load(Model.Params.of(scoringPath).withGpuLayers(m.equals("extractive") ? 0 : gpu.layers)
                .withVocabOnly(m.equals("extractive")));
             Model targetVocab = targetModel != null ? Model.load(Model.Params.of(targetModel).withVocabOnly(true)) : null) {
            TokenCounter counter = TokenCounter.of(targetVocab != null ? targetVocab : scoring);
            try (PromptCompressor c = m.equals("extractive") ? new ExtractiveCompressor(counter)
                    : m.equals("llmlingua2") ? new TokenClassifierCompressor(scoring, counter,
                            TokenClassifierCompressor.Options.defaults().withThreads(threads.count))
                    : new PerplexityCompressor(scoring, counter, popts)) {
                if (context != null) {
                    CompressionRequest req = new CompressionRequest(instruction, context, question, target, force);
                    print(null, c.compress(req), counter, false);
                    profile(c, context);
                    return 0;
                }
                for (JsonNode s : samples) {
                    String q = question != null ? question : s.path("input").asText("");
                    CompressionRequest req = new CompressionRequest(instruction, s.path("context").asText(""), q, target, force);
                    print(s.path("_id").asText(null), c.compress(req), counter, limit != null);
                    profile(c, req.context());
                }
            }
        }
        return 0;
    }

    /** With --profile: the fine stage's time by part, and one plain prefill of the whole context for reference. */
    private void profile(PromptCompressor c, String context) {
        if (!profile || !(c instanceof PerplexityCompressor p)) {
            return;
        }
        System.err.println("profile: " + p.lastScoringTime());
        Model m = p.model();
        int[] tok = m.tokenize(context.getBytes(java.nio.charset.StandardCharsets.UTF_8), m.addsBos(), false);
        try (Session s = Session.open(m, Session.Params.of(tok.length + 16).withThreads(threads.count)
                .withFlashAttention(FlashAttention.AUTO))) {
            System.err.printf(Locale.ROOT, "profile: one prefill of the whole context (%,d tokens, n_batch %d) %.2f s%n",
                    tok.length, s.params().batchSize(), s.prefill(tok) / 1e9);
        }
    }

    private void print(String sampleId, CompressionResult r, TokenCounter counter, boolean oneLine) {
        if (json || oneLine) {
            Map<String, Object> out = new LinkedHashMap<>();
            if (sampleId != null) {
                out.put("id", sampleId);
            }
            out.put("method", r.method());
            out.put("target_tokenizer", counter.name());
            out.put("original_tokens", r.originalTokens());
            out.put("compressed_tokens", r.compressedTokens());
            out.put("budget_tokens", r.budgetTokens());
            out.put("requested_rate", r.requestedRate());
            out.put("achieved_rate", r.achievedRate());
            out.put("target_met", r.targetMet());
            out.put("seconds", r.seconds());
            out.put("device", r.device());
            out.put("scored_tokens", r.scoredTokens());
            out.put("question", r.question());
            out.put("kept_spans", r.keptSpans());
            out.put("context", r.context());
            try {
                System.out.println(oneLine ? Json.MAPPER.writeValueAsString(out) : Json.pretty(out));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException("cannot write JSON", e);
            }
            return;
        }
        System.out.println(r.context());
        System.err.printf(Locale.ROOT, "%n%s: %d -> %d tokens (%s), rate %.3fx (requested %.3fx, budget %d%s) in %.3f s on %s%s%n",
                r.method(), r.originalTokens(), r.compressedTokens(), counter.name(), r.achievedRate(), r.requestedRate(),
                r.budgetTokens(), r.targetMet() ? "" : ", NOT met: the minimum kept is above it", r.seconds(), r.device(),
                r.scoredTokens() > 0 ? ", " + r.scoredTokens() + " tokens scored" : "");
    }

    private List<JsonNode> readSamples() throws IOException {
        if (!Files.isRegularFile(dataset)) {
            throw new CtxbenchException("dataset not found or not a file: " + dataset);
        }
        List<JsonNode> out = new ArrayList<>();
        try (BufferedReader r = TextFiles.reader(dataset)) {   // invalid bytes become U+FFFD, as --help says
            String l;
            int n = 0;
            while ((l = r.readLine()) != null) {
                n++;
                if (line != null && n != line) {
                    continue;
                }
                if (l.isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = Json.MAPPER.readTree(l);
                } catch (IOException e) {
                    throw new CtxbenchException(dataset + " line " + n + " is not valid JSON: " + e.getMessage());
                }
                if (!node.isObject() || !node.path("context").isTextual()) {
                    throw new CtxbenchException(dataset + " line " + n + " has no text field \"context\"");
                }
                if (id != null && !id.equals(node.path("_id").asText())) {
                    continue;
                }
                out.add(node);
                if (line != null || id != null || out.size() == limit) {
                    break;
                }
            }
        }
        if (out.isEmpty()) {
            throw new CtxbenchException("no sample " + (line != null ? "at line " + line : id != null ? "with _id " + id : "") + " in " + dataset);
        }
        return out;
    }
}
