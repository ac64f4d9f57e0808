package io.ctxbench.experiment;

import io.ctxbench.engine.TestFiles;
import io.ctxbench.engine.chat.ChatFormat;
import io.ctxbench.report.LengthResults;
import io.ctxbench.report.Report;
import io.ctxbench.results.EvalResults;
import io.ctxbench.results.FidelityRecord;
import io.ctxbench.results.SampleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The same small run (SmolLM2; RULER niah_single_1 at 512 tokens, 8 samples; FP16 and KV-Q, 4 new tokens, fidelity on
 * the first sample) once in one process and once as 4 shards into
 * one folder, as a Slurm job array runs it (scripts/slurm): the merged folder reads back as the single run's records,
 * in the single run's order, and its report has the same RULER scores and intervals (RULER records are in the report's
 * lengths, not its task rows).
 */
class ShardMergeTest {
    private static final int SHARDS = 4;

    private static EvalConfig config(Path out, int shard, int shards) {
        Methods cat = Methods.builtin();
        ModelSpec spec = new ModelSpec("smol", TestFiles.smolLm2(), Map.of(), true);
        return new EvalConfig(List.of(spec), List.of(cat.get("FP16"), cat.get("KV-Q")), null,
                List.of(), null, EvalEndToEndTest.ruler("niah_single_1", 512, 8), 9, 0, Set.of(), Set.of(), 1024, shard,
                shards, out, false, 1, 0, 512, 512, 1, 8, ChatFormat.JINJA, LocalDate.of(2026, 12, 2), 4, null, null,
                List.of("test"));
    }

    @Test
    void fourShardsMergeIntoTheSingleRunsRecordsAndReport(@TempDir Path tmp) {
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        Path single = tmp.resolve("single"), sharded = tmp.resolve("sharded");
        new EvalRunner(config(single, 0, 1), quiet).run();
        for (int i = 0; i < SHARDS; i++) {
            new EvalRunner(config(sharded, i, SHARDS), quiet).run();
        }

        EvalResults a = EvalResults.load(single), b = EvalResults.load(sharded);
        assertEquals(2 * 8, a.samples().size());
        assertEquals(0, b.duplicates());
        // the same records in the same order: a bootstrap interval depends on the order of its values
        assertEquals(a.samples().stream().map(SampleRecord::key).toList(), b.samples().stream().map(SampleRecord::key).toList());
        for (int i = 0; i < a.samples().size(); i++) {
            SampleRecord x = a.samples().get(i), y = b.samples().get(i);
            assertEquals(x.prediction(), y.prediction(), x.key());
            assertTrue(Arrays.equals(x.generatedTokenIds(), y.generatedTokenIds()), x.key());
            assertEquals(x.scores(), y.scores(), x.key());
            assertEquals(x.promptSha256(), y.promptSha256(), x.key());
        }
        // fidelity on the first sample of the whole run, not on each shard's first
        assertEquals(1, a.fidelity().size());
        assertEquals(a.fidelity().stream().map(FidelityRecord::key).toList(), b.fidelity().stream().map(FidelityRecord::key).toList());
        for (int i = 0; i < a.fidelity().size(); i++) {
            FidelityRecord x = a.fidelity().get(i), y = b.fidelity().get(i);
            assertEquals(Arrays.asList(x.positions(), x.klMean(), x.klMax(), x.top1Agreement()),
                    Arrays.asList(y.positions(), y.klMean(), y.klMax(), y.top1Agreement()), x.key());
        }

        Report ra = Report.load(single, null), rb = Report.load(sharded, null);
        LengthResults la = ra.lengths(), lb = rb.lengths();
        assertEquals(2, la.ruler().size());
        assertEquals(la.ruler(), lb.ruler());
        assertEquals(la.averages(), lb.averages());
        assertEquals(la.summaries(), lb.summaries());
    }
}
