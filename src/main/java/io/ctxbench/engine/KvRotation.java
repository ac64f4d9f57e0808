package io.ctxbench.engine;

import io.ctxbench.CtxbenchException;
import io.ctxbench.llama.ffi.llama_h;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Locale;

/**
 * Whether llama.cpp rotates a quantized KV cache. At the pinned commit a KV cache multiplies the K and V rows it
 * quantizes by a Hadamard matrix (and attention's output back), which spreads outliers over the block before
 * quantizing; it does so for every quantized K or V whose head size is a multiple of 64 (src/llama-kv-cache.cpp,
 * {@code attn_rot_k}/{@code attn_rot_v}). There is no context parameter for it, only the environment variable
 * {@code LLAMA_ATTN_ROT_DISABLE}, read with getenv when a KV cache is built. {@link #createContext} sets or unsets it
 * in the C environment (libc's setenv through FFM: Java's own environment is a read-only copy) for exactly that
 * call, under a lock, and restores what was there, so one process can hold contexts with and without rotation.
 *
 * <p>The name follows the project's {@code kv_} fields ({@code kv_k}, {@code kv_v}, {@code kv_path}): llama.cpp has
 * no option for it, and "kv rotation" says what is rotated.
 */
public enum KvRotation {
    /** llama.cpp's default: quantized K and V are rotated where the head size allows. */
    ON,
    /** {@code LLAMA_ATTN_ROT_DISABLE=1}: quantized K and V are stored as they are. */
    OFF;

    static final String ENV = "LLAMA_ATTN_ROT_DISABLE";
    private static final Object LOCK = new Object();

    /** The name in methods, records and options: on, off. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return label();
    }

    public static KvRotation parse(String s) {
        for (KvRotation r : values()) {
            if (r.label().equalsIgnoreCase(s.strip())) {
                return r;
            }
        }
        throw new CtxbenchException("KV rotation must be on or off, got '" + s + "'");
    }

    /**
     * Refuses rotation off where llama.cpp has nothing to rotate: neither K nor V is quantized, so the setting would
     * change nothing while records and tables would name it as if it had.
     */
    static void check(KvRotation r, KvCacheType k, KvCacheType v) {
        if (r == OFF && !k.quantized() && !v.quantized()) {
            throw new CtxbenchException("KV rotation off means nothing for an unquantized cache (K " + k + ", V " + v
                    + "): llama.cpp rotates only quantized K and V; quantize the cache or leave rotation on");
        }
    }

    /**
     * llama_init_from_model with {@code LLAMA_ATTN_ROT_DISABLE} set to 1 (OFF) or unset (ON) while it runs; the
     * variable's earlier value (a user's shell may have set it) is put back afterwards. Contexts created elsewhere
     * in the process do not take the lock; the engine creates its contexts here.
     */
    static MemorySegment createContext(MemorySegment model, MemorySegment contextParams, KvRotation r) {
        synchronized (LOCK) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment name = a.allocateFrom(ENV);
                MemorySegment before = (MemorySegment) Libc.GETENV.invokeExact(name);
                String saved = before.equals(MemorySegment.NULL) ? null : Devices.cString(before);
                set(a, name, r == OFF ? "1" : null);
                try {
                    return llama_h.llama_init_from_model(model, contextParams);
                } finally {
                    set(a, name, saved);
                }
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException("libc setenv/getenv failed", t);
            }
        }
    }

    private static void set(Arena a, MemorySegment name, String value) throws Throwable {
        int rc = value == null ? (int) Libc.UNSETENV.invokeExact(name)
                : (int) Libc.SETENV.invokeExact(name, a.allocateFrom(value), 1);
        if (rc != 0) {
            throw new IllegalStateException("could not " + (value == null ? "unset " : "set ") + ENV);
        }
    }

    /**
     * What llama.cpp did with the context just created, from its log of building the KV cache(s) ("attn_rot_k = 1",
     * "attn_rot_v = 0"; a model with sliding-window layers builds two caches): "on" when it rotated every quantized
     * part, "off" when none, "k" or "v" when only that one; null when neither K nor V is quantized (nothing to
     * rotate) or the log does not say.
     */
    static String observed(List<String> log, KvCacheType k, KvCacheType v) {
        if (!k.quantized() && !v.quantized()) {
            return null;
        }
        Boolean rotK = null, rotV = null;
        for (String l : log) {
            rotK = flag(l, "attn_rot_k = ", rotK);
            rotV = flag(l, "attn_rot_v = ", rotV);
        }
        if (rotK == null || rotV == null) {
            return null;
        }
        boolean kOk = !k.quantized() || rotK, vOk = !v.quantized() || rotV;
        boolean any = (k.quantized() && rotK) || (v.quantized() && rotV);
        return kOk && vOk ? "on" : !any ? "off" : rotK ? "k" : "v";
    }

    /** The flag a line sets (1 anywhere wins over 0: several caches log it), or what was known before. */
    private static Boolean flag(String line, String key, Boolean before) {
        int i = line.indexOf(key);
        if (i < 0) {
            return before;
        }
        boolean on = line.startsWith("1", i + key.length());
        return before == null ? on : before || on;
    }

    /** libc's getenv, setenv and unsetenv (POSIX). */
    private static final class Libc {
        private static final Linker LINKER = Linker.nativeLinker();
        private static final SymbolLookup LIBC = LINKER.defaultLookup();
        static final MethodHandle GETENV = handle("getenv", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        static final MethodHandle SETENV = handle("setenv",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        static final MethodHandle UNSETENV = handle("unsetenv", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));

        private static MethodHandle handle(String name, FunctionDescriptor d) {
            return LINKER.downcallHandle(LIBC.find(name).orElseThrow(() -> new IllegalStateException("libc has no " + name)), d);
        }
    }
}
