package io.ctxbench.experiment;

import io.ctxbench.CtxbenchException;

import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Compressors by id. Built in: {@code none} (the context unchanged) and {@code placeholder-headtail}, a clearly
 * labelled stand-in that keeps the first and last halves of the word budget (middle truncation of words): it is
 * NOT a prompt compressor from the study and exists only so the "_c" methods can run before the real ones
 * ({@code extractive}, {@code perplexity}) are registered with {@link #register}.
 */
public final class Compressors {
    public static final String NONE = "none";
    public static final String PLACEHOLDER = "placeholder-headtail";

    private static final Map<String, Supplier<ContextCompressor>> REGISTRY = new TreeMap<>();

    static {
        register(NONE, () -> new ContextCompressor() {
            public String id() {
                return NONE;
            }

            public String compress(String instruction, String context, String question, double rate) {
                return context;
            }
        });
        register(PLACEHOLDER, HeadTail::new);
    }

    private Compressors() {
    }

    public static synchronized void register(String id, Supplier<ContextCompressor> factory) {
        REGISTRY.put(id, factory);
    }

    public static synchronized boolean has(String id) {
        return REGISTRY.containsKey(id);
    }

    public static synchronized ContextCompressor get(String id) {
        Supplier<ContextCompressor> f = REGISTRY.get(id);
        if (f == null) {
            throw new CtxbenchException("compressor '" + id + "' is not available in this build (available: "
                    + String.join(", ", REGISTRY.keySet()) + "); choose one for the compressed methods with --compressor ID");
        }
        return f.get();
    }

    /** Placeholder: keep the first and last rate-th share of the words (whitespace-split, joined with one space). */
    static final class HeadTail implements ContextCompressor {
        public String id() {
            return PLACEHOLDER;
        }

        public String compress(String instruction, String context, String question, double rate) {
            if (rate <= 1.0) {
                return context;
            }
            String[] w = context.strip().split("\\s+");
            int keep = (int) Math.ceil(w.length / rate);
            if (keep >= w.length) {
                return context;
            }
            int head = (keep + 1) / 2, tail = keep - head;
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < head; i++) {
                sb.append(i == 0 ? "" : " ").append(w[i]);
            }
            for (int i = w.length - tail; i < w.length; i++) {
                sb.append(sb.isEmpty() ? "" : " ").append(w[i]);
            }
            return sb.toString();
        }
    }
}
