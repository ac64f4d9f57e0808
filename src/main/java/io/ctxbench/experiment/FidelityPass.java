package io.ctxbench.experiment;

import io.ctxbench.compress.CompressionRequest;
import io.ctxbench.compress.CompressionTarget;
import io.ctxbench.compress.PromptCompressor;
import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.Session;
import io.ctxbench.engine.chat.ChatFormat;
import io.ctxbench.results.FidelityRecord;
import io.ctxbench.results.Json;
import io.ctxbench.results.RecordKey;
import io.ctxbench.results.ResultsLog;
import io.ctxbench.results.SampleRecord;
import io.ctxbench.results.Schema;
import io.ctxbench.score.Fidelity;
import io.ctxbench.tasks.Sample;
import io.ctxbench.tasks.TaskSpec;

import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The fidelity pass, after a model's generation pass: each method's next-token distributions compared with the
 * baseline's on the baseline's own generation (teacher forcing), for the first --fidelity samples of each task whose
 * records both methods have, one {@link FidelityRecord} each. The baseline's and the method's models load for the
 * pass from the model's {@link LoadedModels} (loaded once for the generation and fidelity passes); a compressed method's context comes from its generation pass when that
 * pass ran in this session, else it is compressed again by the model's compressor pool.
 */
final class FidelityPass {
    private final EvalConfig cfg;
    private final PrintStream err;
    private final RunSummary summary;
    /** Compressed contexts of the samples this pass will read again, so it need not recompress them. */
    private final Map<RecordKey, String> compressed = new HashMap<>();

    FidelityPass(EvalConfig cfg, PrintStream err, RunSummary summary) {
        this.cfg = cfg;
        this.err = err;
        this.summary = summary;
    }

    /** Whether the sample at {@code indexInTask} is one this pass compares (so its compressed context is worth keeping). */
    boolean covers(int indexInTask) {
        return cfg.fidelitySamples() < 0 || indexInTask < cfg.fidelitySamples();
    }

    void rememberCompressed(RecordKey key, String context) {
        compressed.put(key, context);
    }

    /** Compares every method of model {@code m} with the baseline; then forgets the model's compressed contexts. */
    void run(ModelSpec m, PromptPlan plan, ResolvedWeights weights, List<TaskWork> work, ResultsLog results,
             ResultsLog fidelity, CompressorPool pool, LoadedModels models) {
        try {
            Method base = cfg.baselineMethod();
            Map<RecordKey, int[]> baseTokens = baselineTokens(cfg.resultsFile(), m.name(), base.name());
            for (Method me : cfg.methods()) {
                if (!me.name().equals(base.name())) {
                    compareMethod(m, plan, base, me, weights, work, baseTokens, results, fidelity, pool, models);
                }
            }
        } finally {
            compressed.clear();
        }
    }

    private record Todo(TaskSpec task, Sample sample) {
    }

