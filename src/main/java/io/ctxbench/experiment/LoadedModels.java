package io.ctxbench.experiment;

import io.ctxbench.engine.chat.ChatFormat;
import io.ctxbench.engine.Devices;
import io.ctxbench.engine.Model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The weights files of one model's methods, each loaded once for the generation passes and the fidelity pass of
 * every method that runs it (methods that differ only in context settings share the load, as llama-bench does).
 * Loaded files stay open while memory allows: before a load that would not fit (the file's size against the free
 * memory of the devices it goes to, with a margin for contexts), the least recently used file is closed first, and
 * loading it again later counts as another load. Each file's SHA-256 and chat formatter are kept with it.
 */
final class LoadedModels implements AutoCloseable {
    /** A loaded file: the model, its SHA-256 and the run's chat formatter for it. */
    record Loaded(Model model, String sha256, ChatFormat.Formatter chat) {
    }

    private static final long MARGIN = 1L << 30;   // room for contexts and compute buffers beside the weights

    private final int gpuLayers;
    private final Function<Model, ChatFormat.Formatter> formatter;
    private final RunSummary summary;
    private final Map<Path, Loaded> open = new LinkedHashMap<>(4, 0.75f, true);   // access order: eldest = LRU

    LoadedModels(int gpuLayers, Function<Model, ChatFormat.Formatter> formatter, RunSummary summary) {
        this.gpuLayers = gpuLayers;
        this.formatter = formatter;
        this.summary = summary;
    }

    /**
     * The loaded {@code file}, loading it when it is not open, after closing the least recently used others (never
     * {@code inUse}, a model the caller still holds) while it does not fit beside them.
     */
    Loaded get(Path file, Path... inUse) {
        Loaded l = open.get(file);
        if (l != null) {
            return l;
        }
        List<Path> keep = List.of(inUse);
        while (!fits(file)) {
            Path victim = open.keySet().stream().filter(p -> !keep.contains(p)).findFirst().orElse(null);
            if (victim == null) {
                break;   // nothing left to close: load beside what the caller holds, as a fresh load would
            }
            open.remove(victim).model().close();
        }
        EvalRunner.resetPeakRss();
        long t0 = System.nanoTime();
        Model m = Model.load(Model.Params.of(file).withGpuLayers(gpuLayers));
        try {
            l = new Loaded(m, FileHashes.sha256(file), formatter.apply(m));
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        summary.loading += System.nanoTime() - t0;
        summary.modelLoads++;
        open.put(file, l);
        return l;
    }

    /**
     * Whether {@code file} fits beside the open ones: on a CPU-only run, within half the host's available memory
     * (llama.cpp maps the file); with layers on GPUs, within their free memory less a margin.
     */
    private boolean fits(Path file) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            return false;
        }
        return gpuLayers != 0 && Devices.hasAccelerator() ? size + MARGIN <= Devices.freeBytes(true)
                : size <= Devices.freeBytes(false) / 2;
    }

    /** Closes every open model, the most recently used last. */
    @Override
    public void close() {
        for (Loaded l : open.values()) {
            l.model().close();
        }
        open.clear();
    }
}
