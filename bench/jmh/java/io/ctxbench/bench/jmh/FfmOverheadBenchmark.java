package io.ctxbench.bench.jmh;

import io.ctxbench.engine.NativeLibrary;
import io.ctxbench.llama.ffi.llama_h;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * What the Java path costs around llama.cpp's hot calls, in microseconds per call:
 * <ul>
 *   <li>{@code noopNative}: {@code llama_time_us()}, a native call doing almost nothing (the FFM downcall cost);</li>
 *   <li>{@code getterNative}: {@code llama_n_ctx(ctx)}, a trivial getter on the context;</li>
 *   <li>{@code decodeRaw} vs {@code decodeEngine}: one-token decode until the device is done, through llama.h
 *       directly ({@code llama_batch_get_one} + {@code llama_decode} + {@code llama_synchronize}) and through
 *       {@code Session.decodeStep}: their difference is the engine's per-token overhead;</li>
 *   <li>{@code logitsNative}: {@code llama_get_logits_ith(ctx, -1)} and reading one value;</li>
 *   <li>{@code sampleEngine}: the greedy sample over the vocabulary ({@code Session.sampleNext}).</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class FfmOverheadBenchmark {

    @Setup(Level.Trial)
    public void load() {
        NativeLibrary.ensureLoaded();   // noopNative needs the library without a model
    }

    @Benchmark
    public long noopNative() {
        return llama_h.llama_time_us();
    }

    @Benchmark
    public int getterNative(EngineState e) {
        return llama_h.llama_n_ctx(e.ctx);
    }

    @Benchmark
    public void decodeRaw(EngineState e, MemoryCounters mem) {
        e.decodeRaw();
    }

    @Benchmark
    public void decodeEngine(EngineState e, MemoryCounters mem) {
        e.decodeEngine();
    }

    @Benchmark
    public float logitsNative(EngineState e) {
        return llama_h.llama_get_logits_ith(e.ctx, -1).reinterpret(Float.BYTES).get(ValueLayout.JAVA_FLOAT, 0);
    }

    @Benchmark
    public int sampleEngine(EngineState e) {
        return e.s.sampleNext();
    }
}
