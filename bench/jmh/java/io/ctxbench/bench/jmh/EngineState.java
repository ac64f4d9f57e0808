package io.ctxbench.bench.jmh;

import io.ctxbench.sweep.SweepRunner;
import io.ctxbench.engine.FlashAttention;
import io.ctxbench.engine.KvCacheType;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.Session;
import io.ctxbench.llama.ffi.llama_h;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * A model and a session filled to {@code depth}, shared by the benchmarks. Decode benchmarks add one token per
 * call and fall back to the depth every {@code window} tokens (one {@code llama_memory_seq_rm}), so the KV
 * length stays in [depth, depth + window). Memory readings are taken here for the secondary results.
 */
@State(Scope.Benchmark)
public class EngineState {
    /** A GGUF path or synth:SHAPE:TYPE (see {@link BenchModels}). */
    @Param("synth:tiny:f16")
    public String model;
    /** KV cache types: T or K/V. */
    @Param("f16")
    public String kv;
    @Param("on")
    public String fa;
    @Param("0")
    public int depth;
    @Param("2048")
    public int batch;
    @Param("512")
    public int ubatch;
    @Param("-1")
    public int ngl;
    /** Tokens decoded past the depth before the cache is cut back to it. */
    @Param("256")
    public int window;
    /** CPU threads of the context; 0 = one per processor. */
    @Param("0")
    public int threads;
    /** Prefill size of the prefill benchmark. */
    @Param("512")
    public int prompt;

    Model m;
    Session s;
    MemorySegment ctx;
    int[] tokens;
    int[] promptTokens;
    int next;
    long usedBeforeLoad, usedAfterLoad, usedBeforeContext, usedAfterContext, usedPeak;

    // the raw (no engine) decode path: a llama_batch_get_one batch over a one-token buffer
    private Arena arena;
    MemorySegment rawToken;
    MemorySegment rawBatch;
    MemorySegment memory;
    int rawPos;

    @Setup(Level.Trial)
    public void open() {
        String[] pair = kv.contains("/") ? kv.split("/", 2) : new String[]{kv, kv};
        var path = BenchModels.resolve(model);
        usedBeforeLoad = SweepRunner.primaryDeviceUsedBytes();
        m = Model.load(Model.Params.of(path).withGpuLayers(ngl));
        usedAfterLoad = SweepRunner.primaryDeviceUsedBytes();
        Session.Params p = new Session.Params(depth + Math.max(window, prompt) + 1, batch, ubatch, threads, FlashAttention.parse(fa),
                KvCacheType.parse(pair[0]), KvCacheType.parse(pair[1]), io.ctxbench.engine.KvRotation.ON);
        usedBeforeContext = usedAfterLoad;
        s = Session.open(m, p);
        usedAfterContext = SweepRunner.primaryDeviceUsedBytes();
        ctx = s.nativeContext();
        memory = llama_h.llama_get_memory(ctx);
        SplittableRandom r = new SplittableRandom(42);
        int vocab = m.vocabSize();
        tokens = r.ints(Math.max(1, window), 0, vocab).toArray();
        promptTokens = r.ints(Math.max(1, prompt), 0, vocab).toArray();
        if (depth > 0) {
            s.prefill(r.ints(depth, 0, vocab).toArray());
        }
        s.decodeStep(tokens[0]);   // logits exist from here on (logits / sampling benchmarks)
        arena = Arena.ofConfined();
        rawToken = arena.allocate(ValueLayout.JAVA_INT);
        rawBatch = llama_h.llama_batch_get_one(arena, rawToken, 1);
        rawPos = s.position();
        usedPeak = Math.max(usedAfterContext, SweepRunner.primaryDeviceUsedBytes());
    }

    /** One engine decode step (Session.decodeStep): the engine's per-token call. */
    void decodeEngine() {
        if (s.position() >= depth + window) {
            s.truncate(depth);
        }
        s.decodeStep(tokens[next++ % tokens.length]);
    }

    /** The same work through llama.h directly: llama_decode of a llama_batch_get_one batch, then llama_synchronize. */
    void decodeRaw() {
        if (rawPos >= depth + window) {
            llama_h.llama_memory_seq_rm(memory, 0, depth, -1);
            rawPos = depth;
        }
        rawToken.set(ValueLayout.JAVA_INT, 0, tokens[next++ % tokens.length]);
        if (llama_h.llama_decode(ctx, rawBatch) != 0) {
            throw new IllegalStateException("llama_decode failed at position " + rawPos);
        }
        llama_h.llama_synchronize(ctx);
        rawPos++;
    }

    @Setup(Level.Iteration)
    public void samplePeak() {
        usedPeak = Math.max(usedPeak, SweepRunner.primaryDeviceUsedBytes());
    }

    @TearDown(Level.Trial)
    public void close() {
        if (arena != null) {
            arena.close();
        }
        if (s != null) {
            s.close();
        }
        if (m != null) {
            m.close();
        }
    }
}
