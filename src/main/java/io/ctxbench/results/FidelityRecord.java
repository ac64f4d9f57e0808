package io.ctxbench.results;

/**
 * One line of fidelity.jsonl: how far one method's next-token distributions are from the baseline's on one sample,
 * over the first {@code positions} tokens of the baseline's generation (teacher forcing). The figures are null when
 * no position was compared.
 *
 * @param klMean        mean per-position KL(baseline || method), in nats
 * @param top1Agreement share of positions where both pick the same token
 */
public record FidelityRecord(int schema, String key, String kind, String model, String method, String baseline, String task,
                             String id, Integer positions, Double klMean, Double klMax, Double top1Agreement) {

    public static final String KIND = "fidelity";
}
