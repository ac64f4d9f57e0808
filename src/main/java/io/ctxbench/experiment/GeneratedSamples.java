package io.ctxbench.experiment;

import io.ctxbench.CtxbenchException;
import io.ctxbench.compress.TokenCounter;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.chat.ChatFormat;
import io.ctxbench.tasks.Prompts;
import io.ctxbench.tasks.Sample;
import io.ctxbench.tasks.TaskSpec;
import io.ctxbench.tasks.ruler.RulerData;
import io.ctxbench.tasks.ruler.RulerGenerator;
import io.ctxbench.tasks.ruler.RulerSample;
import io.ctxbench.tasks.ruler.RulerTask;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The run's generated samples for one model ({@link RulerSpec}): RULER's tasks and the needle grid, generated in the
 * model's own tokens, so a sample's text may differ between models while its id (task, length, depth, seed, index)
 * does not. The model's vocabulary is loaded on its own for this (no weights), and the prompt's overhead (the chat
 * template its prompts will be wrapped in, and BOS) is taken off every target length, so prompt plus tokens to
 * generate fit the length. Everything is generated before anything runs: a length beyond the model's trained
 * context, an unknown task or missing material is refused at once.
 */
final class GeneratedSamples {
    private final EvalConfig cfg;
    private final PrintStream err;
    private RulerData data;

    GeneratedSamples(EvalConfig cfg, PrintStream err) {
        this.cfg = cfg;
        this.err = err;
    }

    /** One model's generated tasks and the lengths they ran at. */
    record ForModel(List<TaskWork> work, List<Integer> lengths) {
        static final ForModel NONE = new ForModel(List.of(), List.of());
    }

    ForModel forModel(ModelSpec m, java.time.LocalDate chatDate) {
        RulerSpec spec = cfg.ruler();
        if (!spec.any()) {
            return ForModel.NONE;
        }
        try (Model vocab = Model.load(Model.Params.of(m.given()).withVocabOnly(true))) {
            List<Integer> lengths = spec.lengthsFor(m.name(), vocab.info().trainedContext());
            int overhead = Prompts.generatedOverhead(vocab, ChatFormat.of(cfg.chatFormat(), vocab, chatDate));
            RulerGenerator gen = new RulerGenerator(TokenCounter.of(vocab), data(), overhead);
            List<TaskWork> work = new ArrayList<>();
            for (RulerTask t : spec.resolvedTasks()) {
                List<Sample> samples = new ArrayList<>();
                for (int length : lengths) {
                    try {
                        gen.generate(t, length, spec.samples(), cfg.seed()).forEach(s -> samples.add(s.toSample()));
                    } catch (CtxbenchException e) {
                        if (!spec.all()) {
                            throw e;
                        }
                        err.println("eval: note: left out " + t.name() + " at " + length + " tokens on " + m.name() + ": "
                                + e.getMessage());
                    }
                }
                add(work, t.spec(), samples);
            }
            if (spec.needle() != null) {
                RulerTask t = RulerTask.byName(spec.needle());
                TaskSpec s = t.spec();
                TaskSpec grid = new TaskSpec(RulerSpec.NEEDLE_PREFIX + t.name(), s.template(), s.maxNewTokens(), s.metric(),
                        s.chat(), "needle-in-a-haystack grid of " + t.name() + ": lengths x depths");
                List<Sample> samples = gen.needleGrid(t, lengths, spec.depthList(), spec.samples(), cfg.seed()).stream()
                        .map(RulerSample::toSample).toList();
                add(work, grid, samples);
            }
            return new ForModel(work, lengths);
        }
    }

    private void add(List<TaskWork> work, TaskSpec task, List<Sample> samples) {
        List<Sample> mine = SampleSelection.forShard(cfg, SampleSelection.withIds(cfg, samples));
        if (!mine.isEmpty()) {
            work.add(new TaskWork(task, mine));
        }
    }

    /** The prose and question sets, read once per run. */
    private RulerData data() {
        if (data == null) {
            data = RulerData.fromSharedData(cfg.ruler().dataDir());
        }
        return data;
    }
}
