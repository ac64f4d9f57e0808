package io.ctxbench.report;

import io.ctxbench.engine.StopReason;
import io.ctxbench.results.Bootstrap;
import io.ctxbench.results.Interval;
import io.ctxbench.results.SampleRecord;

import java.util.List;
import java.util.function.Function;

import static io.ctxbench.report.Column.ci;
import static io.ctxbench.report.Column.col;
import static io.ctxbench.report.Column.columns;

/**
 * What a group of sample records cost, each figure over the records that have it, with its 95% bootstrap interval
 * over samples: decode tokens/s as total decode steps over total decode seconds ({@link #decodeSteps},
 * {@link #decodeSeconds}) and the median of the samples' rates; prefill tokens/s as total prompt tokens over total
 * prefill seconds; TTFT and end-to-end latency (means, ms); peak memory, the largest device peak over the records, or
 * on a CPU run (no record has a device figure) the largest process peak RSS: a maximum, so no interval. The report's
 * rows (per task) and the length-controlled costs (per length) are both this. Only records that ran at batch 1 (the
 * cost pass, {@link SampleRecord#costMeasured}) count: a quality-pass record shared its time with other sequences.
 */
public record Cost(Interval decodeTps, Interval decodeTpsMedian, Interval prefillTps, Interval ttftMs, Interval e2eMs,
                   double memBytes, String memKind) {

    public static final String DEVICE = "device";
    public static final String PROCESS_RSS = "process peak RSS";

    static Cost of(List<SampleRecord> all) {
        List<SampleRecord> g = all.stream().filter(SampleRecord::costMeasured).toList();
        String memKind = DEVICE;
        double mem = max(g, SampleRecord.Metrics::peakDeviceBytes);
        if (mem < 0) {
            memKind = PROCESS_RSS;
            mem = max(g, SampleRecord.Metrics::processPeakRssBytes);
        }
        return new Cost(Bootstrap.ratioOfSums(Report.values(g, Cost::decodeSteps), Report.values(g, Cost::decodeSeconds)),
                Bootstrap.median(Report.values(g, x -> finite(metrics(x).decodeTps()) && metrics(x).decodeTps() > 0
                        ? metrics(x).decodeTps() : null)),
                Bootstrap.ratioOfSums(Report.values(g, Cost::prefillTokens), Report.values(g, Cost::prefillSeconds)),
                Bootstrap.mean(Report.values(g, x -> metrics(x).ttftMs())),
                Bootstrap.mean(Report.values(g, x -> metrics(x).e2eMs())), mem, memKind);
    }

    /** report.csv's and report.json's names of the figures. */
    static final List<Column<Cost>> COLUMNS = columns(ci("decode_tps_total", Cost::decodeTps),
            ci("decode_tps_median", Cost::decodeTpsMedian), ci("prefill_tps", Cost::prefillTps), ci("ttft_ms", Cost::ttftMs),
            ci("e2e_ms", Cost::e2eMs), col("mem_bytes", Cost::memBytes), col("mem_kind", Cost::memKind));

    // ---------------------------------------------------------------- paired with the baseline

    /** Throughput x: the method's decode rate over the baseline's, totals over the pairs, with the paired interval. */
    static Interval throughputX(Pairs all) {
        Pairs p = all.costMeasured();
        return Bootstrap.ratioOfRatios(Report.values(p.mine(), Cost::decodeSteps), Report.values(p.mine(), Cost::decodeSeconds),
                Report.values(p.theirs(), Cost::decodeSteps), Report.values(p.theirs(), Cost::decodeSeconds));
    }

    /** Prefill x: the method's prefill rate over the baseline's, totals over the pairs, with the paired interval. */
    static Interval prefillX(Pairs all) {
        Pairs p = all.costMeasured();
        return Bootstrap.ratioOfRatios(Report.values(p.mine(), Cost::prefillTokens), Report.values(p.mine(), Cost::prefillSeconds),
                Report.values(p.theirs(), Cost::prefillTokens), Report.values(p.theirs(), Cost::prefillSeconds));
    }

    /** E2E speed-up x: the baseline's total end-to-end time over the method's, over the pairs. */
    static Interval e2eSpeedupX(Pairs all) {
        Pairs p = all.costMeasured();
        return Bootstrap.ratioOfSums(Report.values(p.theirs(), x -> metrics(x).e2eMs()),
                Report.values(p.mine(), x -> metrics(x).e2eMs()));
    }

    /** Memory saving x: the baseline's peak over this one's (NaN without both). */
    double memorySavingX(Cost baseline) {
        return baseline.memBytes > 0 && memBytes > 0 ? baseline.memBytes / memBytes : Double.NaN;
    }

    // ---------------------------------------------------------------- per record

    // a record read back may lack its metrics (hand-made, older): absent counts as not measured
    private static final SampleRecord.Metrics NO_METRICS = new SampleRecord.Metrics(null, null, null, null, null, null, null,
            null, null, null, null, null, null, null, null, null, null, null, null);

    static SampleRecord.Metrics metrics(SampleRecord r) {
        return r.metrics() == null ? NO_METRICS : r.metrics();
    }

    /**
     * Decode calls of a sample: one per generated token after the first, plus one more when an end-of-generation token
     * ended it (the engine's count, which its decode_tps divides); a record without stop_reason counts its tokens.
     * NaN without a token count or a decode rate.
     */
    static double decodeSteps(SampleRecord r) {
        Integer gen = metrics(r).generatedTokens();
        Double tps = metrics(r).decodeTps();
        if (gen == null || !finite(tps) || tps <= 0) {
            return Double.NaN;
        }
        return r.stopReason() == null || r.stopReason().equals(StopReason.END_OF_GENERATION.name()) ? gen : gen - 1;
    }

    /** Seconds of decode calls of a sample: its decode steps over its decode_tps (the engine's own quotient, inverted). */
    static double decodeSeconds(SampleRecord r) {
        double steps = decodeSteps(r);
        return Double.isNaN(steps) ? Double.NaN : steps / metrics(r).decodeTps();
    }

    private static double prefillTokens(SampleRecord r) {
        Integer p = metrics(r).promptTokens();
        Double tps = metrics(r).prefillTps();
        return p == null || !finite(tps) || tps <= 0 ? Double.NaN : p;
    }

    private static double prefillSeconds(SampleRecord r) {
        double tokens = prefillTokens(r);
        return Double.isNaN(tokens) ? Double.NaN : tokens / metrics(r).prefillTps();
    }

    static boolean finite(Double v) {
        return v != null && Double.isFinite(v);
    }

    /** The largest of a byte count over the group, -1 when no record has one. */
    private static double max(List<SampleRecord> g, Function<SampleRecord.Metrics, Long> field) {
        double m = -1;
        for (SampleRecord x : g) {
            Long v = field.apply(metrics(x));
            m = v == null ? m : Math.max(m, v);
        }
        return m;
    }
}
