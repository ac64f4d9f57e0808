package io.ctxbench.report;

import io.ctxbench.results.SampleRecord;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A method's records paired with the baseline's records of the same samples (same task and id; the caller picks the
 * model and what else must match): {@code mine.get(i)} and {@code theirs.get(i)} ran the same sample. {@code unpaired}
 * counts the method's records without a baseline record of their sample (or without an id); they are left out.
 */
record Pairs(List<SampleRecord> mine, List<SampleRecord> theirs, int unpaired) {

    static Pairs of(List<SampleRecord> method, List<SampleRecord> baseline) {
        Map<String, SampleRecord> bySample = new HashMap<>();
        baseline.forEach(x -> bySample.put(sample(x), x));
        List<SampleRecord> mine = new ArrayList<>(), theirs = new ArrayList<>();
        for (SampleRecord x : method) {
            SampleRecord y = x.id() == null ? null : bySample.get(sample(x));
            if (y != null) {
                mine.add(x);
                theirs.add(y);
            }
        }
        return new Pairs(mine, theirs, method.size() - mine.size());
    }

    private static String sample(SampleRecord x) {
        return x.task() + "\u0000" + x.id();
    }

    /** The pairs whose two records both ran at batch 1 (the cost pass): what cost ratios are taken over. */
    Pairs costMeasured() {
        List<SampleRecord> m = new ArrayList<>(), t = new ArrayList<>();
        for (int i = 0; i < mine.size(); i++) {
            if (mine.get(i).costMeasured() && theirs.get(i).costMeasured()) {
                m.add(mine.get(i));
                t.add(theirs.get(i));
            }
        }
        return m.size() == mine.size() ? this : new Pairs(m, t, unpaired);
    }

    int n() {
        return mine.size();
    }
}
