package io.ctxbench.experiment;

import io.ctxbench.tasks.DataIssue;
import io.ctxbench.tasks.DataLoader;
import io.ctxbench.tasks.Sample;
import io.ctxbench.tasks.TaskSpec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which samples a run evaluates: the data files' samples, grouped by task, then per task the selected ids, the first
 * --limit, the first of any duplicate id (a second would collide in the results), and every shard-count-th sample for
 * this shard. Lines that cannot be used are the run's data issues. Generated samples ({@link GeneratedSamples}) go
 * through the same ids and shard choice ({@link #withIds}, {@link #forShard}), not --limit: their count is asked for
 * per length.
 */
final class SampleSelection {
    private SampleSelection() {
    }

    /** The tasks with the samples this shard runs (tasks left with none dropped), and the data issues met. */
    record Selected(List<TaskWork> work, List<DataIssue> issues) {
    }

    static Selected select(EvalConfig cfg) {
        List<DataIssue> issues = new ArrayList<>();
        Map<String, List<Sample>> byTask = new LinkedHashMap<>();
        for (java.nio.file.Path f : cfg.dataFiles()) {
            DataLoader.Result r = DataLoader.load(f, cfg.taskOverride());
            issues.addAll(r.issues());
            for (Sample s : r.samples()) {
                byTask.computeIfAbsent(s.task(), k -> new ArrayList<>()).add(s);
            }
        }
        List<TaskWork> out = new ArrayList<>();
        for (Map.Entry<String, List<Sample>> e : byTask.entrySet()) {
            List<Sample> s = withIds(cfg, e.getValue());
            if (cfg.limit() > 0 && s.size() > cfg.limit()) {
                s = s.subList(0, cfg.limit());
            }
            Map<String, Sample> unique = new LinkedHashMap<>();
            for (Sample x : s) {
                if (unique.putIfAbsent(x.id(), x) != null) {
                    issues.add(new DataIssue(x.source().replaceAll(":\\d+$", ""), lineOf(x.source()),
                            "duplicate id: '" + x.id() + "'"));
                }
            }
            List<Sample> mine = forShard(cfg, new ArrayList<>(unique.values()));
            if (!mine.isEmpty()) {
                out.add(new TaskWork(TaskSpec.byName(e.getKey()), mine));
            }
        }
        return new Selected(out, issues);
    }

    /** The samples with the selected ids (all when none are selected). */
    static List<Sample> withIds(EvalConfig cfg, List<Sample> samples) {
        return cfg.ids().isEmpty() ? samples : samples.stream().filter(x -> cfg.ids().contains(x.id())).toList();
    }

    /** Every shard-count-th sample, from this shard's index on. */
    static List<Sample> forShard(EvalConfig cfg, List<Sample> samples) {
        List<Sample> mine = new ArrayList<>();
        for (int k = cfg.shardIndex(); k < samples.size(); k += cfg.shardCount()) {
            mine.add(samples.get(k));
        }
        return mine;
    }

    private static int lineOf(String source) {
        int c = source.lastIndexOf(':');
        try {
            return Integer.parseInt(source.substring(c + 1));
        } catch (RuntimeException e) {
            return 0;
        }
    }
}
