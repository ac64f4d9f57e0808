package io.ctxbench.bench.jmh;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Memory of the benchmarked configuration as JMH secondary results (MiB; the same value every iteration):
 * weights ({@code llama_model_size}), KV cache as allocated, compute buffers (what creating the context took on
 * the device beyond the KV cache), device memory used after the context was created and the highest seen. On a
 * CPU-only build "device" is the process's resident memory.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class MemoryCounters {
    private static final double MIB = 1 << 20;
    // JMH zeroes public counter fields after the setup of every iteration: the values are read through methods
    private EngineState e;

    @Setup(Level.Iteration)
    public void read(EngineState state) {
        this.e = state;
    }

    public double weightsMiB() {
        return e.m.sizeBytes() / MIB;
    }

    public double kvMiB() {
        return (e.s.kvBytesK() + e.s.kvBytesV()) / MIB;
    }

    public double computeMiB() {
        return (e.usedAfterContext - e.usedBeforeContext - e.s.kvBytesK() - e.s.kvBytesV()) / MIB;
    }

    public double deviceUsedMiB() {
        return e.usedAfterContext / MIB;
    }

    public double devicePeakMiB() {
        return e.usedPeak / MIB;
    }
}
