package io.ctxbench.compress;

import io.ctxbench.engine.Session;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Receives the logits of an evaluate call and writes the self-information of the tokens they predict into an
 * array ({@link LogSumExp}): one pass over the vocabulary per position, into reused buffers. With 4 or more cores
 * and a large vocabulary the pass is split over up to 8 fork-join workers per position (a GPU node's 128k-entry
 * vocabulary would otherwise make the Java side the bottleneck).
 */
final class SelfInformation implements Session.LogitsConsumer {
    private final int vocab;
    private int skip;        // positions of this evaluate call before the first target
    private int[] tokens;
    private int from;
    private int to;
    private float[] info;
    private int base = -1;

    private final int chunks;
    private final float[] chunkMax;
    private final float[] chunkSum;

    SelfInformation(int vocab) {
        // split the vocabulary over cores only where there are several and the vocabulary is large
        this(vocab, Runtime.getRuntime().availableProcessors() >= 4 && vocab >= 32768
                ? Math.min(8, Runtime.getRuntime().availableProcessors() - 1) : 1);
    }

    SelfInformation(int vocab, int chunks) {
        this.vocab = vocab;
        this.chunks = chunks;
        this.chunkMax = new float[chunks];
        this.chunkSum = new float[chunks];
    }

    /**
     * The next evaluate call: its positions after the first {@code skip} predict tokens[from], tokens[from+1], ...
     * up to (not including) {@code to}.
     */
    void target(int skip, int[] tokens, int from, int to, float[] info) {
        this.skip = skip;
        this.tokens = tokens;
        this.from = from;
        this.to = to;
        this.info = info;
        this.base = -1;
    }

    @Override
    public void accept(int position, MemorySegment logits) {
        if (base < 0) {
            base = position;
        }
        int i = position - base;
        if (i < skip - 1) {
            return;
        }
        int idx = from + i - (skip > 0 ? skip - 1 : 0);
        if (idx >= to) {
            return;
        }
        if (chunks > 1) {
            info[idx] = parallel(logits, tokens[idx]);
        } else {
            LogSumExp.partial(logits, 0, vocab, chunkMax, chunkSum, 0);
            info[idx] = LogSumExp.fromPartials(chunkMax, chunkSum, 1, logits.getAtIndex(ValueLayout.JAVA_FLOAT, tokens[idx]));
        }
    }

    /**
     * The same over {@code chunks} slices of the vocabulary on the common fork-join pool, merged: on machines with
     * cores to spare (a GPU node) the Java side would otherwise bound the speed at 128k-entry vocabularies.
     * Allocates a few objects per position, none per vocabulary entry.
     */
    private float parallel(MemorySegment logits, int token) {
        final float[] mx = chunkMax;
        final float[] sm = chunkSum;
        java.util.stream.IntStream.range(0, chunks).parallel().forEach(c ->
                LogSumExp.partial(logits, (int) ((long) c * vocab / chunks), (int) ((long) (c + 1) * vocab / chunks), mx, sm, c));
        return LogSumExp.fromPartials(mx, sm, chunks, logits.getAtIndex(ValueLayout.JAVA_FLOAT, token));
    }
}
