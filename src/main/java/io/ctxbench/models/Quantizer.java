package io.ctxbench.models;

import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.LlamaLog;
import io.ctxbench.engine.NativeLibrary;
import io.ctxbench.engine.Threads;
import io.ctxbench.gguf.GgmlType;
import io.ctxbench.gguf.GgufFile;
import io.ctxbench.gguf.GgufTensorInfo;
import io.ctxbench.gguf.LoadChecks;
import io.ctxbench.llama.ffi.llama_h;
import io.ctxbench.llama.ffi.llama_model_imatrix_data;
import io.ctxbench.llama.ffi.llama_model_quantize_params;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Quantizes a GGUF through {@code llama_model_quantize} over FFM (the same code path as the {@code llama-quantize}
 * tool, so the result has the same tensor types and sizes). The input is validated with {@link GgufFile} first;
 * the output is written to a temporary file beside the destination, validated, and renamed atomically onto it, so a
 * failure never leaves a partial file. Progress is derived from llama.cpp's per-tensor log lines
 * ({@code [ 12/ 272] blk.0.attn_q.weight ...}).
 */
public final class Quantizer {

    /** What to do. {@code threads <= 0}: all cores. {@code imatrix}: a GGUF importance matrix (llama-imatrix output) or null. */
    public record Options(QuantType type, boolean allowRequantize, Path imatrix, int threads, boolean pure,
                          boolean overwrite, PrintStream progress) {
        public static Options of(QuantType type) {
            return new Options(type, false, null, 0, false, false, null);
        }

        public Options withAllowRequantize(boolean b) {
            return new Options(type, b, imatrix, threads, pure, overwrite, progress);
        }

        public Options withImatrix(Path p) {
            return new Options(type, allowRequantize, p, threads, pure, overwrite, progress);
        }

        public Options withThreads(int n) {
            return new Options(type, allowRequantize, imatrix, n, pure, overwrite, progress);
        }

        public Options withPure(boolean b) {
            return new Options(type, allowRequantize, imatrix, threads, b, overwrite, progress);
        }

        public Options withOverwrite(boolean b) {
            return new Options(type, allowRequantize, imatrix, threads, pure, b, progress);
        }

        /** Where to print a progress line ({@code \r}-updated), or null for none. */
        public Options withProgress(PrintStream p) {
            return new Options(type, allowRequantize, imatrix, threads, pure, overwrite, p);
        }
    }

    /** What was written. {@code bitsPerWeight} = 8 x tensor bytes / parameters (as llama-quantize's "BPW"). */
    public record Result(Path output, long fileBytes, long tensorBytes, long parameters, double bitsPerWeight,
                         Map<GgmlType, Long> bytesByType, long inputBytes, Duration elapsed) {
    }

    private Quantizer() {
    }

    private static final Pattern PROGRESS = Pattern.compile("^I \\[\\s*(\\d+)/\\s*(\\d+)]\\s+(\\S+)");

