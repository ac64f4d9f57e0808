package io.ctxbench.experiment;

import io.ctxbench.CtxbenchException;
import io.ctxbench.tasks.ruler.RulerGenerator;
import io.ctxbench.tasks.ruler.RulerTask;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The generated part of a run: RULER {@code tasks} (names, or "all": the 13, less those whose material is not at hand
 * or that do not fit a length, each left out with a note) at target {@code lengths} in the model's own tokens (prompt
 * plus tokens to generate; empty: {@link #defaultLengths} of each model), {@code samples} per task and length; and
 * the needle-in-a-haystack grid of {@code needle} (a RULER needle task, null for none) over the lengths x
 * {@code depths} evenly spaced depths, {@code samples} per cell. {@code dataDir} holds the prose and question sets
 * (see {@link io.ctxbench.tasks.ruler.RulerData#fromSharedData}).
 */
public record RulerSpec(List<String> tasks, List<Integer> lengths, int samples, String needle, int depths, Path dataDir) {
    /** No generated tasks. */
    public static final RulerSpec NONE = new RulerSpec(List.of(), List.of(), 1, null, 2, Path.of("."));
    /** The longest default length: long enough to show a trend, short enough for a laptop CPU. */
    public static final int DEFAULT_MAX_LENGTH = 32768;
    /** The shortest default length (RULER's shortest). */
    public static final int DEFAULT_MIN_LENGTH = 4096;
    /** Task name prefix of the needle grid's samples (kept apart from the RULER task's own samples). */
    public static final String NEEDLE_PREFIX = "needle-";

    public RulerSpec {
        tasks = List.copyOf(tasks);
        lengths = List.copyOf(lengths);
        for (String t : tasks) {
            if (!t.equals("all")) {
                RulerTask.byName(t);
            }
        }
        for (int l : lengths) {
            if (l < 1) {
                throw new CtxbenchException("RULER lengths are tokens > 0, got " + l);
            }
        }
        if (samples < 1) {
            throw new CtxbenchException("--samples must be at least 1, got " + samples);
        }
        if (needle != null) {
            RulerGenerator.requireGridTask(RulerTask.byName(needle));
            RulerGenerator.evenDepths(depths);
        }
    }

    public boolean any() {
        return !tasks.isEmpty() || needle != null;
    }

    /** Whether "all" was asked for: then a task that cannot be generated is left out with a note instead of refused. */
    public boolean all() {
        return tasks.contains("all");
    }

    /** The tasks in RULER's order when "all" is among them, else as given (without repeats). */
    public List<RulerTask> resolvedTasks() {
        if (all()) {
            return RulerTask.all();
        }
        List<RulerTask> out = new ArrayList<>();
        for (String t : tasks) {
            RulerTask r = RulerTask.byName(t);
            if (!out.contains(r)) {
                out.add(r);
            }
        }
        return out;
    }

    /** The grid's depths in percent. */
    public List<Integer> depthList() {
        return RulerGenerator.evenDepths(depths);
    }

    /**
     * The lengths a model runs: the given ones, each refused with one line when it does not fit the model's trained
     * context (a length is prompt plus tokens to generate); else {@link #defaultLengths}.
     */
    public List<Integer> lengthsFor(String model, int trainedContext) {
        if (lengths.isEmpty()) {
            return defaultLengths(model, trainedContext);
        }
        for (int l : lengths) {
            if (trainedContext > 0 && l > trainedContext) {
                throw new CtxbenchException("RULER length " + l + " does not fit " + model + ", trained for a context of "
                        + trainedContext + " tokens (the prompt and the tokens to generate): give --lengths up to "
                        + trainedContext);
            }
        }
        return lengths;
    }

    /**
     * Powers of two from {@value #DEFAULT_MIN_LENGTH} up to the model's trained context, at most
     * {@value #DEFAULT_MAX_LENGTH}; a model trained for less than {@value #DEFAULT_MIN_LENGTH} runs its largest power of
     * two.
     */
    public static List<Integer> defaultLengths(String model, int trainedContext) {
        if (trainedContext < 1) {
            throw new CtxbenchException(model + " does not say its trained context: give the RULER lengths with --lengths");
        }
        int top = Math.min(trainedContext, DEFAULT_MAX_LENGTH);
        List<Integer> out = new ArrayList<>();
        for (int l = DEFAULT_MIN_LENGTH; l <= top; l *= 2) {
            out.add(l);
        }
        if (out.isEmpty()) {
            out.add(Integer.highestOneBit(top));
        }
        return out;
    }
}
