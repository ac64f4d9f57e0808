package io.ctxbench.bench.jmh;

import io.ctxbench.compress.LogSumExp;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The perplexity compressor's reduction: one decoded batch of logits (rows x vocab floats in native memory, as
 * llama.cpp hands them over) to the self-information of each row's target token ({@link LogSumExp#rows}). One
 * operation = one batch; rows/s = rows x ops/s, logits GB/s = rows x vocab x 4 B x ops/s. Vocabularies: SmolLM2's
 * 49,152 and Llama 3's 128,256 (the synthetic GPU scorer's); workers 1 (one core) and 0 (every core).
 * Run: {@code scripts/jmh SelfInformationBenchmark -f 1 -wi 3 -i 5 -rf json -rff selfinfo.json}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Threads(1)
@State(Scope.Thread)
public class SelfInformationBenchmark {

    @Param({"49152", "128256"})
    public int vocab;

    @Param({"256"})
    public int rows;

    /** Threads the rows are split over; 0 = every core. */
    @Param({"1", "0"})
    public int workers;

    private Arena arena;
    private MemorySegment logits;
    private int[] targets;
    private float[] out;

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        logits = arena.allocate(ValueLayout.JAVA_FLOAT, (long) rows * vocab);
        Random r = new Random(1);
        for (long i = 0; i < (long) rows * vocab; i++) {
            logits.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (r.nextGaussian() * 3));
        }
        targets = new int[rows];
        for (int i = 0; i < rows; i++) {
            targets[i] = r.nextInt(vocab);
        }
        out = new float[rows];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float[] batch() {
        LogSumExp.rows(logits, rows, vocab, targets, 0, out, 0, workers > 0 ? workers : Runtime.getRuntime().availableProcessors());
        return out;
    }
}
