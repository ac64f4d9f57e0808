package io.ctxbench.engine;

import io.ctxbench.CtxbenchException;

import java.util.Locale;

/** llama.cpp's {@code enum llama_load_mode}: how weights are read from the file. */
public enum LoadMode {
    AUTO(-1), NONE(0), MMAP(1), MLOCK(2), MMAP_MLOCK(3), DIRECT_IO(4);

    public final int value;

    LoadMode(int value) {
        this.value = value;
    }

    public static LoadMode parse(String s) {
        try {
            return valueOf(s.strip().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new CtxbenchException("unknown load mode '" + s + "': use auto, none, mmap, mlock, mmap_mlock or direct_io");
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
