package io.ctxbench.gguf;

import io.ctxbench.CtxbenchException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A parsed and validated GGUF file (versions 2 and 3, little-endian), following {@code ggml/src/gguf.cpp} of the
 * pinned llama.cpp. {@link #open(Path)} reads the header, all metadata and all tensor infos, and checks that every
 * tensor has a known type, lies where llama.cpp expects it (contiguous, aligned) and ends inside the file. Tensor data
 * is never read into the heap; {@link #mapTensor} maps one tensor's bytes on demand. The object holds no open file.
 */
public final class GgufFile {

    /** "GGUF" as a little-endian u32. */
    public static final int MAGIC = 0x46554747;
    public static final int DEFAULT_ALIGNMENT = 32;
    public static final String KEY_ALIGNMENT = "general.alignment";
    public static final String KEY_ARCHITECTURE = "general.architecture";
    /** GGML_MAX_DIMS. */
    public static final int MAX_DIMS = 4;
    /** GGML_MAX_NAME: tensor names must be shorter. */
    public static final int MAX_NAME = 64;
    /** Deepest nesting of arrays accepted (llama.cpp itself accepts none). */
    static final int MAX_ARRAY_DEPTH = 4;

    private final Path path;
    private final int version;
    private final long fileSize;
    private final Map<String, GgufValue> metadata;
    private final List<GgufTensorInfo> tensors;
    private final Map<String, GgufTensorInfo> tensorsByName;
    private final int alignment;
    private final long dataOffset;
    private final Map<String, Integer> invalidUtf8;

    private GgufFile(Path path, int version, long fileSize, Map<String, GgufValue> metadata,
                     List<GgufTensorInfo> tensors, int alignment, long dataOffset, Map<String, Integer> invalidUtf8) {
        this.path = path;
        this.version = version;
        this.fileSize = fileSize;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.tensors = List.copyOf(tensors);
        Map<String, GgufTensorInfo> byName = new HashMap<>();
        for (GgufTensorInfo t : tensors) {
            byName.put(t.name(), t);
        }
        this.tensorsByName = Collections.unmodifiableMap(byName);
        this.alignment = alignment;
        this.dataOffset = dataOffset;
        this.invalidUtf8 = Map.copyOf(invalidUtf8);
    }

    /** Parses and validates {@code path}. @throws CtxbenchException on any problem, including I/O errors. */
    public static GgufFile open(Path path) {
        requireRegularFile(path, "file");
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return new Parser(path, ch).parse();
        } catch (IOException e) {
            throw new CtxbenchException("cannot read " + path + ": " + e, e);
        }
    }

    /**
     * Refuses a path that is missing or not a readable regular file, saying what it is, before anything opens it: opening a
     * named pipe blocks until a writer comes, and a directory or a device is never a GGUF file. {@code what} names
     * the file in the message ("model file", "input file").
     */
    public static void requireRegularFile(Path path, String what) {
        String kind;
        try {
            kind = kind(path);
        } catch (NoSuchFileException e) {
            throw new CtxbenchException(what + " not found: " + path, e);
        } catch (IOException e) {
            throw new CtxbenchException("cannot read " + what + " " + path + ": " + e, e);
        }
        if (kind != null) {
            throw new CtxbenchException(what + " " + path + " is " + kind + ", not a GGUF file");
        }
        if (!Files.isReadable(path)) {
            throw new CtxbenchException(what + " " + path + " is not readable");
        }
    }

    /** What a path that is not a regular file is ("a named pipe", ...), or null for a regular file (links followed). */
    private static String kind(Path path) throws IOException {
        BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class);
        if (a.isRegularFile()) {
            return null;
        }
        if (a.isDirectory()) {
            return "a directory";
        }
        try {
            int type = (Integer) Files.getAttribute(path, "unix:mode") & 0170000;   // S_IFMT
            return switch (type) {
                case 0010000 -> "a named pipe";
                case 0020000 -> "a character device";
                case 0060000 -> "a block device";
                case 0140000 -> "a socket";
                default -> "not a regular file";
            };
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            return "not a regular file (a device, pipe or socket)";
        }
    }

    // ---------------------------------------------------------------- accessors

    public Path path() { return path; }

    public int version() { return version; }

    public long fileSize() { return fileSize; }

    /** general.alignment, or 32. */
    public int alignment() { return alignment; }

    /** Absolute file offset of the tensor data section. */
    public long dataOffset() { return dataOffset; }

    /** All metadata in file order. */
    public Map<String, GgufValue> metadata() { return metadata; }

    public boolean has(String key) { return metadata.containsKey(key); }

    public Optional<GgufValue> value(String key) { return Optional.ofNullable(metadata.get(key)); }

    /**
     * Index of the first string in the value of {@code key} (0 for a plain string) whose bytes are not valid UTF-8,
     * if any. GGUF strings are UTF-8; such bytes read as U+FFFD here, so the strings no longer show them.
     */
    public OptionalInt invalidUtf8(String key) {
        Integer i = invalidUtf8.get(key);
        return i == null ? OptionalInt.empty() : OptionalInt.of(i);
    }

    /** general.architecture. */
    public String architecture() { return getString(KEY_ARCHITECTURE); }

    public String getString(String key) {
        GgufValue v = require(key);
        return checked(key, v::asString);
    }

    public String getString(String key, String dflt) {
        GgufValue v = metadata.get(key);
        return v == null ? dflt : checked(key, v::asString);
    }

    /** Any integer type. */
    public long getLong(String key) {
        GgufValue v = require(key);
        return checked(key, v::asLong);
    }

    public long getLong(String key, long dflt) {
        GgufValue v = metadata.get(key);
        return v == null ? dflt : checked(key, v::asLong);
    }

    /** Any integer type that fits an int. */
    public int getInt(String key) {
        long v = getLong(key);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new CtxbenchException("key '" + key + "' = " + v + " does not fit an int : " + path);
        }
        return (int) v;
    }

    /** FLOAT32, FLOAT64 or integer. */
    public double getDouble(String key) {
        GgufValue v = require(key);
        return checked(key, v::asDouble);
    }

    public double getDouble(String key, double dflt) {
        GgufValue v = metadata.get(key);
        return v == null ? dflt : checked(key, v::asDouble);
    }

    public boolean getBoolean(String key) {
        GgufValue v = require(key);
        return checked(key, v::asBoolean);
    }

    public GgufArray getArray(String key) {
        GgufValue v = require(key);
        return checked(key, v::asArray);
    }

    public String[] getStringArray(String key) {
        GgufArray a = getArray(key);
        return checked(key, a::strings);
    }

    /** {@code <architecture>.<suffix>} as a long, e.g. {@code archLong("block_count")}. */
    public long archLong(String suffix) { return getLong(architecture() + "." + suffix); }

    public List<GgufTensorInfo> tensors() { return tensors; }

    public Optional<GgufTensorInfo> tensor(String name) { return Optional.ofNullable(tensorsByName.get(name)); }

    /** Sum of the unpadded byte sizes of all tensors, per type. */
    public Map<GgmlType, Long> tensorBytesByType() {
        Map<GgmlType, Long> m = new EnumMap<>(GgmlType.class);
        for (GgufTensorInfo t : tensors) {
            m.merge(t.type(), t.nBytes(), Long::sum);
        }
        return m;
    }

    public long totalTensorBytes() {
        long s = 0;
        for (GgufTensorInfo t : tensors) {
            s += t.nBytes();
        }
        return s;
    }

    /** Total number of tensor elements (a tied output counts once, as it is stored once). */
    public long parameterCount() {
        long s = 0;
        for (GgufTensorInfo t : tensors) {
            s += t.nElements();
        }
        return s;
    }

    /** Absolute file offset of a tensor's first byte. */
    public long absoluteOffset(GgufTensorInfo t) { return dataOffset + t.offset(); }

    /** Maps one tensor's bytes read-only; the mapping lives as long as {@code arena}. */
    public MemorySegment mapTensor(GgufTensorInfo t, Arena arena) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, absoluteOffset(t), t.nBytes(), arena);
        } catch (IOException e) {
            throw new CtxbenchException("cannot map tensor " + t.name() + " of " + path + ": " + e, e);
        }
    }

    @Override
    public String toString() {
        return "GGUF v" + version + " " + path + " (" + metadata.size() + " keys, " + tensors.size() + " tensors, "
                + fileSize + " bytes)";
    }

    private GgufValue require(String key) {
        GgufValue v = metadata.get(key);
        if (v == null) {
            throw new CtxbenchException("missing key '" + key + "' : " + path);
        }
        return v;
    }

    private <T> T checked(String key, java.util.function.Supplier<T> s) {
        try {
            return s.get();
        } catch (CtxbenchException e) {
            throw new CtxbenchException("key '" + key + "': " + e.getMessage() + " : " + path, e);
        }
    }

    /** Bytes of a tensor of {@code type} with {@code dims}. @throws CtxbenchException if not whole blocks or overflow. */
    static long tensorBytes(GgmlType type, long[] dims) {
        long n = 1;
        for (long d : dims) {
            n = Math.multiplyExact(n, d);
        }
        if (dims.length > 0 && dims[0] % type.blockSize() != 0) {
            throw new CtxbenchException("dimension 0 (" + dims[0] + ") is not a multiple of the " + type + " block size "
                    + type.blockSize());
        }
        return Math.multiplyExact(n / type.blockSize(), (long) type.typeSize());
    }

    static long align(long x, long a) {
        return (x + a - 1) / a * a;
    }

    // ---------------------------------------------------------------- parsing

    private static final class Parser {
        private static final int BUF = 1 << 20;

        private final Path path;
        private final FileChannel ch;
        private final long fileSize;
        private final ByteBuffer buf = ByteBuffer.allocate(BUF).order(ByteOrder.LITTLE_ENDIAN);
        private long bufStart; // file offset of buf[0]
        private long pos;      // file offset of the next byte to read
        private boolean lastStrInvalid;   // whether the last str() had bytes that are not UTF-8
        private final Map<String, Integer> invalidUtf8 = new HashMap<>();

        Parser(Path path, FileChannel ch) throws IOException {
            this.path = path;
            this.ch = ch;
            this.fileSize = ch.size();
            buf.limit(0);
        }

        private CtxbenchException fail(String msg) {
            return new CtxbenchException(msg + " : " + path);
        }

        private long remaining() {
            return fileSize - pos;
        }

        /** Makes {@code n} (&lt;= BUF) bytes at {@code pos} available in buf. */
        private void need(int n, String what) throws IOException {
            if (n > remaining()) {
                throw fail("truncated: " + what + " at offset " + pos + " needs " + n + " bytes but file has " + fileSize);
            }
            int inBuf = (int) (bufStart + buf.limit() - pos);
            if (pos >= bufStart && inBuf >= n) {
                buf.position((int) (pos - bufStart));
                return;
            }
            buf.clear();
            bufStart = pos;
            while (buf.position() < n) {
                int r = ch.read(buf, bufStart + buf.position());
                if (r < 0) {
                    throw fail("unexpected end of file at offset " + (bufStart + buf.position()) + " reading " + what);
                }
            }
            buf.flip();
        }

        private int u8(String what) throws IOException {
            need(1, what);
            pos += 1;
            return buf.get() & 0xFF;
        }

        private short i16(String what) throws IOException {
            need(2, what);
            pos += 2;
            return buf.getShort();
        }

        private int i32(String what) throws IOException {
            need(4, what);
            pos += 4;
            return buf.getInt();
        }

        private long i64(String what) throws IOException {
            need(8, what);
            pos += 8;
            return buf.getLong();
        }

        private byte[] bytes(long n, String what) throws IOException {
            if (n < 0 || n > remaining()) {
                throw fail("corrupt: " + what + " at offset " + (pos - 8) + " has length "
                        + Long.toUnsignedString(n) + " but only " + remaining() + " bytes remain in the file (size "
                        + fileSize + ")");
            }
            if (n > Integer.MAX_VALUE - 16) {
                throw fail(what + " at offset " + pos + " is too long (" + n + " bytes)");
            }
            byte[] out = new byte[(int) n];
            int off = 0;
            while (off < out.length) {
                int chunk = Math.min(BUF, out.length - off);
                need(chunk, what);
                buf.get(out, off, chunk);
                pos += chunk;
                off += chunk;
            }
            return out;
        }

        private String str(String what) throws IOException {
            long len = i64(what + " length");
            lastStrInvalid = false;
            if (len == 0) {
                return "";
            }
            byte[] b = bytes(len, what);
            String s = new String(b, StandardCharsets.UTF_8);
            // malformed input decodes to U+FFFD; a real U+FFFD encodes back to the same bytes
            lastStrInvalid = s.indexOf('\uFFFD') >= 0 && !java.util.Arrays.equals(s.getBytes(StandardCharsets.UTF_8), b);
            return s;
        }

        private static String describeMagic(byte[] m) {
            StringBuilder sb = new StringBuilder();
            for (byte b : m) {
                int c = b & 0xFF;
                if (c >= 0x20 && c < 0x7F && c != '\\' && c != '\'') {
                    sb.append((char) c);
                } else {
                    sb.append('\\').append(Integer.toOctalString(c));
                }
            }
            return sb.toString();
        }

        GgufFile parse() throws IOException {
            if (fileSize < 4) {
                throw fail("not a GGUF file (only " + fileSize + " bytes)");
            }
            need(4, "magic");
            byte[] magic = new byte[4];
            buf.get(magic);
            pos += 4;
            if (!(magic[0] == 'G' && magic[1] == 'G' && magic[2] == 'U' && magic[3] == 'F')) {
                throw fail("not a GGUF file (magic '" + describeMagic(magic) + "')");
            }
            int version = i32("version");
            if (version == 1) {
                throw fail("GGUF version 1 is no longer supported (llama.cpp reads versions 2 and 3)");
            }
            if (version != 2 && version != 3) {
                if ((version & 0xFFFF) == 0 && version != 0) {
                    throw fail("GGUF version " + Integer.toUnsignedString(version)
                            + " looks byte-swapped: big-endian GGUF files are not supported");
                }
                throw fail("unsupported GGUF version " + Integer.toUnsignedString(version) + " (supported: 2, 3)");
            }
            long nTensors = i64("tensor count");
            long nKv = i64("metadata key count");
            // every KV needs >= 8 (key length) + 1 (key) + 4 (type) + 1 (smallest value) bytes
            if (nKv < 0 || nKv > remaining() / 14) {
                throw fail("corrupt header: metadata key count " + Long.toUnsignedString(nKv) + " cannot fit in the "
                        + remaining() + " bytes after the header");
            }
            // every tensor info needs >= 8 + 1 (name) + 4 (n_dims) + 4 (type) + 8 (offset) bytes
            if (nTensors < 0 || nTensors > remaining() / 25) {
                throw fail("corrupt header: tensor count " + Long.toUnsignedString(nTensors) + " cannot fit in the "
                        + remaining() + " bytes after the header");
            }

            Map<String, GgufValue> kv = new LinkedHashMap<>();
            for (long i = 0; i < nKv; i++) {
                long at = pos;
                String key = str("key of metadata entry " + i);
                if (key.isEmpty()) {
                    throw fail("metadata entry " + i + " at offset " + at + " has an empty key");
                }
                int typeId = i32("type of key '" + key + "'");
                GgufValueType type = GgufValueType.byId(typeId).orElseThrow(
                        () -> fail("key '" + key + "' at offset " + at + " has invalid value type " + typeId));
                GgufValue v = value(type, key, 0);
                if (kv.putIfAbsent(key, v) != null) {
                    throw fail("duplicate metadata key '" + key + "' at offset " + at);
                }
            }

            int alignment = DEFAULT_ALIGNMENT;
            GgufValue al = kv.get(KEY_ALIGNMENT);
            if (al != null) {
                if (al.type() != GgufValueType.UINT32) {
                    throw fail("key '" + KEY_ALIGNMENT + "' must be UINT32 but is " + al.type());
                }
                long a = al.asLong();
                if (a == 0 || (a & (a - 1)) != 0 || a > (1 << 30)) {
                    throw fail("alignment " + a + " is not a power of 2");
                }
                alignment = (int) a;
            }

            List<GgufTensorInfo> infos = new ArrayList<>((int) Math.min(nTensors, 1 << 16));
            Map<String, Long> seen = new HashMap<>();
            for (long i = 0; i < nTensors; i++) {
                long at = pos;
                String name = str("name of tensor " + i);
                if (name.getBytes(StandardCharsets.UTF_8).length >= MAX_NAME) {
                    throw fail("tensor " + i + " at offset " + at + " has a name of " + name.length()
                            + " bytes, llama.cpp allows at most " + (MAX_NAME - 1) + ": '" + name + "'");
                }
                Long prev = seen.putIfAbsent(name, i);
                if (prev != null) {
                    throw fail("duplicate tensor name '" + name + "' (tensors " + prev + " and " + i + ")");
                }
                int nDims = i32("n_dims of tensor " + name);
                if (nDims < 0 || nDims > MAX_DIMS) {
                    throw fail("tensor '" + name + "' has " + Integer.toUnsignedString(nDims)
                            + " dimensions, at most " + MAX_DIMS + " allowed");
                }
                long[] dims = new long[nDims];
                for (int d = 0; d < nDims; d++) {
                    dims[d] = i64("dimension " + d + " of tensor " + name);
                    if (dims[d] < 0) {
                        throw fail("tensor '" + name + "' dimension " + d + " is negative (" + dims[d] + ")");
                    }
                }
                int typeId = i32("type of tensor " + name);
                GgmlType type = GgmlType.byId(typeId).orElseThrow(
                        () -> fail("unknown tensor type " + typeId + " for tensor " + name));
                long offset = i64("offset of tensor " + name);
                try {
                    tensorBytes(type, dims);
                } catch (ArithmeticException e) {
                    throw fail("tensor '" + name + "' with shape " + java.util.Arrays.toString(dims)
                            + " has more elements or bytes than fit in 64 bits");
                } catch (CtxbenchException e) {
                    throw fail("tensor '" + name + "': " + e.getMessage());
                }
                infos.add(new GgufTensorInfo(name, dims, type, offset));
            }

            long dataOffset = align(pos, alignment);
            long expected = 0;
            for (GgufTensorInfo t : infos) {
                long nBytes = t.nBytes();
                if (t.offset() != expected) {
                    String why = t.offset() % alignment != 0
                            ? "not a multiple of the alignment " + alignment
                            : "expected " + expected + ": llama.cpp requires tensors to be stored contiguously in order";
                    throw fail("tensor '" + t.name() + "' has data offset " + Long.toUnsignedString(t.offset()) + ", "
                            + why);
                }
                long start = dataOffset + t.offset();
                long end = start + nBytes;
                if (end > fileSize || end < start) {
                    throw fail("truncated: tensor " + t.name() + " needs bytes [" + start + "," + end
                            + ") but file has " + fileSize);
                }
                expected = t.offset() + align(nBytes, alignment);
            }
            return new GgufFile(path, version, fileSize, kv, infos, alignment, dataOffset, invalidUtf8);
        }

        private GgufValue value(GgufValueType type, String key, int depth) throws IOException {
            String what = "value of key '" + key + "'";
            return switch (type) {
                case UINT8 -> new GgufValue(type, (long) u8(what));
                case INT8 -> new GgufValue(type, (long) (byte) u8(what));
                case UINT16 -> new GgufValue(type, (long) (i16(what) & 0xFFFF));
                case INT16 -> new GgufValue(type, (long) i16(what));
                case UINT32 -> new GgufValue(type, i32(what) & 0xFFFF_FFFFL);
                case INT32 -> new GgufValue(type, (long) i32(what));
                case UINT64, INT64 -> new GgufValue(type, i64(what));
                case FLOAT32 -> new GgufValue(type, Float.intBitsToFloat(i32(what)));
                case FLOAT64 -> new GgufValue(type, Double.longBitsToDouble(i64(what)));
                case BOOL -> {
                    int b = u8(what);
                    if (b > 1) {
                        throw fail("key '" + key + "' has bool value " + b + " at offset " + (pos - 1));
                    }
                    yield new GgufValue(type, b == 1);
                }
                case STRING -> {
                    String s = str(what);
                    if (lastStrInvalid) {
                        invalidUtf8.putIfAbsent(key, 0);
                    }
                    yield new GgufValue(type, s);
                }
                case ARRAY -> new GgufValue(type, array(key, depth));
            };
        }

        private GgufArray array(String key, int depth) throws IOException {
            if (depth >= MAX_ARRAY_DEPTH) {
                throw fail("key '" + key + "' nests arrays deeper than " + MAX_ARRAY_DEPTH);
            }
            long at = pos;
            int typeId = i32("array type of key '" + key + "'");
            GgufValueType et = GgufValueType.byId(typeId).orElseThrow(
                    () -> fail("key '" + key + "' at offset " + at + " is an array of invalid type " + typeId));
            long n = i64("array length of key '" + key + "'");
            if (n < 0 || n > remaining() / et.minEncodedSize() || n > Integer.MAX_VALUE - 16) {
                throw fail("corrupt: array '" + key + "' at offset " + at + " claims " + Long.toUnsignedString(n)
                        + " elements of " + et + " but only " + remaining() + " bytes remain in the file (size "
                        + fileSize + ")");
            }
            int len = (int) n;
            String what = "array '" + key + "'";
            Object data = switch (et) {
                case UINT8, INT8, BOOL -> {
                    byte[] b = bytes(len, what);
                    if (et != GgufValueType.BOOL) {
                        yield b;
                    }
                    boolean[] r = new boolean[len];
                    for (int i = 0; i < len; i++) {
                        if ((b[i] & 0xFF) > 1) {
                            throw fail("array '" + key + "' element " + i + " is not a bool (" + (b[i] & 0xFF) + ")");
                        }
                        r[i] = b[i] != 0;
                    }
                    yield r;
                }
                case UINT16, INT16 -> {
                    short[] r = new short[len];
                    for (int i = 0; i < len; i++) r[i] = i16(what);
                    yield r;
                }
                case UINT32, INT32 -> {
                    int[] r = new int[len];
                    for (int i = 0; i < len; i++) r[i] = i32(what);
                    yield r;
                }
                case FLOAT32 -> {
                    float[] r = new float[len];
                    for (int i = 0; i < len; i++) r[i] = Float.intBitsToFloat(i32(what));
                    yield r;
                }
                case UINT64, INT64 -> {
                    long[] r = new long[len];
                    for (int i = 0; i < len; i++) r[i] = i64(what);
                    yield r;
                }
                case FLOAT64 -> {
                    double[] r = new double[len];
                    for (int i = 0; i < len; i++) r[i] = Double.longBitsToDouble(i64(what));
                    yield r;
                }
                case STRING -> {
                    String[] r = new String[len];
                    for (int i = 0; i < len; i++) {
                        r[i] = str(what + " element " + i);
                        if (lastStrInvalid) {
                            invalidUtf8.putIfAbsent(key, i);
                        }
                    }
                    yield r;
                }
                case ARRAY -> {
                    GgufArray[] r = new GgufArray[len];
                    for (int i = 0; i < len; i++) r[i] = array(key + "[" + i + "]", depth + 1);
                    yield r;
                }
            };
            return new GgufArray(et, data);
        }
    }
}
