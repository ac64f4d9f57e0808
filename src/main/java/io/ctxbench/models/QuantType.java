package io.ctxbench.models;

import io.ctxbench.CtxbenchException;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The file types {@code llama-quantize} accepts by name (tools/quantize/quantize.cpp, QUANT_OPTIONS, of the pinned
 * llama.cpp), with their {@code enum llama_ftype} values from include/llama.h. Aliases (Q3_K, Q4_K, Q5_K) map to the
 * _M variant as there.
 */
public enum QuantType {
    Q1_0(40), Q2_0(41), Q4_0(2), Q4_1(3), MXFP4_MOE(38), Q5_0(8), Q5_1(9),
    IQ2_XXS(19), IQ2_XS(20), IQ2_S(28), IQ2_M(29), IQ1_S(24), IQ1_M(31), TQ1_0(36), TQ2_0(37),
    Q2_K(10), Q2_K_S(21), IQ3_XXS(23), IQ3_S(26), IQ3_M(27), Q3_K(12), IQ3_XS(22), Q3_K_S(11), Q3_K_M(12),
    Q3_K_L(13), IQ4_NL(25), IQ4_XS(30), Q4_K(15), Q4_K_S(14), Q4_K_M(15), Q5_K(17), Q5_K_S(16), Q5_K_M(17),
    Q6_K(18), Q8_0(7), F16(1), BF16(32), F32(0),
    /** Only copy tensors, no quantizing ({@code only_copy}). */
    COPY(0);

    /** The {@code enum llama_ftype} value. */
    public final int ftype;

    QuantType(int ftype) {
        this.ftype = ftype;
    }

    /**
     * File types whose mixture gives some tensor a type that llama.cpp refuses to quantize without an importance
     * matrix (llama-quant.cpp: tensor_requires_imatrix is true for IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS and
     * for Q2_K inside a Q2_K_S file; llama_tensor_get_type gives IQ3_XS files IQ3_XXS attention and FFN tensors, and
     * IQ2_M files IQ2_S ones). A tensor whose row length does not fit the type's 256-blocks falls back to a type
     * that needs none (IQ4_NL, Q4_0, ...), but every model has some that fit, so these are refused up front.
     */
    public boolean needsImatrix() {
        return switch (this) {
            case IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ2_M, IQ3_XXS, IQ3_XS, Q2_K_S -> true;
            default -> false;
        };
    }

    /** Case-insensitive, as llama-quantize. */
    public static QuantType parse(String s) {
        String n = s.strip().toUpperCase(Locale.ROOT);
        for (QuantType t : values()) {
            if (t.name().equals(n)) {
                return t;
            }
        }
        throw new CtxbenchException("unknown quantization type '" + s + "'; known (as llama-quantize): "
                + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", ")));
    }
}
