package io.ctxbench.experiment;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import io.ctxbench.CtxbenchException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * An append-only JSON Lines file of finished work, safe against being killed at any point (kill -9 included).
 * Every record is one line written with a single write of {@code json + "\n"} and forced to disk (fsync) before
 * the next piece of work starts. On open, the file is checked: a last line without its newline, or any line that
 * is not a JSON object with a {@code key}, is a torn write from an interrupted run and the file is cut back to the
 * end of the last good line, so a resumed run rewrites that record once and never duplicates it. The keys of the
 * good lines are what {@link #done} answers from.
 */
public final class ResultsLog implements AutoCloseable {
    private static final ObjectReader STRICT = new ObjectMapper().reader()
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private final Path file;
    private final FileChannel channel;
    private final Set<String> done = new HashSet<>();
    private final long droppedBytes;
    private final int goodLines;
    /** Where the next record begins: the end of the last complete line. */
    private long end;
    /** The write error that stopped this log (null while none). */
    private String failed;

    private ResultsLog(Path file, FileChannel channel, long end, long dropped, int good) {
        this.file = file;
        this.channel = channel;
        this.end = end;
        this.droppedBytes = dropped;
        this.goodLines = good;
    }

    /** Opens (creating if needed) and repairs the file; the keys of complete records are loaded. */
    public static ResultsLog open(Path file) {
        return open(file, UnaryOperator.identity());
    }

    /** As {@link #open(Path)}, appending through {@code wrap} of the file's channel (tests inject write faults). */
    static ResultsLog open(Path file, UnaryOperator<FileChannel> wrap) {
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            byte[] all = Files.readAllBytes(file);
            Set<String> keys = new HashSet<>();
            int start = 0;
            long goodEnd = 0;
            int good = 0;
            int lineNo = 0;
            for (int i = 0; i < all.length; i++) {
                if (all[i] == '\n') {
                    lineNo++;
                    String line = new String(all, start, i - start, StandardCharsets.UTF_8);
                    String key = keyOf(line);
                    if (key == null && !line.isBlank()) {
                        if (hasContent(all, i + 1)) {
                            ch.close();
                            throw new CtxbenchException("results file " + file + " is damaged at line " + lineNo
                                    + " (not a record) and has records after it; repair or remove that line by hand");
                        }
                        break;   // a damaged last line: dropped and redone
                    }
                    if (key != null) {
                        keys.add(key);
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
            ResultsLog log = new ResultsLog(file, wrap.apply(ch), goodEnd, dropped, good);
            log.done.addAll(keys);
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

    static String keyOf(String line) {
        JsonNode n = record(line);
        return n != null ? n.get("key").asText() : null;
    }

    /**
     * A line of a results file as its record: one JSON object with a "key" and nothing after it; null for anything
     * else (a line holding {@code {...}{...}}, what two writers interleaving produce, is damaged, not its first object).
     */
    public static JsonNode record(String line) {
        if (line.isBlank()) {
            return null;
        }
        try {
            JsonNode n = STRICT.readTree(line);
            return n != null && n.isObject() && n.hasNonNull("key") ? n : null;
        } catch (IOException e) {
            return null;
        }
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
        if (done.contains(key)) {
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

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new CtxbenchException("cannot close " + file + ": " + e.getMessage(), e);
        }
    }
}
