package io.ctxbench.engine;

import io.ctxbench.CtxbenchException;

import java.util.Locale;

/** llama.cpp's {@code enum llama_split_mode}: how a model spreads over several devices. */
public enum SplitMode {
    /** One device (the main GPU) holds everything. */
    NONE(0),
    /** Pipeline parallel: whole layers (and their KV cache) per device. */
    LAYER(1),
    /** Tensor parallel: rows of each weight matrix per device, where the backend supports it. */
    ROW(2);

    public final int value;

    SplitMode(int value) {
        this.value = value;
    }

    public static SplitMode parse(String s) {
        try {
            return valueOf(s.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CtxbenchException("unknown split mode '" + s + "': use none, layer or row");
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
