package io.ctxbench.engine;

import io.ctxbench.llama.ffi.llama_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The ggml backend devices llama.cpp sees (CPU, GPUs, RPC servers) and their memory, read with
 * {@code ggml_backend_dev_memory}. llama.cpp has no C API for its per-device breakdown, so the engine takes
 * snapshots around allocations and differences them.
 */
public final class Devices {
    private Devices() {
    }

    /** One device as ggml describes it. {@code type} is cpu, gpu, igpu or accel. */
    public record Device(int index, String name, String description, String type) {
    }

    /** Free and total bytes of one device at one moment. */
    public record Memory(int index, String name, long free, long total) {
        public long used() {
            return total - free;
        }

        /** Whether this is the host (ggml names its CPU device "CPU"). */
        public boolean cpu() {
            return name.toLowerCase(java.util.Locale.ROOT).startsWith("cpu");
        }
    }

    /** Free bytes now, summed over the accelerators ({@code accelerators}) or over the host's CPU device. */
    public static long freeBytes(boolean accelerators) {
        return memory().stream().filter(m -> m.cpu() != accelerators).mapToLong(Memory::free).sum();
    }

    public static List<Device> list() {
        NativeLibrary.ensureLoaded();
        long n = llama_h.ggml_backend_dev_count();
        List<Device> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            MemorySegment dev = llama_h.ggml_backend_dev_get(i);
            out.add(new Device(i, cString(llama_h.ggml_backend_dev_name(dev)),
                    cString(llama_h.ggml_backend_dev_description(dev)), typeName(llama_h.ggml_backend_dev_type(dev))));
        }
        return out;
    }

    /** A snapshot of every device's free/total memory. */
    public static List<Memory> memory() {
        NativeLibrary.ensureLoaded();
        long n = llama_h.ggml_backend_dev_count();
        List<Memory> out = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment free = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment total = arena.allocate(ValueLayout.JAVA_LONG);
            for (int i = 0; i < n; i++) {
                MemorySegment dev = llama_h.ggml_backend_dev_get(i);
                llama_h.ggml_backend_dev_memory(dev, free, total);
                out.add(new Memory(i, cString(llama_h.ggml_backend_dev_name(dev)),
                        free.get(ValueLayout.JAVA_LONG, 0), total.get(ValueLayout.JAVA_LONG, 0)));
            }
        }
        return out;
    }

    /** True when some device other than the CPU is present (a GPU, or an RPC server). */
    public static boolean hasAccelerator() {
        return list().stream().anyMatch(d -> !d.type().equals("cpu"));
    }

    private static String typeName(int t) {
        if (t == llama_h.GGML_BACKEND_DEVICE_TYPE_CPU()) {
            return "cpu";
        } else if (t == llama_h.GGML_BACKEND_DEVICE_TYPE_GPU()) {
            return "gpu";
        } else if (t == llama_h.GGML_BACKEND_DEVICE_TYPE_IGPU()) {
            return "igpu";
        }
        return "accel";
    }

    static String cString(MemorySegment p) {
        return p.equals(MemorySegment.NULL) ? "" : p.reinterpret(Long.MAX_VALUE).getString(0);
    }
}
