package io.ctxbench.engine;

import io.ctxbench.CtxbenchException;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The memory a llama.cpp context takes beyond the weights, estimated before it is created, and the check that it
 * fits where it goes. llama.cpp learns that a context is too large only when an allocation fails: on the host that is
 * a std::bad_alloc after it has already taken most of the memory (10^9 tokens of SmolLM2 climbed to ~19 GB), so
 * the engine refuses such a context first. One estimate for the engine, the sweep and the CLI.
 */
public final class ContextMemory {
    private static final double GIB = 1 << 30;

    private ContextMemory() {
    }

    /** Bytes of the K and V cache for {@code contextSize} positions, padded to 256 cells as llama.cpp allocates them. */
    public static long kvBytes(Model.Info info, long contextSize, KvCacheType k, KvCacheType v) {
        long nCtx = (contextSize + 255) / 256 * 256;
        return nCtx * info.layers() * (k.rowBytes(info.kvWidthK()) + v.rowBytes(info.kvWidthV()));
    }

    /**
     * Bytes a context takes beyond the weights: the KV cache ({@link #kvBytes}) plus an estimate of the compute
     * buffers (logits of one micro-batch, activations, and without flash attention the KQ matrix of a micro-batch
     * against the whole context).
     */
    public static long estimateBytes(Model.Info info, long contextSize, int ubatch, KvCacheType k, KvCacheType v,
                                     boolean flashAttention) {
        long nCtx = (contextSize + 255) / 256 * 256;
        long ub = ubatch;
        long compute = ub * info.vocabSize() * 4L + ub * (long) info.embedding() * 4L * 8L;
        if (!flashAttention) {
            compute += ub * nCtx * info.heads() * 4L;
        }
        return kvBytes(info, contextSize, k, v) + compute;
    }

    /**
     * Refuses a context that cannot fit: its estimate against the free memory of the accelerators the model is on
     * (plus the host's when some layers stay there), or the host's available memory for a CPU model.
     */
    static void requireFits(Model model, Session.Params p) {
        Model.Info info = model.info();
        long need = estimateBytes(info, p.contextSize(), p.ubatchSize(), p.typeK(), p.typeV(),
                p.flashAttention() != FlashAttention.OFF);
        List<Devices.Device> devices = Devices.list();
        List<Devices.Memory> memory = Devices.memory();
        List<String> named = model.params().placement().devices();
        long free = 0;
        StringBuilder where = new StringBuilder();
        int gpuLayers = model.params().gpuLayers();
        if (gpuLayers != 0) {
            for (Devices.Device d : devices) {
                if (!d.type().equals("cpu") && (named.isEmpty() || named.contains(d.name()))) {
                    free += memory.get(d.index()).free();
                    where.append(where.isEmpty() ? "" : "+").append(d.name());
                }
            }
        }
        boolean host = where.isEmpty() || (gpuLayers >= 0 && gpuLayers <= info.layers());
        if (host) {
            free += hostAvailableBytes();
            where.append(where.isEmpty() ? "host memory" : " and host memory");
        }
        if (need > free) {
            throw new CtxbenchException(String.format(Locale.ROOT, "a context of %d tokens needs about %.1f GiB (KV cache"
                            + " %.1f GiB %s/%s + compute buffers) but %s has %.1f GiB %s: lower the context size%s",
                    p.contextSize(), need / GIB, kvBytes(info, p.contextSize(), p.typeK(), p.typeV()) / GIB, p.typeK(),
                    p.typeV(), where, free / GIB, host ? "available" : "free",
                    p.typeK().quantized() && p.typeV().quantized() ? "" : " or use a quantized KV cache"));
        }
    }

    /** Memory the host can give without swapping: MemAvailable of /proc/meminfo, else what the JVM sees as free. */
    public static long hostAvailableBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // no /proc: fall through
        }
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getFreeMemorySize();
    }
}
