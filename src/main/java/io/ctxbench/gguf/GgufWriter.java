package io.ctxbench.gguf;

import io.ctxbench.CtxbenchException;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Streaming GGUF v3 writer. Declare all metadata and tensors first ({@link #put}, {@link #addTensor}); then
 * {@link #write} writes the header and streams the tensor data, chunk by chunk, from a {@link TensorFiller} on several
 * threads (positional writes). Output goes to a temporary file in the destination folder, which is checked (parsed back)
 * and atomically renamed onto the destination only on success; on any failure the temporary file is deleted, so the
 * destination is never left partial. Usable disk space is checked before anything is written.
 */
public final class GgufWriter {

    /** Supplies tensor bytes. Called concurrently from several threads, for distinct ranges. */
    @FunctionalInterface
    public interface TensorFiller {
        /**
         * Fill all of {@code dst} with bytes {@code [byteOffset, byteOffset + dst.byteSize())} of tensor number
         * {@code index} ({@code tensor}). Ranges start and end on block boundaries of the tensor's type.
         */
        void fill(int index, GgufTensorInfo tensor, long byteOffset, MemorySegment dst);
    }

    /** Size of the chunks handed to the filler and written in one positional write. */
    static final int CHUNK_BYTES = 8 << 20;
    /** Headroom demanded on top of the file size when checking free space. */
    static final long SPACE_MARGIN = 64L << 20;

    private final Map<String, GgufValue> kv = new LinkedHashMap<>();
    private final List<GgufTensorInfo> tensors = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private int alignment = GgufFile.DEFAULT_ALIGNMENT;
    private long dataSize; // padded size of the data section so far
    private boolean written;

    public GgufWriter() {
    }

    /** Sets general.alignment (power of two); must precede {@link #addTensor}. */
    public GgufWriter alignment(int a) {
        if (a <= 0 || (a & (a - 1)) != 0) {
            throw new IllegalArgumentException("alignment " + a + " is not a power of 2");
        }
        if (!tensors.isEmpty()) {
            throw new IllegalStateException("set the alignment before adding tensors");
        }
        alignment = a;
        if (a == GgufFile.DEFAULT_ALIGNMENT) {
            kv.remove(GgufFile.KEY_ALIGNMENT);
        } else {
            kv.put(GgufFile.KEY_ALIGNMENT, GgufValue.uint32(a));
        }
        return this;
    }

    public int alignment() {
        return alignment;
    }

    /** Adds or replaces a metadata entry (a replaced entry keeps its position). */
    public GgufWriter put(String key, GgufValue v) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("empty metadata key");
        }
        if (key.equals(GgufFile.KEY_ALIGNMENT)) {
            if (v.type() != GgufValueType.UINT32) {
                throw new IllegalArgumentException(GgufFile.KEY_ALIGNMENT + " must be UINT32");
            }
            return alignment((int) v.asLong());
        }
        kv.put(key, v);
        return this;
    }

    public GgufWriter putString(String key, String v) { return put(key, GgufValue.string(v)); }

    public GgufWriter putUint32(String key, long v) { return put(key, GgufValue.uint32(v)); }

    public GgufWriter putInt32(String key, int v) { return put(key, GgufValue.int32(v)); }

    public GgufWriter putFloat32(String key, float v) { return put(key, GgufValue.float32(v)); }

    public GgufWriter putBool(String key, boolean v) { return put(key, GgufValue.bool(v)); }

    public GgufWriter putArray(String key, GgufArray a) { return put(key, GgufValue.array(a)); }

    public Map<String, GgufValue> metadata() {
        return Collections.unmodifiableMap(kv);
    }

    /** Declares the next tensor; its data offset follows the previous one, aligned. */
    public GgufTensorInfo addTensor(String name, GgmlType type, long... dims) {
        if (name.getBytes(StandardCharsets.UTF_8).length >= GgufFile.MAX_NAME) {
            throw new IllegalArgumentException("tensor name longer than " + (GgufFile.MAX_NAME - 1) + " bytes: " + name);
        }
        if (dims.length < 1 || dims.length > GgufFile.MAX_DIMS) {
            throw new IllegalArgumentException("tensor " + name + " needs 1.." + GgufFile.MAX_DIMS + " dims, got " + dims.length);
        }
        for (long d : dims) {
            if (d < 1) {
                throw new IllegalArgumentException("tensor " + name + " has dimension " + d);
            }
        }
        if (!names.add(name)) {
            throw new IllegalArgumentException("duplicate tensor name " + name);
        }
        GgufTensorInfo t = new GgufTensorInfo(name, dims, type, dataSize);
        long nBytes;
        try {
            nBytes = t.nBytes();
        } catch (CtxbenchException e) {
            names.remove(name);
            throw new IllegalArgumentException("tensor " + name + ": " + e.getMessage(), e);
        }
        tensors.add(t);
        dataSize += GgufFile.align(nBytes, alignment);
        return t;
    }

    public List<GgufTensorInfo> tensors() {
        return Collections.unmodifiableList(tensors);
    }

    /** Bytes of header + metadata + tensor infos (unpadded). */
    public long headerBytes() {
        return header().length;
    }

    /** Exact size of the file {@link #write} will produce. */
    public long fileSize() {
        return fileSize(header().length);
    }

    private long fileSize(long headerLen) {
        return tensors.isEmpty() ? headerLen : GgufFile.align(headerLen, alignment) + dataSize;
    }

    /**
     * Writes the file: header first, then all tensor data using {@code threads} threads.
     *
     * @return the parsed-back result
     * @throws CtxbenchException on any failure (no file is left at {@code out} unless it existed before, untouched)
     */
    public GgufFile write(Path out, TensorFiller filler, int threads) {
        return write(out, filler, threads, t -> false);
    }

    /**
     * As {@link #write(Path, TensorFiller, int)}, but tensors for which {@code hole} is true are not written at all:
     * the file system leaves them as holes of a sparse file (reading back as zeros, taking no disk space). Used for
     * synthetic shapes larger than the disk ({@code ctxbench.sparse = true}).
     */
    public GgufFile write(Path out, TensorFiller filler, int threads, java.util.function.Predicate<GgufTensorInfo> hole) {
        if (written) {
            throw new IllegalStateException("already written");
        }
        written = true;
        Path abs = out.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new CtxbenchException("output folder does not exist: " + dir);
        }
        if (Files.isDirectory(abs)) {
            throw new CtxbenchException("output is a folder: " + abs);
        }
        if (!Files.isWritable(dir)) {
            throw new CtxbenchException("output folder is not writable: " + dir);
        }
        byte[] header = header();
        long total = fileSize(header.length);
        long dataStart = total - dataSize;
        try {
            long usable = Files.getFileStore(dir).getUsableSpace();
            long needed = total;
            for (GgufTensorInfo t : tensors) {
                if (hole.test(t)) {
                    needed -= t.nBytes();
                }
            }
            if (usable < needed + SPACE_MARGIN) {
                throw new CtxbenchException(String.format(
                        "not enough disk space in %s: need %.2f GiB (+%d MiB headroom) but only %.2f GiB usable",
                        dir, needed / GIB, SPACE_MARGIN >> 20, usable / GIB));
            }
        } catch (IOException e) {
            throw new CtxbenchException("cannot check free space in " + dir + ": " + e, e);
        }

        Path tmp = null;
        boolean ok = false;
        try {
            tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".partial");
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writeFully(ch, ByteBuffer.wrap(header), 0);
                writeData(ch, dataStart, filler, Math.max(1, threads), hole);
                // trailing padding of the last tensor (or holes): make the size exact (gaps read as zeros)
                if (ch.size() < total) {
                    writeFully(ch, ByteBuffer.allocate(1), total - 1);
                }
                if (ch.size() != total) {
                    throw new CtxbenchException("internal error: wrote " + ch.size() + " bytes, expected " + total);
                }
            }
            GgufFile check = GgufFile.open(tmp);
            if (check.tensors().size() != tensors.size() || check.fileSize() != total) {
                throw new CtxbenchException("internal error: written file does not parse back as declared");
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            ok = true;
            return GgufFile.open(abs);
        } catch (IOException e) {
            throw new CtxbenchException("cannot write " + abs + ": " + e, e);
        } finally {
            if (!ok && tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
    }

    private static final double GIB = 1024.0 * 1024 * 1024;

    private record Chunk(int tensor, long byteOffset, int length, long filePos) {}

    private void writeData(FileChannel ch, long dataStart, TensorFiller filler, int threads,
                           java.util.function.Predicate<GgufTensorInfo> hole) throws IOException {
        List<Chunk> chunks = new ArrayList<>();
        for (int i = 0; i < tensors.size(); i++) {
            GgufTensorInfo t = tensors.get(i);
            if (hole.test(t)) {
                continue;
            }
            long n = t.nBytes();
            int step = CHUNK_BYTES / t.type().typeSize() * t.type().typeSize();
            for (long off = 0; off < n; off += step) {
                chunks.add(new Chunk(i, off, (int) Math.min(step, n - off), dataStart + t.offset() + off));
            }
        }
        int nThreads = Math.min(threads, Math.max(1, chunks.size()));
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> error = new AtomicReference<>();
        Runnable work = () -> {
            ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            MemorySegment seg = MemorySegment.ofBuffer(buf);
            try {
                int c;
                while (error.get() == null && (c = next.getAndIncrement()) < chunks.size()) {
                    Chunk k = chunks.get(c);
                    filler.fill(k.tensor, tensors.get(k.tensor), k.byteOffset, seg.asSlice(0, k.length));
                    buf.clear().limit(k.length);
                    writeFully(ch, buf, k.filePos);
                }
            } catch (Throwable e) {
                error.compareAndSet(null, e);
            }
        };
        if (nThreads == 1) {
            work.run();
        } else {
            List<Thread> ts = new ArrayList<>();
            for (int i = 0; i < nThreads; i++) {
                ts.add(Thread.ofPlatform().name("gguf-writer-" + i).start(work));
            }
            try {
                for (Thread t : ts) {
                    t.join();
                }
            } catch (InterruptedException e) {
                error.compareAndSet(null, e);
                for (Thread t : ts) {
                    t.interrupt();
                }
                Thread.currentThread().interrupt();
            }
        }
        Throwable e = error.get();
        if (e != null) {
            if (e instanceof CtxbenchException g) throw g;
            if (e instanceof IOException io) throw io;
            throw new CtxbenchException("writing tensor data failed: " + e, e);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            pos += ch.write(b, pos);
        }
    }

    // ---------------------------------------------------------------- header serialization

    private byte[] header() {
        Out o = new Out();
        o.bytes(new byte[] {'G', 'G', 'U', 'F'});
        o.i32(3);
        o.i64(tensors.size());
        o.i64(kv.size());
        for (Map.Entry<String, GgufValue> e : kv.entrySet()) {
            o.str(e.getKey());
            o.i32(e.getValue().type().id());
            value(o, e.getValue());
        }
        for (GgufTensorInfo t : tensors) {
            o.str(t.name());
            long[] d = t.dims();
            o.i32(d.length);
            for (long x : d) {
                o.i64(x);
            }
            o.i32(t.type().id());
            o.i64(t.offset());
        }
        if (!tensors.isEmpty()) {
            o.pad(alignment);
        }
        return o.toArray();
    }

    private static void value(Out o, GgufValue v) {
        switch (v.type()) {
            case UINT8, INT8 -> o.u8((int) v.asLong());
            case UINT16, INT16 -> o.i16((short) v.asLong());
            case UINT32, INT32 -> o.i32((int) v.asLong());
            case UINT64, INT64 -> o.i64(v.asLong());
            case FLOAT32 -> o.i32(Float.floatToRawIntBits((Float) v.value()));
            case FLOAT64 -> o.i64(Double.doubleToRawLongBits((Double) v.value()));
            case BOOL -> o.u8(v.asBoolean() ? 1 : 0);
            case STRING -> o.str(v.asString());
            case ARRAY -> array(o, v.asArray());
        }
    }

    private static void array(Out o, GgufArray a) {
        o.i32(a.elementType().id());
        o.i64(a.length());
        switch (a.data()) {
            case byte[] x -> o.bytes(x);
            case short[] x -> { for (short s : x) o.i16(s); }
            case int[] x -> { for (int s : x) o.i32(s); }
            case long[] x -> { for (long s : x) o.i64(s); }
            case float[] x -> { for (float s : x) o.i32(Float.floatToRawIntBits(s)); }
            case double[] x -> { for (double s : x) o.i64(Double.doubleToRawLongBits(s)); }
            case boolean[] x -> { for (boolean s : x) o.u8(s ? 1 : 0); }
            case String[] x -> { for (String s : x) o.str(s); }
            case GgufArray[] x -> { for (GgufArray s : x) array(o, s); }
            default -> throw new IllegalStateException();
        }
    }

    /** Little-endian growable byte buffer. */
    private static final class Out {
        private byte[] b = new byte[1 << 16];
        private int n;

        private void ensure(int k) {
            if (n + k > b.length) {
                b = Arrays.copyOf(b, Math.max(b.length * 2, n + k));
            }
        }

        void u8(int v) { ensure(1); b[n++] = (byte) v; }

        void i16(short v) { ensure(2); b[n++] = (byte) v; b[n++] = (byte) (v >> 8); }

        void i32(int v) { ensure(4); for (int i = 0; i < 4; i++) b[n++] = (byte) (v >>> (8 * i)); }

        void i64(long v) { ensure(8); for (int i = 0; i < 8; i++) b[n++] = (byte) (v >>> (8 * i)); }

        void bytes(byte[] x) { ensure(x.length); System.arraycopy(x, 0, b, n, x.length); n += x.length; }

        void str(String s) { byte[] x = s.getBytes(StandardCharsets.UTF_8); i64(x.length); bytes(x); }

        void pad(int a) { int p = (int) (GgufFile.align(n, a) - n); ensure(p); n += p; }

        byte[] toArray() { return Arrays.copyOf(b, n); }
    }
}
