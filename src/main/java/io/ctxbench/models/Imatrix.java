package io.ctxbench.models;

import io.ctxbench.engine.GgmlTensor;
import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.LlamaLog;
import io.ctxbench.engine.ModelFiles;
import io.ctxbench.engine.NativeLibrary;
import io.ctxbench.gguf.GgmlType;
import io.ctxbench.gguf.GgufArray;
import io.ctxbench.gguf.GgufFile;
import io.ctxbench.gguf.GgufTensorInfo;
import io.ctxbench.gguf.GgufWriter;
import io.ctxbench.llama.ffi.ggml_backend_sched_eval_callback;
import io.ctxbench.llama.ffi.llama_batch;
import io.ctxbench.llama.ffi.llama_h;
import io.ctxbench.llama.ffi.llama_model_params;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * An importance matrix, computed as llama-imatrix computes it (tools/imatrix/imatrix.cpp of the pinned llama.cpp):
 * the calibration text is tokenized (with BOS, special tokens as text), cut into chunks of {@code ctxSize} tokens
 * (at least two chunks), and each chunk is evaluated on its own (KV cache cleared, first token replaced by BOS, every
 * position an output, so the last layer sees every token). The context's {@code cb_eval} callback asks for every
 * {@code MUL_MAT} whose weight is a {@code blk.*} tensor ({@code output.weight} too with processOutput) and whose input
 * has at least 16 F32 rows, and every {@code MUL_MAT_ID}; for each such weight it sums, per input column, the squares
 * of the input activations (float accumulation, as there) and counts the rows (per expert for MUL_MAT_ID).
 *
 * <p>Written in llama-imatrix's GGUF format ({@code general.type = imatrix}; per weight {@code NAME.in_sum2} F32
 * [columns, matrices] and {@code NAME.counts} F32 [1, matrices]; {@code imatrix.datasets}, {@code imatrix.chunk_count},
 * {@code imatrix.chunk_size}), which llama-quantize, llama-imatrix --in-file and {@code models quantize --imatrix} read.
 * The model runs on the CPU (no offload), so tensor data is host memory.
 */
public final class Imatrix {
    /** One weight's statistics: sums of squared inputs ({@code columns x counts.length}) and rows counted per matrix. */
    public record Entry(String weight, int columns, float[] sums, long[] counts) {
        public int matrices() {
            return counts.length;
        }
    }

    /**
     * How to compute. {@code ctxSize}: tokens per chunk (llama-imatrix -c, default 512); {@code chunks}: at most this
     * many (-1: all); {@code processOutput}: collect output.weight too; {@code threads <= 0}: all cores.
     */
    public record Options(int ctxSize, int chunks, boolean processOutput, boolean parseSpecial, int threads,
                          PrintStream progress) {
        public static Options defaults() {
            return new Options(512, -1, false, false, 0, null);
        }

        public Options withCtxSize(int n) {
            return new Options(n, chunks, processOutput, parseSpecial, threads, progress);
        }

        public Options withChunks(int n) {
            return new Options(ctxSize, n, processOutput, parseSpecial, threads, progress);
        }

        public Options withProcessOutput(boolean b) {
            return new Options(ctxSize, chunks, b, parseSpecial, threads, progress);
        }

        public Options withParseSpecial(boolean b) {
            return new Options(ctxSize, chunks, processOutput, b, threads, progress);
        }

        public Options withThreads(int n) {
            return new Options(ctxSize, chunks, processOutput, parseSpecial, n, progress);
        }

        public Options withProgress(PrintStream p) {
            return new Options(ctxSize, chunks, processOutput, parseSpecial, threads, p);
        }
    }

    /** How the built-in calibration text is named in files and manifests. */
    public static final String BUILTIN_TEXT_NAME = "ctxbench built-in calibration text (README.md + docs/compress.md)";

