package io.ctxbench.engine;

import io.ctxbench.llama.ffi.llama_h;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What llama.cpp copies out of its graph per micro-batch when a {@link TargetLogProbs} sampler is set: the first output
 * row's vector (one float a row), and nothing for the other rows. llama.cpp hands each row's sampler a view of that
 * row's logits as its result and copies whatever result a row has; a row left with that view would bring a
 * vocabulary's worth of floats to the host for nothing (on a GPU, 100 MB a call at 512 rows of a 49k vocabulary).
 */
class TargetLogProbsCopyTest {
    private static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(Model.Params.of(TestFiles.smolLm2()).withGpuLayers(0));
    }

    @AfterAll
    static void free() {
        model.close();
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void onlyTheFirstOutputRowIsCopiedOut(boolean fixedShape) {
        int[] tok = model.tokenize("The quick brown fox jumps over the lazy dog. ".repeat(12), true, false);
        int n = Math.min(tok.length, 100);
        int batch = 128;
        Session.Params sp = Session.Params.of(512).withBatch(batch, batch).withThreads(2).withFlashAttention(FlashAttention.AUTO);
        try (TargetLogProbs t = new TargetLogProbs(batch);
             Session s = fixedShape ? Session.openFixedShape(model, sp, t) : Session.open(model, sp, t)) {
            t.expect(tok, 1, n);
            int[] rows = {0};
            s.evaluate(java.util.Arrays.copyOf(tok, n), 0, (first, count, values) -> rows[0] += count);
            assertEquals(n, rows[0]);
            MemorySegmentCounts c = new MemorySegmentCounts(s.handle());
            assertEquals(fixedShape ? batch : n, c.of(0), "the first output row carries every row's value");
            for (int i = 1; i < n; i++) {
                assertEquals(0, c.of(i), "output row " + i + " copied out");
            }
        }
    }

    private record MemorySegmentCounts(java.lang.foreign.MemorySegment ctx) {
        int of(int i) {
            return llama_h.llama_get_sampled_logits_count_ith(ctx, i);
        }
    }
}
