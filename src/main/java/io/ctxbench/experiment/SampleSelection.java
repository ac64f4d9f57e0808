package io.ctxbench.experiment;

import io.ctxbench.tasks.DataIssue;
import io.ctxbench.tasks.DataLoader;
import io.ctxbench.tasks.Sample;
import io.ctxbench.tasks.SyntheticTasks;
import io.ctxbench.tasks.TaskSpec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which samples a run evaluates: the data files' samples and the synthetic tasks', grouped by task, then per task
 * the selected ids, the first --limit, the first of any duplicate id (a second would collide in the results), and
 * every shard-count-th sample for this shard. Lines that cannot be used are the run's data issues.
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
            Map<String, Sample> unique = new LinkedHashMap<>();
            for (Sample x : s) {
                if (unique.putIfAbsent(x.id(), x) != null) {
                    issues.add(new DataIssue(x.source().replaceAll(":\\d+$", ""), lineOf(x.source()),
                            "duplicate id: '" + x.id() + "'"));
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
        return new Selected(out, issues);
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
