package io.ctxbench.engine;

import io.ctxbench.CtxbenchException;
import io.ctxbench.results.Bootstrap;
import io.ctxbench.results.Interval;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The parallel engine on the real model: the same greedy outputs as {@link Session}, slots reused, bad requests. */
class ParallelGeneratorTest {
    private static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(Model.Params.of(TestFiles.smolLm2()));
    }

    @AfterAll
    static void free() {
        model.close();
    }

    private static int[] chat(String text) {
        return model.tokenize(model.applyChatTemplate(List.of(new Model.ChatMessage("user", text)), true), true, true);
    }

    /**
     * One slot: the same batches as {@link Session#generate}, so the same tokens bit for bit; three requests through
     * one slot (its cache freed and reused), ending by a stop string, by max tokens and by end of generation.
     */
    @Test
    void oneSequenceAtATimeIsSessionExactly() {
        int[] a = chat("Name three rivers of Europe and say one thing about each.");
        int[] b = chat("What is 2 + 2? Answer with a number only.");
        int[] c = model.tokenize("The history of the printing press", true, false);
        List<ParallelGenerator.Request> req = new ArrayList<>();
        List<Generation> ref = new ArrayList<>();
        try (Session s = Session.open(model, Session.Params.of(512))) {
            // a stop string taken from the unstopped output, so that it is met mid-way
            String free = s.generate(a, GenerationOptions.of(48)).text();
            String stop = free.substring(free.length() / 2, free.length() / 2 + 3);
            req.add(new ParallelGenerator.Request(a, GenerationOptions.of(48).withStops(List.of(stop))));
            req.add(new ParallelGenerator.Request(b, GenerationOptions.of(48)));
            req.add(new ParallelGenerator.Request(c, GenerationOptions.of(40).withIgnoreEos(true)));
            for (ParallelGenerator.Request r : req) {
                ref.add(s.generate(r.prompt(), r.options()));
            }
        }
        assertEquals(EnumSet.allOf(StopReason.class), Set.copyOf(ref.stream().map(Generation::stopReason).toList()),
                "the three requests should end in the three ways: " + ref.stream().map(Generation::stopReason).toList());
        try (ParallelGenerator g = ParallelGenerator.open(model, Session.Params.of(512), 1)) {
            ParallelGenerator.Run run = g.generate(req);
            for (int i = 0; i < req.size(); i++) {
                ParallelGenerator.Result r = run.results().get(i);
                assertArrayEquals(ref.get(i).tokens(), r.tokens(), "request " + i);
                assertEquals(ref.get(i).text(), r.text(), "request " + i);
                assertEquals(ref.get(i).stopReason(), r.stopReason(), "request " + i);
            }
            assertTrue(run.results().get(2).waitNs() > run.results().get(0).endToEndNs(), "the third request waited for a slot");
        }
    }

    /**
     * Issue 16's check on a handful of real prompts: four slots, five LongBench prompts of ~800 tokens, flash attention
     * as {@link Session.Params#of} gives it (auto: on), one thread: every output equals batch 1's bit for bit (the
     * table records, for a divergence, where it starts and the batch-1 top-2 logit gap there). With one thread the CPU
     * flash-attention kernels a decode step takes do not depend on how many sequences it holds; with more threads
     * batch 1 splits a lone query's KV range across them and rounds differently (see {@link ParallelGenerator}), which
     * {@link #fullEquivalenceCheck} measures. Also: each result reported once, progress reported, the run's totals.
     */
    @Test
    void fourSlotsAreBatchOneBitForBitOnLongBenchPrompts() {
        List<GreedyEquivalence.Case> cases = GreedyEquivalence.longBench(model, 2, 3, 800, 64);
        Session.Params p = Session.Params.of(GreedyEquivalence.contextFor(cases)).withThreads(1);
        List<ParallelGenerator.Request> req = cases.stream().map(GreedyEquivalence.Case::request).toList();
        AtomicInteger[] heard = new AtomicInteger[req.size()];
        Arrays.setAll(heard, i -> new AtomicInteger());
        List<ParallelGenerator.Progress> progress = new ArrayList<>();
        ParallelGenerator.Run run;
        try (ParallelGenerator g = ParallelGenerator.open(model, p, 4)) {
            run = g.generate(req, new ParallelGenerator.Listener() {
                @Override
                public void finished(int index, ParallelGenerator.Result result) {
                    heard[index].incrementAndGet();
                }

                @Override
                public void progress(ParallelGenerator.Progress pr) {
                    progress.add(pr);
                }
            }, 100);
        }
        List<GreedyEquivalence.Row> rows;
        try (Session s = Session.open(model, p)) {
            rows = GreedyEquivalence.compare(s, cases, GreedyEquivalence.batchOne(s, cases), run.results(), null);
        }
        System.out.println(GreedyEquivalence.header());
        rows.forEach(r -> System.out.println(r.line()));
        for (GreedyEquivalence.Row r : rows) {
            assertTrue(r.identical(), r.line());
        }
        for (AtomicInteger h : heard) {
            assertEquals(1, h.get(), "each result is reported once");
        }
        assertTrue(!progress.isEmpty(), "no progress report in a run of " + run.wallNs() / 1e9 + " s");
        long generated = run.results().stream().mapToLong(r -> r.tokens().length).sum();
        long prompt = req.stream().mapToLong(r -> r.prompt().length).sum();
        assertEquals(generated, run.generatedTokens());
        assertEquals(prompt, run.promptTokens());
        assertEquals(0, run.choicesInGraph(), "the CPU's way chooses on the host");
        assertTrue(run.decodeSteps() > 0 && run.decodeRows() >= run.decodeSteps() && run.decodeRows() <= 4L * run.decodeSteps()
                && run.prefillNs() > 0 && run.decodeNs() > 0 && run.prefillNs() + run.decodeNs() <= run.wallNs(), run.breakdown());
        // every choice but a sequence's last (which ends it) is decoded in some step; an end of generation is a choice
        // that is not kept
        assertEquals(generated + run.results().stream().filter(r -> r.stopReason() == StopReason.END_OF_GENERATION).count()
                - run.results().size(), run.decodeRows(), run.breakdown());
        ParallelGenerator.Progress last = progress.getLast();
        assertTrue(last.generatedTokens() <= generated && last.promptTokens() <= prompt && last.inFlight() <= 4, last.toString());
    }

    /**
     * Without flash attention the kernels do not depend on the batch shape or the threads: two slots, three requests,
     * all threads, batch 1's outputs bit for bit, with each prompt prefilled alone and tokens chosen on the host (the CPU's
     * way) and with the prompts sharing prefill chunks (forced here with a small n_batch so that a chunk holds two
     * prompts' parts) and tokens chosen in llama.cpp's graph (a GPU's way).
     */
    @Test
    void withoutFlashAttentionTwoSlotsAreBatchOneBitForBit() {
        List<GreedyEquivalence.Case> cases = GreedyEquivalence.longBench(model, 2, 1, 500, 32);
        Session.Params p = Session.Params.of(GreedyEquivalence.contextFor(cases)).withFlashAttention(FlashAttention.OFF)
                .withBatch(256, 256);
        List<Generation> ref;
        try (Session s = Session.open(model, p)) {
            ref = GreedyEquivalence.batchOne(s, cases);
        }
        for (boolean packed : new boolean[]{false, true}) {
            ParallelGenerator.Run run;
            try (ParallelGenerator g = ParallelGenerator.open(model, p, 2, packed)) {
                run = g.generate(cases.stream().map(GreedyEquivalence.Case::request).toList());
            }
            for (int i = 0; i < cases.size(); i++) {
                assertTrue(GreedyEquivalence.same(ref.get(i), run.results().get(i)), cases.get(i).id() + " packed " + packed);
            }
            // the device's way chooses every token in llama.cpp's graph (here its CPU backend's argmax)
            long choices = run.results().stream().mapToLong(r -> r.tokens().length
                    + (r.stopReason() == StopReason.END_OF_GENERATION ? 1 : 0)).sum();
            assertEquals(packed ? choices : 0, run.choicesInGraph(), run.breakdown());
        }
    }

    /** Longest first within windows of 4 x parallel requests, ties in request order; every request exactly once. */
    @Test
    void admissionIsLongestFirstWithinWindows() {
        int[] lengths = {5, 9, 9, 1, 7, 3, 8, 2, 6, 4};
        List<ParallelGenerator.Request> req = new ArrayList<>();
        for (int n : lengths) {
            req.add(new ParallelGenerator.Request(new int[n], GenerationOptions.of(3)));
        }
        // parallel 1: windows of 4 requests (0-3, 4-7, 8-9)
        assertArrayEquals(new int[]{1, 2, 0, 3, 6, 4, 5, 7, 8, 9}, ParallelGenerator.admissionOrder(req, 1));
        // parallel 4: one window of 16 holds all
        assertArrayEquals(new int[]{1, 2, 6, 4, 8, 0, 9, 5, 7, 3}, ParallelGenerator.admissionOrder(req, 4));
        assertArrayEquals(new int[0], ParallelGenerator.admissionOrder(List.of(), 4));
    }

    @Test
    void badRequestsAreRefusedBeforeAnythingRuns() {
        assertThrows(CtxbenchException.class, () -> ParallelGenerator.open(model, Session.Params.of(256), 0));
        assertThrows(CtxbenchException.class, () -> new ParallelGenerator.Request(new int[0], GenerationOptions.of(4)));
        try (ParallelGenerator g = ParallelGenerator.open(model, Session.Params.of(256), 2)) {
            assertEquals(256, g.contextSizePerSequence());
            int[] ok = model.tokenize("Hello", true, false);
            List<ParallelGenerator.Result> done = new ArrayList<>();
            ParallelGenerator.Listener l = new ParallelGenerator.Listener() {
                @Override
                public void finished(int index, ParallelGenerator.Result result) {
                    done.add(result);
                }
            };
            CtxbenchException e = assertThrows(CtxbenchException.class, () -> g.generate(List.of(
                    new ParallelGenerator.Request(ok, GenerationOptions.of(8)),
                    new ParallelGenerator.Request(ok, GenerationOptions.of(300))), l, 0));
            assertTrue(e.getMessage().startsWith("request 1: "), e.getMessage());
            e = assertThrows(CtxbenchException.class, () -> g.generate(List.of(
                    new ParallelGenerator.Request(new int[]{1, model.vocabSize()}, GenerationOptions.of(8))), l, 0));
            assertTrue(e.getMessage().contains("outside the vocabulary"), e.getMessage());
            assertTrue(done.isEmpty(), "nothing ran");
            // the generator still works afterwards, and an empty list is an empty run
            assertEquals(8, g.generate(List.of(new ParallelGenerator.Request(ok, GenerationOptions.of(8).withIgnoreEos(true))))
                    .results().getFirst().tokens().length);
            assertTrue(g.generate(List.of()).results().isEmpty());
        }
        ParallelGenerator closed = ParallelGenerator.open(model, Session.Params.of(256), 1);
        closed.close();
        closed.close();
        assertThrows(IllegalStateException.class, () -> closed.generate(List.of()));
    }

    /**
     * The full check of issue 16 (the tasks' own max new tokens, flash attention auto, all threads): run with
     * {@code -Dctxbench.equivalence.samples=60} (half multi_news, half Qasper), optionally
     * {@code -Dctxbench.equivalence.parallel=4}, {@code -Dctxbench.equivalence.max-length=1500} and
     * {@code -Dctxbench.equivalence.threads=0} (0: all), {@code -Dctxbench.equivalence.shard=i/n} (every n-th sample
     * from the i-th, to spread the check over processes; each prints a {@code score-row} line per sample),
     * {@code -Dctxbench.equivalence.one-slot=false} (skip the one-slot run, which the other tests cover). Prints N slots against batch 1 ({@link Session}) and, with
     * several threads, batch 1 with one thread against batch 1 (the noise floor: the same kernels' rounding, no
     * parallelism), each divergence with its position and batch-1 top-2 gap; the counts; the wall times of batch 1,
     * one slot and N slots on the same prompts. Fails when one slot differs from batch 1 at all, or, with one thread,
     * when N slots do.
     */
    @Test
    @EnabledIfSystemProperty(named = "ctxbench.equivalence.samples", matches = "[0-9]+")
    void fullEquivalenceCheck() {
        int n = Integer.getInteger("ctxbench.equivalence.samples");
        int parallel = Integer.getInteger("ctxbench.equivalence.parallel", 4);
        int maxLength = Integer.getInteger("ctxbench.equivalence.max-length", 1500);
        List<GreedyEquivalence.Case> all = GreedyEquivalence.longBench(model, n - n / 2, n / 2, maxLength, Integer.MAX_VALUE);
        String[] shard = System.getProperty("ctxbench.equivalence.shard", "0/1").split("/");
        int si = Integer.parseInt(shard[0]);
        int sn = Integer.parseInt(shard[1]);
        List<GreedyEquivalence.Case> cases = new ArrayList<>();
        for (int i = si; i < all.size(); i += sn) {
            cases.add(all.get(i));
        }
        Session.Params p = Session.Params.of(GreedyEquivalence.contextFor(cases))
                .withThreads(Integer.getInteger("ctxbench.equivalence.threads", 0));
        List<ParallelGenerator.Request> req = cases.stream().map(GreedyEquivalence.Case::request).toList();
        ParallelGenerator.Listener progress = new ParallelGenerator.Listener() {
            @Override
            public void progress(ParallelGenerator.Progress pr) {
                System.out.printf(Locale.ROOT, "  [%d/%d] %d in flight, %d prompt + %d generated tokens, %.1f t/s (%.1f overall)%n",
                        pr.done(), pr.requests(), pr.inFlight(), pr.promptTokens(), pr.generatedTokens(),
                        pr.recentTokensPerSecond(), pr.tokensPerSecond());
            }
        };
        ParallelGenerator.Run one = null;   // one slot: skipped with -Dctxbench.equivalence.one-slot=false
        ParallelGenerator.Run many;
        if (Boolean.parseBoolean(System.getProperty("ctxbench.equivalence.one-slot", "true"))) {
            try (ParallelGenerator g = ParallelGenerator.open(model, p, 1)) {
                one = g.generate(req, progress, 60_000);
            }
        }
        try (ParallelGenerator g = ParallelGenerator.open(model, p, parallel)) {
            many = g.generate(req, progress, 60_000);
        }
        boolean threads = p.threads() > 1;
        List<Generation> oneThread = null;
        if (threads) {
            try (Session s = Session.open(model, p.withThreads(1))) {
                oneThread = GreedyEquivalence.batchOne(s, cases);
            }
        }
        List<GreedyEquivalence.Row> rows;
        List<GreedyEquivalence.Row> floor = null;
        List<Generation> ref;
        long b1;
        try (Session s = Session.open(model, p)) {
            long t0 = System.nanoTime();
            ref = GreedyEquivalence.batchOne(s, cases);
            b1 = System.nanoTime() - t0;
            if (threads) {
                List<List<GreedyEquivalence.Row>> both = GreedyEquivalence.compareAll(s, cases, ref, List.of(many.results(),
                        oneThread.stream().map(GreedyEquivalence::asResult).toList()), oneThread);
                rows = both.get(0);
                floor = both.get(1);
            } else {
                rows = GreedyEquivalence.compare(s, cases, ref, many.results(), null);
            }
        }
        System.out.println("== parallel " + parallel + " against batch 1, " + p.threads() + " threads, flash attention " + p.flashAttention());
        System.out.println(GreedyEquivalence.header());
        rows.forEach(r -> System.out.println(r.line()));
        System.out.println(summary("parallel " + parallel, rows));
        if (threads) {
            System.out.println("== batch 1 with one thread against batch 1 (the noise floor; last column but one: always yes)");
            System.out.println(GreedyEquivalence.header());
            floor.forEach(r -> System.out.println(r.line()));
            System.out.println(summary("batch 1 with one thread", floor));
            System.out.printf(Locale.ROOT, "parallel %d outputs equal to batch 1 with one thread: %d of %d%n", parallel,
                    rows.stream().filter(GreedyEquivalence.Row::sameAsOneThread).count(), rows.size());
        }
        System.out.printf(Locale.ROOT, "wall: Session batch 1 %.1f s; parallel %d %.1f s (%.1f generated t/s); %d prompt + %d"
                        + " generated tokens; heap allocated in the loop %d B; %s%n", b1 / 1e9, parallel, many.wallNs() / 1e9,
                many.generatedTokensPerSecond(), many.promptTokens(), many.generatedTokens(), many.loopHeapBytes(), many.breakdown());
        if (one != null) {
            System.out.printf(Locale.ROOT, "wall: parallel 1 %.1f s (%.1f generated t/s), heap allocated in the loop %d B%n",
                    one.wallNs() / 1e9, one.generatedTokensPerSecond(), one.loopHeapBytes());
        }
        double[] scoreN = new double[cases.size()];
        double[] score1 = new double[cases.size()];
        for (int i = 0; i < cases.size(); i++) {
            scoreN[i] = cases.get(i).score(many.results().get(i).text());
            score1[i] = cases.get(i).score(ref.get(i).text());
        }
        for (int i = 0; i < cases.size(); i++) {   // one line per sample, to merge shards
            System.out.printf(Locale.ROOT, "score-row\t%s\t%.6f\t%.6f\t%s%n", cases.get(i).id(), score1[i], scoreN[i],
                    rows.get(i).identical() ? "identical" : rows.get(i).divergeAt() + "\t" + rows.get(i).gap());
        }
        Interval diff = Bootstrap.meanDifference(scoreN, score1).times(100);
        System.out.printf(Locale.ROOT, "score (task metric x 100): batch 1 %s, parallel %d %s, paired difference %s%n",
                Bootstrap.mean(score1).times(100).format(2), parallel, Bootstrap.mean(scoreN).times(100).format(2), diff.format(2));
        assertTrue(!diff.excludesZero(), "paired score difference excludes 0: " + diff.format(2));
        for (int i = 0; one != null && i < cases.size(); i++) {
            assertTrue(GreedyEquivalence.same(ref.get(i), one.results().get(i)), "one slot differs from batch 1: " + cases.get(i).id());
        }
        if (!threads) {
            rows.forEach(r -> assertTrue(r.identical(), r.line()));
        }
    }

    private static String summary(String what, List<GreedyEquivalence.Row> rows) {
        long identical = rows.stream().filter(GreedyEquivalence.Row::identical).count();
        long nearTies = rows.stream().filter(r -> !r.identical() && r.nearTie()).count();
        return String.format(Locale.ROOT, "%s against batch 1: %d of %d identical (%.1f %%), %d divergent, %d of them at"
                        + " near-ties (top-2 gap < %.2f)", what, identical, rows.size(), 100.0 * identical / rows.size(),
                rows.size() - identical, nearTies, GreedyEquivalence.NEAR_TIE);
    }
}