    public static Result quantize(Path input, Path output, Options o) {
        GgufFile in = open(input, "input");
        try {
            LoadChecks.requireModel(in);   // llama_model_quantize reads the hyperparameters as a load does
        } catch (CtxbenchException e) {
            throw new CtxbenchException("bad input GGUF: " + e.getMessage(), e);
        }
        Path out = output.toAbsolutePath();
        checkOutput(input, out, o.overwrite());
        if (!o.allowRequantize() && o.type() != QuantType.COPY) {
            for (GgufTensorInfo t : in.tensors()) {
                if (t.type().isQuantized()) {
                    throw new CtxbenchException(input + " is already quantized (" + t.name() + " is " + t.type()
                            + "): requantizing loses quality; allow it with --allow-requantize (or start from an"
                            + " F16/BF16/F32 file)");
                }
            }
        }
        if (o.type().needsImatrix() && o.imatrix() == null) {
            throw new CtxbenchException(o.type() + " needs an importance matrix: pass --imatrix FILE (make one with"
                    + " `ctxbench models imatrix -m " + input.getFileName() + " -f CALIBRATION.txt --out imatrix.gguf`)");
        }
        NativeLibrary.ensureLoaded();
        long t0 = System.nanoTime();
        removeStalePartials(out);
        Path tmp = null;
        boolean ok = false;
        Thread onExit = null;
        try (Arena arena = Arena.ofConfined()) {
            tmp = Files.createTempFile(out.getParent(), "." + out.getFileName() + PARTIAL_TAG + ProcessHandle.current().pid() + "-",
                    ".partial");
            // SIGTERM / Ctrl-C: the JVM runs this while llama.cpp may still be writing (the unlinked file goes with it)
            Path partial = tmp;
            onExit = new Thread(() -> deleteQuietly(partial), "quantize-partial-cleanup");
            Runtime.getRuntime().addShutdownHook(onExit);
            MemorySegment p = llama_h.llama_model_quantize_default_params(arena);
            llama_model_quantize_params.ftype(p, o.type().ftype);
            llama_model_quantize_params.nthread(p, Threads.resolve(o.threads()));
            llama_model_quantize_params.allow_requantize(p, o.allowRequantize());
            llama_model_quantize_params.pure(p, o.pure());
            llama_model_quantize_params.only_copy(p, o.type() == QuantType.COPY);
            if (o.imatrix() != null) {
                llama_model_quantize_params.imatrix(p, imatrix(o.imatrix(), arena));
            }
            LlamaLog.clear();
            Progress prog = o.progress() == null ? null : new Progress(o.progress(), in.tensors().size());
            int rc;
            try {
                rc = llama_h.llama_model_quantize(arena.allocateFrom(input.toString()), arena.allocateFrom(tmp.toString()), p);
            } finally {
                if (prog != null) {
                    prog.stop();
                }
            }
            if (rc != 0) {
                List<String> errs = LlamaLog.recentErrors();
                throw new CtxbenchException("llama.cpp could not quantize " + input + " to " + o.type()
                        + (errs.isEmpty() ? "" : ": " + String.join(" | ", errs.subList(Math.max(0, errs.size() - 3), errs.size()))));
            }
            GgufFile check;
            try {
                check = GgufFile.open(tmp);
            } catch (CtxbenchException e) {
                throw new CtxbenchException("llama.cpp wrote an invalid file: " + e.getMessage(), e);
            }
            try {
                // llama.cpp leaves createTempFile's 0600; outputs are rw-r--r-- as GgufWriter's (prune, synth) are
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system
            }
            try {
                Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING);
            }
            ok = true;
            long params = check.parameterCount();
            long bytes = check.totalTensorBytes();
            return new Result(out, check.fileSize(), bytes, params, bytes * 8.0 / params,
                    new LinkedHashMap<>(check.tensorBytesByType()), in.fileSize(), Duration.ofNanos(System.nanoTime() - t0));
        } catch (IOException e) {
            throw new CtxbenchException("cannot write " + out + ": " + e.getMessage(), e);
        } finally {
            if (!ok && tmp != null) {
                deleteQuietly(tmp);
            }
            if (onExit != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(onExit);
                } catch (IllegalStateException shuttingDown) {
                    // the hook runs anyway; after a rename it finds nothing to delete
                }
            }
        }
    }

    /**
     * The type llama.cpp's quantizer gives each tensor of {@code input} for file type {@code type}, from a dry run
     * ({@code llama_model_quantize_params.dry_run}: the tensors' types are chosen as for a real run, no weight is
     * read and nothing is written, so a sparse F16 stand-in of a shape does), parsed from its per-tensor log lines
     * ({@code [ 12/ 291] blk.0.attn_v.weight - [4096, 1024, 1, 1], type = f16, size = 8.00 MiB -> 2.12 MiB (q4_K)};
     * a tensor kept as it is ends at its size). Planned as with an importance matrix (an empty one: llama.cpp then
     * picks the types it picks when given one, and the types that need one are allowed), since this project makes
     * every low-bit file with one. {@link io.ctxbench.gguf.SyntheticModel.Mixture} writes such a plan directly.
     */
    public static Map<String, GgmlType> plan(Path input, QuantType type) {
        GgufFile in = open(input, "input");
        try {
            LoadChecks.requireModel(in);
        } catch (CtxbenchException e) {
            throw new CtxbenchException("bad input GGUF: " + e.getMessage(), e);
        }
        if (type == QuantType.COPY) {
            throw new CtxbenchException("COPY is no file type to plan");
        }
        NativeLibrary.ensureLoaded();
        Map<String, GgmlType> types = new LinkedHashMap<>();
        List<String> unparsed = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = llama_h.llama_model_quantize_default_params(arena);
            llama_model_quantize_params.ftype(p, type.ftype);
            llama_model_quantize_params.nthread(p, 1);
            llama_model_quantize_params.allow_requantize(p, true);
            llama_model_quantize_params.dry_run(p, true);
            llama_model_quantize_params.imatrix(p, arena.allocate(llama_model_imatrix_data.layout()));   // {NULL}: empty
            LlamaLog.clear();
            LlamaLog.listen(line -> {
                if (line.startsWith("[")) {
                    Matcher m = PLAN_LINE.matcher(line);
                    if (m.matches()) {
                        types.put(m.group(1), ggmlType(m.group(3) != null ? m.group(3) : m.group(2)));
                    } else {
                        unparsed.add(line);
                    }
                }
            });
            int rc;
            try {
                rc = llama_h.llama_model_quantize(arena.allocateFrom(input.toString()), arena.allocateFrom(""), p);
            } finally {
                LlamaLog.listen(null);
            }
            if (rc != 0) {
                List<String> errs = LlamaLog.recentErrors();
                throw new CtxbenchException("llama.cpp could not plan " + type + " for " + input
                        + (errs.isEmpty() ? "" : ": " + String.join(" | ", errs.subList(Math.max(0, errs.size() - 3), errs.size()))));
            }
        }
        if (types.size() != in.tensors().size()) {
            throw new CtxbenchException("the dry run of " + type + " listed " + types.size() + " of " + in.tensors().size()
                    + " tensors" + (unparsed.isEmpty() ? "" : " (unread line: " + unparsed.getFirst() + ")"));
        }
        return types;
    }

    private static final Pattern PLAN_LINE = Pattern.compile(
            "^\\[\\s*\\d+/\\s*\\d+]\\s+(\\S+)\\s+-\\s+\\[.*], type =\\s+(\\S+), size =.*?(?:\\((\\S+)\\))?\\s*$");

    private static GgmlType ggmlType(String name) {
        try {
            return GgmlType.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CtxbenchException("llama.cpp planned type '" + name + "', unknown here");
        }
    }

    /**
     * Partial outputs are named {@code .NAME.quantize-PID-N.partial}: the pid tells a later run whether the writer is
     * gone. kill -9, and llama.cpp's abort (which halts the JVM: no finally, no shutdown hook), leave one behind.
     */
    private static final String PARTIAL_TAG = ".quantize-";

    /** Deletes partial outputs for {@code out} left by processes that are gone; those of live writers stay. */
    static void removeStalePartials(Path out) {
        String prefix = "." + out.getFileName() + PARTIAL_TAG;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(out.getParent(),
                p -> p.getFileName().toString().startsWith(prefix) && p.getFileName().toString().endsWith(".partial"))) {
            for (Path p : ds) {
                String rest = p.getFileName().toString().substring(prefix.length());
                int dash = rest.indexOf('-');
                long pid;
                try {
                    pid = Long.parseLong(dash < 0 ? "" : rest.substring(0, dash));
                } catch (NumberFormatException notOurs) {
                    continue;
                }
                if (!mayBeWriting(pid, Files.getLastModifiedTime(p).toInstant())) {
                    deleteQuietly(p);
                }
            }
        } catch (IOException ignored) {
            // best effort: a stale partial only costs disk space
        }
    }

    /**
     * Whether process {@code pid} may still be writing a file last modified at {@code written}: it is alive and started
     * before (a process started later got a reused pid). Start times are read with one-second precision: 1 s slack.
     */
    private static boolean mayBeWriting(long pid, Instant written) {
        Optional<ProcessHandle> h = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
        if (h.isEmpty()) {
            return false;
        }
        Optional<Instant> start = h.get().info().startInstant();
        return start.isEmpty() || !start.get().isAfter(written.plusSeconds(1));
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // best effort
        }
    }

    /** Opens and validates a GGUF, turning format errors into a user-facing message. */
    static GgufFile open(Path p, String role) {
        GgufFile.requireRegularFile(p, role + " file");
        try {
            return GgufFile.open(p);
        } catch (CtxbenchException e) {
            throw new CtxbenchException("bad " + role + " GGUF: " + e.getMessage(), e);
        }
    }

    static void checkOutput(Path input, Path out, boolean overwrite) {
        Path dir = out.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new CtxbenchException("output folder does not exist: " + dir);
        }
        if (!Files.isWritable(dir)) {
            throw new CtxbenchException("output folder is not writable: " + dir);
        }
        if (Files.isDirectory(out)) {
            throw new CtxbenchException("output " + out + " is a folder; give a file name");
        }
        try {
            if (Files.exists(out) && Files.isSameFile(input, out)) {
                throw new CtxbenchException("output " + out + " is the input file");
            }
        } catch (IOException e) {
            throw new CtxbenchException("cannot check " + out + ": " + e.getMessage(), e);
        }
        if (Files.exists(out) && !overwrite) {
            throw new CtxbenchException("output " + out + " exists; use --force to overwrite it");
        }
    }

    /**
     * The importance matrix of {@code file} ({@link Imatrix#read}) as the null-terminated {@code llama_model_imatrix_data}
     * array llama_model_quantize takes, normalised per matrix by the counts exactly as llama-quantize's loader does
     * (sum / count; 1 where a matrix saw no rows).
     */
    static MemorySegment imatrix(Path file, Arena arena) {
        List<Imatrix.Entry> entries = List.copyOf(Imatrix.read(file).entries().values());
        MemorySegment arr = arena.allocate(llama_model_imatrix_data.layout(), entries.size() + 1L);
        long stride = llama_model_imatrix_data.layout().byteSize();
        for (int i = 0; i < entries.size(); i++) {
            Imatrix.Entry en = entries.get(i);
            MemorySegment data = arena.allocate(ValueLayout.JAVA_FLOAT, en.sums().length);
            int ne0 = en.columns();
            for (int j = 0; j < en.matrices(); j++) {
                float cnt = en.counts()[j];
                for (int k = 0; k < ne0; k++) {
                    int idx = j * ne0 + k;
                    data.setAtIndex(ValueLayout.JAVA_FLOAT, idx, cnt > 0 ? en.sums()[idx] / cnt : 1f);
                }
            }
            MemorySegment e = arr.asSlice(i * stride, stride);
            llama_model_imatrix_data.name(e, arena.allocateFrom(en.weight()));
            llama_model_imatrix_data.data(e, data);
            llama_model_imatrix_data.size(e, en.sums().length);
        }
        // the last element stays zeroed: name == NULL ends the list
        return arr;
    }

    /** Polls llama.cpp's log ring for the per-tensor lines and redraws one progress line. */
    private static final class Progress {
        private final PrintStream out;
        private final Thread thread;
        private volatile boolean running = true;
        private final long start = System.nanoTime();

        Progress(PrintStream out, int nTensors) {
            this.out = out;
            this.thread = Thread.ofPlatform().daemon().name("quantize-progress").start(() -> {
                String last = "";
                while (running) {
                    String line = render(nTensors);
                    if (!line.equals(last)) {
                        out.print("\r" + line);
                        out.flush();
                        last = line;
                    }
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }

        private String render(int nTensors) {
            List<String> lines = LlamaLog.recentLines();
            for (int i = lines.size() - 1; i >= 0; i--) {
                Matcher m = PROGRESS.matcher(lines.get(i));
                if (m.find()) {
                    int n = Integer.parseInt(m.group(1));
                    int total = Integer.parseInt(m.group(2));
                    return bar(n, total) + " " + m.group(3);
                }
            }
            return bar(0, nTensors);
        }

        private String bar(int n, int total) {
            int width = 30;
            int filled = total == 0 ? 0 : (int) ((long) n * width / total);
            double s = (System.nanoTime() - start) / 1e9;
            return String.format(Locale.ROOT, "quantizing [%s%s] %4d/%d tensors %5.1f s", "#".repeat(filled),
                    " ".repeat(width - filled), n, total, s);
        }

        void stop() {
            running = false;
            thread.interrupt();
            try {
                thread.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            out.print("\r" + render(0) + "\n");
            out.flush();
        }
    }
}
