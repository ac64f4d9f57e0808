package io.ctxbench.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.FlashAttention;
import io.ctxbench.engine.KvCacheType;
import io.ctxbench.engine.KvEviction;
import io.ctxbench.engine.KvRotation;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The method catalog: the built-in study methods (models/methods.json in the jar) plus any user files of the same
 * shape, whose methods add to or replace the built-in ones by name:
 * <pre>{"methods": [{"name": "FP16", "level": 1, "weights": "f16", "kv_k": "f16", "kv_v": "f16", "kv_rotation": "on",
 *   "compressor": "none", "rate": 1.0, "flash_attention": "auto", "about": "..."}]}</pre>
 * {@code kv_k}/{@code kv_v} take every cache type llama.cpp's -ctk/-ctv take ({@link KvCacheType});
 * {@code kv_rotation} (default on) turns llama.cpp's rotation of a quantized K/V off ({@link KvRotation}).
 * {@code kv_evict} (default none; {@code streaming} or {@code snapkv}) drops prompt tokens from the KV cache after
 * prefill, keeping a budget given as {@code kv_budget} (a fraction of the prompt, in (0, 1]) or {@code kv_budget_tokens}
 * (a count), with {@code kv_sinks} attention sinks for streaming (default 4) ({@link KvEviction}; snapkv needs and
 * defaults to flash_attention off). Separate fields rather than one spec string, so a
 * file reads like the other method fields and a budget is a JSON number.
 */
public final class Methods {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Map<String, Method> byName = new LinkedHashMap<>();

    private Methods() {
    }

    public static Methods builtin() {
        Methods m = new Methods();
        try (InputStream in = Methods.class.getResourceAsStream("/models/methods.json")) {
            if (in == null) {
                throw new IllegalStateException("models/methods.json is missing from the jar");
            }
            m.addAll(JSON.readTree(in), "built-in methods.json");
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the built-in methods", e);
        }
        return m;
    }

    /** Adds the methods of a user file (replacing built-ins of the same name). */
    public Methods addFile(Path file) {
        try {
            addAll(JSON.readTree(Files.readString(file)), file.toString());
        } catch (IOException e) {
            throw new CtxbenchException("cannot read methods file " + file + ": " + e.getMessage(), e);
        }
        return this;
    }

    private void addAll(JsonNode root, String where) {
        JsonNode list = root == null ? null : root.get("methods");
        if (list == null || !list.isArray()) {
            throw new CtxbenchException(where + ": expected {\"methods\": [ ... ]}");
        }
        int i = 0;
        for (JsonNode n : list) {
            i++;
            try {
                Method m = new Method(req(n, "name"), n.path("level").asInt(1), req(n, "weights"),
                        n.hasNonNull("kv_k") ? KvCacheType.parse(n.get("kv_k").asText()) : null,
                        n.hasNonNull("kv_v") ? KvCacheType.parse(n.get("kv_v").asText()) : null,
                        n.hasNonNull("kv_rotation") ? KvRotation.parse(n.get("kv_rotation").asText()) : null,
                        n.path("compressor").asText(Compressors.NONE), n.path("rate").asDouble(1.0),
                        n.hasNonNull("flash_attention") ? FlashAttention.parse(n.get("flash_attention").asText()) : null,
                        n.path("about").asText(""), eviction(n));
                byName.put(m.name(), m);
            } catch (CtxbenchException e) {
                throw new CtxbenchException(where + ", method #" + i + ": " + e.getMessage());
            }
        }
    }

    private static KvEviction eviction(JsonNode n) {
        KvEviction.Policy p = n.hasNonNull("kv_evict") ? KvEviction.Policy.parse(n.get("kv_evict").asText()) : KvEviction.Policy.NONE;
        if (p == KvEviction.Policy.NONE) {
            for (String f : new String[] {"kv_budget", "kv_budget_tokens", "kv_sinks"}) {
                if (n.hasNonNull(f)) {
                    throw new CtxbenchException("\"" + f + "\" needs \"kv_evict\" (e.g. \"streaming\")");
                }
            }
            return KvEviction.NONE;
        }
        for (String f : new String[] {"kv_budget", "kv_budget_tokens", "kv_sinks"}) {
            if (n.hasNonNull(f) && !n.get(f).isNumber()) {
                throw new CtxbenchException("\"" + f + "\" must be a number, got " + n.get(f));
            }
        }
        if (n.hasNonNull("kv_budget_tokens") && !n.get("kv_budget_tokens").isIntegralNumber()
                || n.hasNonNull("kv_sinks") && !n.get("kv_sinks").isIntegralNumber()) {
            throw new CtxbenchException("\"kv_budget_tokens\" and \"kv_sinks\" must be whole numbers");
        }
        return new KvEviction(p, n.path("kv_budget").asDouble(0), n.path("kv_budget_tokens").asInt(0),
                n.path("kv_sinks").asInt(p == KvEviction.Policy.STREAMING ? KvEviction.DEFAULT_SINKS : 0));
    }

    private static String req(JsonNode n, String f) {
        if (!n.hasNonNull(f)) {
            throw new CtxbenchException("missing \"" + f + "\"");
        }
        return n.get(f).asText();
    }

    public List<Method> all() {
        return new ArrayList<>(byName.values());
    }

    public List<Method> level(int level) {
        return byName.values().stream().filter(m -> m.level() == level).toList();
    }

    /** Whether a method of this name (case-insensitive) is defined. */
    public boolean has(String name) {
        return byName.keySet().stream().anyMatch(k -> k.equalsIgnoreCase(name));
    }

    public Method get(String name) {
        Method m = byName.get(name);
        if (m == null) {
            for (Method x : byName.values()) {
                if (x.name().toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
                    return x;
                }
            }
            throw new CtxbenchException("unknown method '" + name + "'; known: " + String.join(", ", byName.keySet()));
        }
        return m;
    }
}
