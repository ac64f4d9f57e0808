package io.ctxbench.results;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import io.ctxbench.CtxbenchException;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * An append-only JSON Lines file of finished work, safe against being killed at any point (kill -9 included): every
 * result stream (eval's results and fidelity records, the sweep's cells) is written through one. Every record is one
 * line written with a single write of {@code json + "\n"} and forced to disk (fsync) before the next piece of work
 * starts. On open, the file is checked: a last line without its newline, or any line that is not a record (a JSON
 * object its {@link Keys} names), is a torn write from an interrupted run and the file is cut back to the end of the
 * last good line, so a resumed run rewrites that record once and never duplicates it; such a line in the middle is
 * damage that is refused. The keys of the good lines are what {@link #done} answers from. A log is opened only
 * under its folder's {@link RunFolderLock}: one writer per file.
 */
public final class ResultsLog implements AutoCloseable {
    private static final ObjectReader STRICT = Json.MAPPER.reader()
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /**
     * How a log's records are named: {@code of} gives a record's key, or null when the object is not a record;
     * {@code unique} refuses a second record of one key (eval: a sample is written once), else a record may be
     * written again and the later line supersedes the earlier for readers (a sweep cell with llama-bench's figures).
     */
    public record Keys(Function<JsonNode, String> of, boolean unique) {
        /** eval's records: the {@code key} field, once each. */
        public static final Keys RECORD_KEY = new Keys(n -> n.hasNonNull("key") ? n.get("key").asText() : null, true);
        /** the sweep's cells: by cell index, written again when llama-bench's figures are attached. */
        public static final Keys SWEEP_CELL = new Keys(n -> n.path("cell").path("index").isInt()
                ? String.valueOf(n.get("cell").get("index").intValue()) : null, false);
    }

    private final Path file;
    private final Keys keys;
    private final FileChannel channel;
    private final Set<String> done = new HashSet<>();
    private final long droppedBytes;
    private final int goodLines;
    /** Where the next record begins: the end of the last complete line. */
    private long end;
    /** The write error that stopped this log (null while none). */
    private String failed;

    private ResultsLog(Path file, Keys keys, FileChannel channel, long end, long dropped, int good) {
        this.file = file;
        this.keys = keys;
        this.channel = channel;
        this.end = end;
        this.droppedBytes = dropped;
        this.goodLines = good;
    }

    /** Opens (creating if needed) and repairs eval's {@code file} in the folder {@code lock} holds; keys are loaded. */
    public static ResultsLog open(RunFolderLock lock, Path file) {
        return open(lock, file, Keys.RECORD_KEY, UnaryOperator.identity());
    }

    /**
     * As {@link #open(RunFolderLock, Path)} for records named by {@code keys}, appending through {@code wrap} of the
     * file's channel (tests inject write faults with it; identity otherwise).
     */
    public static ResultsLog open(RunFolderLock lock, Path file, Keys keys, UnaryOperator<FileChannel> wrap) {
        lock.requireHolds(file);
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            byte[] all = Files.readAllBytes(file);
            Set<String> seen = new HashSet<>();
            int start = 0;
            long goodEnd = 0;
            int good = 0;
            int lineNo = 0;
            for (int i = 0; i < all.length; i++) {
                if (all[i] == '\n') {
                    lineNo++;
                    String line = new String(all, start, i - start, StandardCharsets.UTF_8);
                    JsonNode n = record(line, keys);
                    if (n == null && !line.isBlank()) {
                        if (hasContent(all, i + 1)) {
                            ch.close();
                            throw new CtxbenchException("results file " + file + " is damaged at line " + lineNo
                                    + " (not a record) and has records after it; repair or remove that line by hand");
                        }
                        break;   // a damaged last line: dropped and redone
                    }
                    if (n != null) {
                        seen.add(keys.of().apply(n));
                        good++;
                    }
                    goodEnd = i + 1;
                    start = i + 1;
                }
            }
            long dropped = all.length - goodEnd;
            if (dropped > 0) {
                ch.truncate(goodEnd);
                ch.force(true);
            }
            ch.position(goodEnd);
            ResultsLog log = new ResultsLog(file, keys, wrap.apply(ch), goodEnd, dropped, good);
            log.done.addAll(seen);
            return log;
        } catch (IOException e) {
            throw new CtxbenchException("cannot open results file " + file + ": " + e.getMessage(), e);
        }
    }

    private static boolean hasContent(byte[] b, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] != '\n' && b[i] != ' ' && b[i] != 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * A line of an eval results file as its record: one JSON object with a "key" and nothing after it; null for
     * anything else (a line holding {@code {...}{...}}, what two writers interleaving produce, is damaged, not its
     * first object).
     */
    static JsonNode record(String line) {
        return record(line, Keys.RECORD_KEY);
    }

    private static JsonNode record(String line, Keys keys) {
        if (line.isBlank()) {
            return null;
        }
        try {
            JsonNode n = STRICT.readTree(line);
            return n != null && n.isObject() && keys.of().apply(n) != null ? n : null;
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * The records of a log file written by this class, typed, in file order. A line that is not a record is damage
     * (another writer used the file) and an error naming it; a torn last line, which opening the log repairs, is
     * left out. Read while the file's writer holds the folder, e.g. by the run that writes it.
     */
    public static <T> List<T> read(Path file, Class<T> type) {
        List<T> out = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int lineNo = 0;
            String pending = null;   // a line that is not a record: damage unless it is the last
            for (String line; (line = in.readLine()) != null; ) {
                lineNo++;
                if (pending != null) {
                    throw new CtxbenchException(pending);
                }
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n = record(line);
                if (n == null) {
                    pending = file + " is damaged at line " + lineNo + " (not one record); another writer may have used "
                            + "it: repair or remove that line by hand";
                    continue;
                }
                out.add(Json.MAPPER.treeToValue(n, type));
            }
        } catch (IOException e) {
            throw new CtxbenchException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return out;
    }

    public boolean done(String key) {
        return done.contains(key);
    }

    public int size() {
        return done.size();
    }

    /** Bytes of a torn or damaged tail that opening removed (0 when the file was intact). */
    public long droppedBytes() {
        return droppedBytes;
    }

    public int goodLines() {
        return goodLines;
    }

    public Path file() {
        return file;
    }

    /**
     * Appends one record ({@code json} must be one line, an object with "key") and forces it to disk. On a write or
     * fsync error (a full disk, an I/O error) the file is cut back to where this record began, so it holds only
     * complete lines, and the log refuses every later append: the error ends the run, never one sample.
     */
    public void append(String key, String json) {
        if (json.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("a record must be one line");
        }
        if (keys.unique() && done.contains(key)) {
            throw new IllegalStateException("record " + key + " is already in " + file);
        }
        if (failed != null) {
            throw new CtxbenchException("results file " + file + " had a write error (" + failed + "); nothing more is "
                    + "appended to it in this run");
        }
        byte[] b = (json + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            ByteBuffer buf = ByteBuffer.wrap(b);
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
            channel.force(false);
        } catch (IOException e) {
            failed = String.valueOf(e.getMessage());
            String state = cutBackTo(end) ? "it holds only complete records"
                    : "its partial last line is dropped when the run is resumed";
            throw new CtxbenchException("cannot write to results file " + file + ": " + e.getMessage() + "; the run stops "
                    + "here (" + state + "): make room or fix the disk, then continue it with --resume", e);
        }
        end += b.length;
        done.add(key);
    }

    /** Truncates the file to {@code size} (the end of its last complete line); false if that failed too. */
    private boolean cutBackTo(long size) {
        try {
            channel.truncate(size);
            channel.position(size);
            channel.force(true);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Replaces {@code file} by {@code lines} (one record each) at once, through a temporary file forced to disk and
     * a rename: a reader sees the old file or the new one (the sweep writes its final cells this way, in cell order,
     * after its log is closed). Only under the folder's lock.
     */
    public static void replace(RunFolderLock lock, Path file, List<String> lines) {
        StringBuilder sb = new StringBuilder();
        for (String l : lines) {
            if (l.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("a record must be one line");
            }
            sb.append(l).append('\n');
        }
        ResultFiles.replace(lock, file, sb.toString());
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new CtxbenchException("cannot close " + file + ": " + e.getMessage(), e);
        }
    }
}
