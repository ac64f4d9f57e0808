package io.ctxbench.engine;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/** This process's resident memory (Linux /proc) and the current thread's Java heap allocation counter. */
public final class ProcessMemory {
    private static final long PAGE = 4096;
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private ProcessMemory() {
    }

    /** Resident set size in bytes, or -1 where /proc is missing. */
    public static long residentBytes() {
        try {
            String[] f = Files.readString(Path.of("/proc/self/statm")).trim().split("\\s+");
            return Long.parseLong(f[1]) * PAGE;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Peak resident set size (VmHWM) in bytes, or -1 where /proc is missing. */
    public static long peakResidentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** Bytes the current thread has allocated on the Java heap so far. */
    static long threadAllocatedBytes() {
        return THREADS.getCurrentThreadAllocatedBytes();
    }
}
