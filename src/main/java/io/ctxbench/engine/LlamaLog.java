package io.ctxbench.engine;

import io.ctxbench.llama.ffi.ggml_abort_callback_t;
import io.ctxbench.llama.ffi.ggml_log_callback;
import io.ctxbench.llama.ffi.llama_h;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * llama.cpp's log, routed through a {@code llama_log_set} upcall. Quiet by default: lines are kept in a small
 * ring so that an error message can quote what llama.cpp said; {@link #setVerbose(boolean)} also prints them
 * to stderr. The upcall stub lives in the global arena because llama.cpp may log until the process exits.
 */
public final class LlamaLog {
    private static final int KEEP = 256;
    private static final ArrayDeque<String> recent = new ArrayDeque<>(KEEP);
    private static final StringBuilder partial = new StringBuilder();
    private static final int DEBUG = llama_h.GGML_LOG_LEVEL_DEBUG();
    private static volatile boolean verbose;
    private static volatile PrintStream sink = System.err;
    /** Times llama.cpp said it runs flash attention on K/V converted to f16 (CUDA, no kernel for the pair). */
    private static final java.util.concurrent.atomic.AtomicInteger kvConversions = new java.util.concurrent.atomic.AtomicInteger();

    private LlamaLog() {
    }

    static void install() {
        MemorySegment stub = ggml_log_callback.allocate(LlamaLog::onLog, Arena.global());
        llama_h.llama_log_set(stub, MemorySegment.NULL);
        llama_h.ggml_set_abort_callback(ggml_abort_callback_t.allocate(LlamaLog::onAbort, Arena.global()));
    }

    /** Exit code when llama.cpp aborts the process (a failed assertion, an RPC server that went away). */
    public static final int ABORT_EXIT_CODE = 70;

    /**
     * llama.cpp calls this right before abort(). Nothing can unwind through the native frames, so the message
     * is printed with a hint and the JVM halts with {@link #ABORT_EXIT_CODE} instead of dumping core; every
     * result line written before is already on disk.
     */
    private static void onAbort(MemorySegment message) {
        String m = message.equals(MemorySegment.NULL) ? "(no message)" : Devices.cString(message).strip();
        String hint = m.contains("RPC") ? " (an RPC server went away or broke the protocol; check the servers and retry)" : "";
        System.out.flush();
        System.err.println("ctxbench: llama.cpp aborted: " + m + hint);
        System.err.flush();
        Runtime.getRuntime().halt(ABORT_EXIT_CODE);
    }

    public static void setVerbose(boolean on) {
        verbose = on;
    }

    public static boolean verbose() {
        return verbose;
    }

    /** Forgets what was logged so far, so that {@link #recentErrors()} only shows what follows. */
    public static synchronized void clear() {
        recent.clear();
        partial.setLength(0);
    }

    /** The last lines llama.cpp logged at warning or error level, oldest first. */
    public static synchronized List<String> recentErrors() {
        List<String> out = new ArrayList<>();
        for (String s : recent) {
            if (s.startsWith("E ") || s.startsWith("W ")) {
                out.add(s.substring(2));
            }
        }
        return out;
    }

    /** The last lines llama.cpp logged above debug level, oldest first, each prefixed by its level letter (I, W, E). */
    public static synchronized List<String> recentLines() {
        return new ArrayList<>(recent);
    }

    /** A short suffix for an error message: what llama.cpp said last at error level, if anything. */
    static String lastErrorHint() {
        List<String> errs = recentErrors();
        if (errs.isEmpty()) {
            return "";
        }
        List<String> tail = errs.subList(Math.max(0, errs.size() - 3), errs.size());
        return " (llama.cpp: " + String.join(" | ", tail) + ")";
    }

    private static void onLog(int level, MemorySegment text, MemorySegment userData) {
        if (level == DEBUG && !verbose) {
            return; // llama.cpp logs debug lines while decoding: drop them before they cost a String
        }
        String s = Devices.cString(text);
        char tag = level == llama_h.GGML_LOG_LEVEL_ERROR() ? 'E'
                : level == llama_h.GGML_LOG_LEVEL_WARN() ? 'W'
                : level == llama_h.GGML_LOG_LEVEL_DEBUG() ? 'D' : 'I';
        synchronized (LlamaLog.class) {
            if (verbose) {
                sink.print(s);
            }
            int start = 0;
            for (int i = 0; i < s.length(); i++) {
                if (s.charAt(i) == '\n') {
                    partial.append(s, start, i);
                    push(tag, partial.toString());
                    partial.setLength(0);
                    start = i + 1;
                }
            }
            partial.append(s, start, s.length());
        }
    }

    /**
     * How often llama.cpp has logged that flash attention converts K and V to f16 because the build has no kernel
     * for the pair ({@link KvPath#CONVERTED}). ggml-cuda says so once per process, so a session compares this with
     * the count when it opened and otherwise relies on {@link KvPath#predict}.
     */
    public static int kvConversions() {
        return kvConversions.get();
    }

    /**
     * Passes every line llama.cpp logs above debug level to {@code listener} (stripped, without the level letter)
     * while it is set, for a caller that needs more lines than the ring keeps (a quantizer's dry run lists every
     * tensor); null removes it. Called on the logging thread, under this class's lock.
     */
    public static synchronized void listen(java.util.function.Consumer<String> listener) {
        LlamaLog.listener = listener;
    }

    private static java.util.function.Consumer<String> listener;

    private static void push(char tag, String line) {
        if (line.isBlank() || tag == 'D') {
            return;   // debug lines (kept only with --verbose, which prints them) would push out what callers look for
        }
        if (listener != null) {
            listener.accept(line.strip());
        }
        if (tag == 'W' && line.contains("converting K and V to f16")) {
            kvConversions.incrementAndGet();
        }
        if (recent.size() == KEEP) {
            recent.removeFirst();
        }
        recent.addLast(tag + " " + line.strip());
    }
}
