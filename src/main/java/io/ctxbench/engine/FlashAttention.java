package io.ctxbench.engine;

import io.ctxbench.CtxbenchException;

import java.util.Locale;

/** llama.cpp's {@code enum llama_flash_attn_type}. */
public enum FlashAttention {
    AUTO(-1), OFF(0), ON(1);

    public final int value;

    FlashAttention(int value) {
        this.value = value;
    }

    public static FlashAttention parse(String s) {
        return switch (s.strip().toLowerCase(Locale.ROOT)) {
            case "auto", "-1" -> AUTO;
            case "off", "0", "false", "disabled" -> OFF;
            case "on", "1", "true", "enabled" -> ON;
            default -> throw new CtxbenchException("unknown flash attention setting '" + s + "': use on, off or auto");
        };
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
