package io.ctxbench.experiment;

import io.ctxbench.tasks.Sample;
import io.ctxbench.tasks.TaskSpec;

import java.util.List;

/** The work of one task: its spec and the samples this shard runs, in order. */
public record TaskWork(TaskSpec task, List<Sample> samples) {
}