    private void compareMethod(ModelSpec m, PromptPlan plan, Method base, Method me, ResolvedWeights weights, List<TaskWork> work,
                               Map<RecordKey, int[]> baseTokens, ResultsLog results, ResultsLog fidelity, CompressorPool pool,
                               LoadedModels models) {
        List<Todo> todo = new ArrayList<>();
        for (TaskWork w : work) {
            for (int si = 0; si < w.samples().size() && covers(cfg.indexInTask(si)); si++) {
                Sample s = w.samples().get(si);
                RecordKey k = new RecordKey(m.name(), me.name(), w.task().name(), s.id());
                if (!fidelity.done(k.text()) && baseTokens.containsKey(k.withMethod(base.name())) && results.done(k.text())) {
                    todo.add(new Todo(w.task(), s));
                }
            }
        }
        if (todo.isEmpty()) {
            return;
        }
        long f0 = System.nanoTime();
        err.println("eval: fidelity of " + me.name() + " against " + base.name() + " on " + todo.size() + " sample(s)");
        ModelSpec.Resolved br = weights.of(m, base), mr = weights.of(m, me);
        {
            LoadedModels.Loaded bl = models.get(br.file());
            LoadedModels.Loaded ml = models.get(mr.file(), br.file());
            Model bm = bl.model(), methodModel = ml.model();
            PromptCompressor comp = me.compresses() ? pool.get(me.compressor()) : null;
            int maxNew = cfg.fidelityTokens();
            int nCtx = plan.contextSize(maxNew);
            EvalRunner.checkKvFits(cfg, bm, nCtx, base, plan);
            EvalRunner.checkKvFits(cfg, methodModel, nCtx, me, plan);
            // the prompts as the generation pass built them: the same budget, chat format and date
            ChatFormat.Formatter baseChat = bl.chat();
            ChatFormat.Formatter methodChat = ml.chat();
            try (Session bs = Session.open(bm, EvalRunner.sessionParams(cfg, nCtx, base));
                 Session ms = Session.open(methodModel, EvalRunner.sessionParams(cfg, nCtx, me))) {
                for (Todo t : todo) {
                    Sample s = t.sample();
                    RecordKey k = new RecordKey(m.name(), me.name(), t.task().name(), s.id());
                    int[] gen = baseTokens.get(k.withMethod(base.name()));
                    int[] basePrompt = plan.build(bm, baseChat, t.task(), s, s.context()).tokens();
                    String done = compressed.get(k);
                    String ctx = comp == null ? s.context() : done != null ? done
                            : comp.compress(CompressionRequest.of(EvalRunner.instructionOf(t.task(), s), s.context(), s.input(),
                                    CompressionTarget.rate(me.rate()))).context();
                    int[] methodPrompt = plan.build(methodModel, methodChat, t.task(), s, ctx).tokens();
                    Fidelity.Accumulator acc = compare(bs, basePrompt, ms, methodPrompt, gen, maxNew);
                    boolean any = acc.positions() > 0;
                    FidelityRecord rec = new FidelityRecord(Schema.CURRENT, k.text(), FidelityRecord.KIND, m.name(), me.name(),
                            base.name(), t.task().name(), s.id(), acc.positions(), any ? acc.meanKl() : null,
                            any ? acc.maxKl() : null, any ? acc.top1Agreement() : null);
                    fidelity.append(k.text(), Json.line(rec));
                    summary.fidelityWritten++;
                }
            }
        }
        summary.fidelity += System.nanoTime() - f0;
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
        void accept(int index, MemorySegment logits);
    }

    /**
     * Reads {@code prompt}, then the first {@code positions - 1} tokens of {@code cont}, handing over the logits after
     * the prompt's last token and after each of those. A session whose {@link io.ctxbench.engine.KvEviction} drops part
     * of this prompt evicts between the prompt and the continuation, as its generation does; otherwise the last prompt
     * token and the continuation go in one call, as before eviction existed (the same micro-batches, so the same numbers).
     */
    private static void feed(Session s, int[] prompt, int[] cont, int positions, PositionConsumer c) {
        io.ctxbench.engine.KvEviction ev = s.params().kvEviction();
        int n = prompt.length;
        // the prompt up to its last token, or up to the observation window of an eviction that scores by its attention
        int from = ev.observeFrom(n), head = Math.min(from, n - 1);
        s.clear();
        if (head > 0) {
            s.evaluate(Arrays.copyOf(prompt, head), null);
        }
        if (ev.kept(n) < n) {
            if (from < n) {
                s.observeAttention(true);
            }
            s.evaluate(Arrays.copyOfRange(prompt, head, n), (pos, logits) -> {
                if (pos == n - 1) {
                    c.accept(0, logits);
                }
            });
            if (from < n) {
                s.observeAttention(false);
            }
            int start = s.evictPrompt();   // the next position after the kept cells: index 1 of the continuation
            if (positions > 1) {
                s.evaluate(Arrays.copyOf(cont, positions - 1), (pos, logits) -> c.accept(pos - start + 1, logits));
            }
            return;
        }
        int[] tail = new int[positions];
        tail[0] = prompt[n - 1];
        System.arraycopy(cont, 0, tail, 1, positions - 1);
        int start = n - 1;
        s.evaluate(tail, (pos, logits) -> c.accept(pos - start, logits));
    }

    /** The generated tokens of {@code model}'s {@code method} records in {@code resultsFile}, by record key. */
    static Map<RecordKey, int[]> baselineTokens(Path resultsFile, String model, String method) {
        Map<RecordKey, int[]> out = new HashMap<>();
        for (SampleRecord r : ResultsLog.read(resultsFile, SampleRecord.class)) {
            if (model.equals(r.model()) && method.equals(r.method())) {
                out.put(new RecordKey(r.model(), r.method(), r.task(), r.id()),
                        r.generatedTokenIds() == null ? new int[0] : r.generatedTokenIds());
            }
        }
        return out;
    }
}
