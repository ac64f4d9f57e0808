package io.ctxbench.results;

import io.ctxbench.CtxbenchException;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Exclusive use of a run folder by one writer: an OS file lock ({@link FileChannel#tryLock()}) on the lock file
 * {@code DIR/.ctxbench-NAME.lock}, held until {@link #close()}. The OS drops the lock when the process ends, even
 * on kill -9, so a stale lock file never blocks anyone; the file itself stays (deleting it would let two writers
 * lock two different files of one name). It holds the holder's pid, host and start time, only for the message a
 * second writer gets. {@code NAME} tells apart writers that may share a folder (e.g. the shards of one eval).
 */
public final class RunFolderLock implements AutoCloseable {
    /**
     * Lock files this process holds, with what was written in them. OS file locks belong to the process, and closing
     * any descriptor of a locked file (even one only read) releases them, so a second attempt from this process is
     * refused from this table without opening the file.
     */
    private static final Map<Path, String> HELD = new ConcurrentHashMap<>();

    private final Path dir;
    private final Path file;
    private final FileChannel channel;
    private volatile boolean open = true;

    private RunFolderLock(Path dir, Path file, FileChannel channel) {
        this.dir = dir;
        this.file = file;
        this.channel = channel;
    }

    /** Locks {@code dir} (created if needed) for the writer {@code name}, or fails at once if another holds it. */
    public static RunFolderLock acquire(Path dir, String name) {
        Path file;
        try {
            Files.createDirectories(dir);
            file = dir.resolve(".ctxbench-" + name + ".lock").toAbsolutePath().normalize();
        } catch (IOException e) {
            throw new CtxbenchException("cannot create the run folder " + dir + ": " + e.getMessage(), e);
        }
        String holder = holderLine();
        String other = HELD.putIfAbsent(file, holder);
        if (other != null) {
            throw inUse(dir, other);
        }
        FileChannel ch = null;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            if (tryLock(ch) == null) {
                throw inUse(dir, holderOf(ch));
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((holder + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            ch.force(false);
            return new RunFolderLock(file.getParent(), file, ch);
        } catch (IOException | RuntimeException e) {
            HELD.remove(file);
            closeQuietly(ch);
            if (e instanceof CtxbenchException c) {
                throw c;
            }
            throw new CtxbenchException("cannot lock the run folder " + dir + " (lock file " + file + "): " + e.getMessage(), e);
        }
    }

    private static FileLock tryLock(FileChannel ch) throws IOException {
        try {
            return ch.tryLock();
        } catch (OverlappingFileLockException e) {
            return null;   // held by this process through another channel
        }
    }

    private static CtxbenchException inUse(Path dir, String holder) {
        return new CtxbenchException(dir + " is in use by another ctxbench process (" + holder + "); wait for it to end, "
                + "or stop it (a killed process leaves no lock behind)");
    }

    /** What the holder wrote, or a plain statement when it has not written it yet. */
    private static String holderOf(FileChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(512);
        while (b.hasRemaining() && ch.read(b, b.position()) > 0) {
            // a short file: read it whole
        }
        String s = new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).strip();
        return s.isEmpty() ? "pid unknown" : s;
    }

    private static String holderLine() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "unknown host";
        }
        return "pid " + ProcessHandle.current().pid() + " on " + host + ", started " + OffsetDateTime.now();
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                // already failing: the first error is the one to report
            }
        }
    }

    public Path file() {
        return file;
    }

    /** The folder locked (absolute). */
    public Path dir() {
        return dir;
    }

    /**
     * Refuses to write {@code resultFile} unless this lock is held and the file lies in its folder: every result
     * stream is written by the folder's one writer.
     */
    public void requireHolds(Path resultFile) {
        Path parent = resultFile.toAbsolutePath().normalize().getParent();
        if (!open || !dir.equals(parent)) {
            throw new IllegalStateException(resultFile + " is written without holding its folder's lock ("
                    + (open ? "this lock is for " + dir : "released") + ")");
        }
    }

    @Override
    public void close() {
        open = false;
        try {
            channel.close();   // releases the lock
        } catch (IOException e) {
            throw new CtxbenchException("cannot release the lock " + file + ": " + e.getMessage(), e);
        } finally {
            HELD.remove(file);
        }
    }
}
