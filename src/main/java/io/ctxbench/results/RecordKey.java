package io.ctxbench.results;

/**
 * What a per-sample or fidelity record is about: one sample of one task, run by one method on one model. Its
 * {@link #text()} is the records' {@code key} field, "model|method|task|id", the form every run folder has used
 * since the first release, so that an older run still resumes.
 */
public record RecordKey(String model, String method, String task, String id) {

    public String text() {
        return model + "|" + method + "|" + task + "|" + id;
    }

    /** The same sample run by another method (e.g. the baseline's record of it). */
    public RecordKey withMethod(String otherMethod) {
        return new RecordKey(model, otherMethod, task, id);
    }

    @Override
    public String toString() {
        return text();
    }
}
