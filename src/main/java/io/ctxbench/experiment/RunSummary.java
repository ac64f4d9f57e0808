package io.ctxbench.experiment;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ctxbench.results.Json;
import io.ctxbench.tasks.DataIssue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one session of a run did, for its manifest entry and the command's exit code: samples and fidelity records
 * written, samples skipped by reason (bad data, a failed sample), the data issues, and where the wall time went
 * (nanoseconds, summed by the parts of the run that spend them).
 */
final class RunSummary {
    private final Map<String, Integer> skipped = new TreeMap<>();
    private final List<DataIssue> issues = new ArrayList<>();
    int written, fidelityWritten, modelLoads;
    long prompt, compression, generation, scoring, bookkeeping, loading, fidelity;

    void dataIssue(DataIssue i) {
        issues.add(i);
        skipped.merge("bad data: " + i.kind(), 1, Integer::sum);
    }

    void failed(String method) {
        skipped.merge("failed: " + method, 1, Integer::sum);
    }

    ObjectNode toJson(long wallNs, int recordsInFile, int planned) {
        ObjectNode s = Json.MAPPER.createObjectNode();
        s.put("samples_written", written);
        s.put("samples_planned", planned);
        s.put("records_in_results_file", recordsInFile);
        s.put("fidelity_records_written", fidelityWritten);
        s.put("model_loads", modelLoads);
        s.put("samples_skipped", skipped.values().stream().mapToInt(Integer::intValue).sum());
        ObjectNode why = s.putObject("skipped_by_reason");
        skipped.forEach(why::put);
        ArrayNode iss = s.putArray("data_issues");
        issues.forEach(i -> iss.add(i.toString()));
        ObjectNode t = s.putObject("seconds");
        t.put("wall", wallNs / 1e9);
        t.put("model_loading", loading / 1e9);
        t.put("compression", compression / 1e9);
        t.put("prompt_building", prompt / 1e9);
        t.put("generation", generation / 1e9);
        t.put("scoring", scoring / 1e9);
        t.put("bookkeeping", bookkeeping / 1e9);
        t.put("fidelity", fidelity / 1e9);
        s.put("scoring_and_bookkeeping_share_of_wall", wallNs == 0 ? 0 : (double) (scoring + bookkeeping) / wallNs);
        return s;
    }
}