    /**
     * The built-in calibration text: this project's own English prose (README.md and docs/compress.md, frozen), so
     * it ships with the jar and shares nothing with the evaluated data sets.
     */
    public static String builtinText() {
        try (var in = Imatrix.class.getResourceAsStream("calibration.txt")) {
            if (in == null) {
                throw new IllegalStateException("io/ctxbench/models/calibration.txt is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot read the built-in calibration text", e);
        }
    }

    private final Map<String, Entry> entries;
    private final List<String> datasets;
    private final int chunkCount;
    private final int chunkSize;

    private Imatrix(Map<String, Entry> entries, List<String> datasets, int chunkCount, int chunkSize) {
        this.entries = entries;
        this.datasets = List.copyOf(datasets);
        this.chunkCount = chunkCount;
        this.chunkSize = chunkSize;
    }

    /** Entries by weight name, sorted (llama-imatrix's file order). */
    public Map<String, Entry> entries() {
        return entries;
    }

    public List<String> datasets() {
        return datasets;
    }

    public int chunkCount() {
        return chunkCount;
    }

    public int chunkSize() {
        return chunkSize;
    }

    /**
     * Computes the importance matrix of {@code model} over {@code text}; {@code dataset} names the text in the file
     * (llama-imatrix stores the -f path).
     */
    public static Imatrix compute(Path model, String text, String dataset, Options o) {
        if (o.ctxSize() < 16) {
            throw new CtxbenchException("--ctx-size must be at least 16 tokens (llama-imatrix skips inputs of fewer rows), got "
                    + o.ctxSize());
        }
        ModelFiles.checkGguf(model, false);
        NativeLibrary.ensureLoaded();
        Collector col = new Collector(o.processOutput());
        int nChunk;
        LlamaLog.clear();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mp = llama_h.llama_model_default_params(arena);
            llama_model_params.n_gpu_layers(mp, 0);
            MemorySegment m = llama_h.llama_model_load_from_file(arena.allocateFrom(model.toString()), mp);
            if (m.equals(MemorySegment.NULL)) {
                throw new CtxbenchException("llama.cpp could not load " + model + FfnCalibration.hint());
            }
            MemorySegment ctx = MemorySegment.NULL;
            try {
                MemorySegment vocab = llama_h.llama_model_get_vocab(m);
                int[] tokens = tokenize(vocab, text, o.parseSpecial(), arena);
                int n = o.ctxSize();
                if (tokens.length < 2 * n) {
                    throw new CtxbenchException("the calibration text tokenizes to only " + tokens.length + " tokens; llama-imatrix"
                            + " needs at least 2 x --ctx-size = " + 2 * n + ": give more text or a smaller --ctx-size");
                }
                nChunk = tokens.length / n;
                if (o.chunks() >= 0) {
                    nChunk = Math.min(nChunk, o.chunks());
                }
                if (nChunk < 1) {
                    throw new CtxbenchException("--chunks must be at least 1");
                }
                MemorySegment cb = ggml_backend_sched_eval_callback.allocate(col::callback, arena);
                // n_ubatch: llama-imatrix's default -ub
                ctx = FfnCalibration.observedContext(m, n, n, Math.min(n, 512), o.threads(), cb, arena,
                        "a context of " + n + " tokens");
                boolean addBos = llama_h.llama_vocab_get_add_bos(vocab);
                int bos = llama_h.llama_vocab_bos(vocab);
                MemorySegment batch = llama_batch.allocate(arena);
                MemorySegment tok = arena.allocate(ValueLayout.JAVA_INT, n);
                MemorySegment pos = arena.allocate(ValueLayout.JAVA_INT, n);
                MemorySegment nSeq = arena.allocate(ValueLayout.JAVA_INT, n);
                MemorySegment seqIds = arena.allocate(ValueLayout.ADDRESS, n);
                MemorySegment seq0 = arena.allocate(ValueLayout.JAVA_INT);
                MemorySegment outputs = arena.allocate(ValueLayout.JAVA_BYTE, n);
                for (int k = 0; k < n; k++) {
                    pos.setAtIndex(ValueLayout.JAVA_INT, k, k);
                    nSeq.setAtIndex(ValueLayout.JAVA_INT, k, 1);
                    seqIds.setAtIndex(ValueLayout.ADDRESS, k, seq0);
                    outputs.set(ValueLayout.JAVA_BYTE, k, (byte) 1);   // every position: the last layer sees every token
                }
                llama_batch.token(batch, tok);
                llama_batch.pos(batch, pos);
                llama_batch.n_seq_id(batch, nSeq);
                llama_batch.seq_id(batch, seqIds);
                llama_batch.logits(batch, outputs);
                llama_batch.n_tokens(batch, n);
                long t0 = System.nanoTime();
                for (int c = 0; c < nChunk; c++) {
                    llama_h.llama_memory_clear(llama_h.llama_get_memory(ctx), true);
                    MemorySegment.copy(tokens, c * n, tok, ValueLayout.JAVA_INT, 0, n);
                    if (addBos) {
                        tok.setAtIndex(ValueLayout.JAVA_INT, 0, bos);
                    }
                    int rc = llama_h.llama_decode(ctx, batch);
                    if (rc != 0) {
                        throw new CtxbenchException("llama_decode failed (" + rc + ") on chunk " + (c + 1) + FfnCalibration.hint());
                    }
                    llama_h.llama_synchronize(ctx);
                    if (col.error != null) {
                        throw new CtxbenchException("importance matrix: " + col.error);
                    }
                    if (o.progress() != null) {
                        double s = (System.nanoTime() - t0) / 1e9;
                        o.progress().printf(Locale.ROOT, "\rimatrix: chunk %d/%d (%d tokens each), %.1f s, ETA %.0f s", c + 1,
                                nChunk, n, s, s / (c + 1) * (nChunk - c - 1));
                        o.progress().flush();
                    }
                }
                if (o.progress() != null) {
                    o.progress().println();
                }
            } finally {
                if (!ctx.equals(MemorySegment.NULL)) {
                    llama_h.llama_free(ctx);
                }
                llama_h.llama_model_free(m);
            }
        }
        if (col.stats.isEmpty()) {
            throw new CtxbenchException("the calibration saw no matrix multiplication by a blk.* weight: nothing to write");
        }
        Map<String, Entry> out = new TreeMap<>();
        col.stats.forEach((k, s) -> out.put(k, new Entry(k, s.columns, s.values, s.counts)));
        return new Imatrix(out, List.of(dataset), nChunk, o.ctxSize());
    }

    /** The calibration text's tokens (BOS added as the vocabulary says), for the imatrix and FfnCalibration. */
    static int[] tokenize(MemorySegment vocab, String text, boolean parseSpecial, Arena arena) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        MemorySegment t = arena.allocate(utf8.length + 1L);
        MemorySegment.copy(utf8, 0, t, ValueLayout.JAVA_BYTE, 0, utf8.length);
        int cap = utf8.length + 16;
        MemorySegment toks = arena.allocate(ValueLayout.JAVA_INT, cap);
        int n = llama_h.llama_tokenize(vocab, t, utf8.length, toks, cap, true, parseSpecial);
        if (n < 0) {
            throw new CtxbenchException("could not tokenize the calibration text");
        }
        return toks.asSlice(0, 4L * n).toArray(ValueLayout.JAVA_INT);
    }

    /** One weight's running sums, as llama-imatrix's {@code Stats}. */
    private static final class Stats {
        final int columns;
        final float[] values;
        final long[] counts;

        Stats(int columns, int matrices) {
            this.columns = columns;
            this.values = new float[columns * matrices];
            this.counts = new long[matrices];
        }
    }

    /** The cb_eval callback: llama-imatrix's {@code IMatrixCollector::collect_imatrix}. */
    private static final class Collector {
        final boolean processOutput;
        final Map<String, Stats> stats = new TreeMap<>();
        String error;

        Collector(boolean processOutput) {
            this.processOutput = processOutput;
        }

        boolean callback(MemorySegment tensor, boolean ask, MemorySegment userData) {
            try {
                GgmlTensor t = new GgmlTensor(tensor);
                int op = t.op();
                if (op != GgmlTensor.OP_MUL_MAT && op != GgmlTensor.OP_MUL_MAT_ID) {
                    return !ask;
                }
                GgmlTensor src0 = t.src(0);
                GgmlTensor src1 = t.src(1);
                String wname = weightName(src0.name());
                if (ask) {
                    if (op == GgmlTensor.OP_MUL_MAT_ID) {
                        return true;
                    }
                    if (src1.ne(1) < 16 || src1.type() != GgmlTensor.TYPE_F32) {
                        return false;
                    }
                    return wname.startsWith("blk.") || (processOutput && wname.equals("output.weight"));
                }
                if (error == null) {
                    if (src1.nb(0) != 4) {
                        error = "input of " + wname + " is not contiguous F32 rows";
                    } else if (op == GgmlTensor.OP_MUL_MAT_ID) {
                        collectMulMatId(wname, t, src0, src1);
                    } else {
                        collectMulMat(wname, src0, src1);
                    }
                }
            } catch (RuntimeException e) {
                error = e.toString();
            }
            return true;
        }

        private void collectMulMatId(String wname, GgmlTensor t, GgmlTensor src0, GgmlTensor src1) {
            GgmlTensor ids = t.src(2);
            int nAs = (int) src0.ne(2);
            long nIds = ids.ne(0);
            long ne0 = src1.ne(0);
            long nTokens = src1.ne(2);
            if (ids.ne(1) != nTokens || src1.nrows() != src1.ne(1) * src1.ne(2)) {
                error = "unexpected MUL_MAT_ID shapes for " + wname;
                return;
            }
            Stats e = stats(wname, (int) ne0, nAs);
            if (e == null) {
                return;
            }
            MemorySegment idData = ids.data();
            MemorySegment x = src1.data();
            boolean[] touched = new boolean[nAs];
            for (long idx = 0; idx < nIds; idx++) {
                for (long row = 0; row < nTokens; row++) {
                    int ex = idData.get(ValueLayout.JAVA_INT, row * ids.nb(1) + idx * ids.nb(0));
                    if (ex < 0 || ex >= nAs) {
                        error = "expert id " + ex + " out of range for " + wname;
                        return;
                    }
                    long i11 = idx % src1.ne(1);
                    accumulate(e.values, ex * ne0, x, i11 * src1.nb(1) + row * src1.nb(2), ne0);
                    e.counts[ex]++;
                    touched[ex] = true;
                }
            }
            for (int ex = 0; ex < nAs; ex++) {
                if (touched[ex] && !finite(e.values, ex * ne0, ne0)) {
                    error = "non-finite values in " + wname;
                }
            }
        }

        private void collectMulMat(String wname, GgmlTensor src0, GgmlTensor src1) {
            long nMat = src0.ne(2) * src0.ne(3);
            long ne0 = src1.ne(0);
            Stats e = stats(wname, (int) ne0, (int) nMat);
            if (e == null) {
                return;
            }
            MemorySegment x = src1.data();
            for (long i3 = 0; i3 < src1.ne(3); i3++) {
                for (long i2 = 0; i2 < src1.ne(2); i2++) {
                    long mat = (i3 % src0.ne(3)) * src0.ne(2) + (i2 % src0.ne(2));
                    for (long row = 0; row < src1.ne(1); row++) {
                        accumulate(e.values, mat * ne0, x, row * src1.nb(1) + i2 * src1.nb(2) + i3 * src1.nb(3), ne0);
                    }
                }
            }
            if (!finite(e.values, 0, e.values.length)) {
                error = "non-finite values in " + wname;
            }
            for (int i = 0; i < e.counts.length; i++) {
                e.counts[i] += src1.nrows() / nMat;
            }
        }

        /** The weight's stats, created on first use; null (and an error) when a later call disagrees on the shape. */
        private Stats stats(String wname, int columns, int matrices) {
            Stats e = stats.computeIfAbsent(wname, k -> new Stats(columns, matrices));
            if (e.columns != columns || e.counts.length != matrices) {
                error = "inconsistent size for " + wname + " (" + e.columns + " x " + e.counts.length + " vs " + columns
                        + " x " + matrices + ")";
                return null;
            }
            return e;
        }

        private static void accumulate(float[] acc, long at, MemorySegment x, long offset, long n) {
            int a = (int) at;
            for (int j = 0; j < n; j++) {
                float v = x.get(ValueLayout.JAVA_FLOAT, offset + 4L * j);
                acc[a + j] += v * v;
            }
        }

        private static boolean finite(float[] v, long from, long n) {
            for (long i = from; i < from + n; i++) {
                if (!Float.isFinite(v[(int) i])) {
                    return false;
                }
            }
            return true;
        }
    }

    /** llama-imatrix's {@code filter_tensor_name}: {@code CUDA0#blk.0.attn_k.weight#0} is {@code blk.0.attn_k.weight}. */
    static String weightName(String name) {
        int p = name.indexOf('#');
        if (p < 0) {
            return name;
        }
        int q = name.indexOf('#', p + 1);
        return q < 0 ? name.substring(p + 1) : name.substring(p + 1, q);
    }

    /** Writes the GGUF importance matrix (llama-imatrix's format) through a temporary file renamed onto {@code out}. */
    public void write(Path out) {
        GgufWriter w = new GgufWriter();
        w.putString("general.type", "imatrix");
        w.putArray("imatrix.datasets", GgufArray.ofStrings(datasets.toArray(String[]::new)));
        w.putUint32("imatrix.chunk_count", chunkCount);
        w.putUint32("imatrix.chunk_size", chunkSize);
        List<float[]> data = new ArrayList<>();
        for (Entry e : entries.values()) {
            w.addTensor(e.weight() + ".in_sum2", GgmlType.F32, e.columns(), e.matrices());
            data.add(e.sums());
            w.addTensor(e.weight() + ".counts", GgmlType.F32, 1, e.matrices());
            float[] c = new float[e.matrices()];
            for (int i = 0; i < c.length; i++) {
                c[i] = e.counts()[i];
            }
            data.add(c);
        }
        ValueLayout.OfFloat le = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        w.write(out, (index, tensor, byteOffset, dst) -> {
            float[] src = data.get(index);
            for (long i = 0; i < dst.byteSize() / 4; i++) {
                dst.setAtIndex(le, i, src[(int) (byteOffset / 4 + i)]);
            }
        }, 1);
    }

    /**
     * Reads a GGUF importance matrix (llama-imatrix's or {@link #write}'s): tensors {@code NAME.in_sum2} and
     * {@code NAME.counts}, F32.
     */
    public static Imatrix read(Path file) {
        GgufFile.requireRegularFile(file, "importance matrix file");
        GgufFile f;
        try {
            f = GgufFile.open(file);
        } catch (CtxbenchException e) {
            throw new CtxbenchException("bad importance matrix GGUF: " + e.getMessage(), e);
        }
        Map<String, GgufTensorInfo> sums = new TreeMap<>();
        Map<String, GgufTensorInfo> counts = new TreeMap<>();
        for (GgufTensorInfo t : f.tensors()) {
            if (t.name().endsWith(".in_sum2")) {
                sums.put(t.name().substring(0, t.name().length() - 8), t);
            } else if (t.name().endsWith(".counts")) {
                counts.put(t.name().substring(0, t.name().length() - 7), t);
            }
        }
        if (sums.isEmpty()) {
            throw new CtxbenchException(file + " holds no .in_sum2 tensors: not a GGUF importance matrix (the legacy"
                    + " .dat format is not read; convert it with llama-imatrix --in-file FILE.dat -o FILE.gguf)");
        }
        ValueLayout.OfFloat le = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        Map<String, Entry> entries = new TreeMap<>();
        try (Arena map = Arena.ofConfined()) {
            for (Map.Entry<String, GgufTensorInfo> se : sums.entrySet()) {
                String n = se.getKey();
                GgufTensorInfo s = se.getValue();
                GgufTensorInfo c = counts.get(n);
                if (c == null || s.type() != GgmlType.F32 || c.type() != GgmlType.F32) {
                    throw new CtxbenchException(file + ": " + n + " needs F32 .in_sum2 and .counts tensors");
                }
                long nval = s.nElements();
                long ncounts = c.nElements();
                if (ncounts == 0 || nval % ncounts != 0 || nval / ncounts > Integer.MAX_VALUE || nval > Integer.MAX_VALUE) {
                    throw new CtxbenchException(file + ": " + n + " has " + nval + " sums for " + ncounts + " counts");
                }
                MemorySegment sm = f.mapTensor(s, map);
                MemorySegment cm = f.mapTensor(c, map);
                float[] sv = new float[(int) nval];
                for (int i = 0; i < sv.length; i++) {
                    sv[i] = sm.getAtIndex(le, i);
                }
                long[] cv = new long[(int) ncounts];
                for (int i = 0; i < cv.length; i++) {
                    cv[i] = Math.round(cm.getAtIndex(le, i));
                }
                entries.put(n, new Entry(n, (int) (nval / ncounts), sv, cv));
            }
        }
        List<String> ds = f.has("imatrix.datasets") ? List.of(f.getStringArray("imatrix.datasets")) : List.of();
        return new Imatrix(entries, ds, (int) f.getLong("imatrix.chunk_count", 0), (int) f.getLong("imatrix.chunk_size", 0));
    }
}
