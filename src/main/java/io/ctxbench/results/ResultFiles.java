package io.ctxbench.results;

import io.ctxbench.CtxbenchException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Whole result documents (a manifest, sweep.json, a log's final form) written so that a reader never sees half of one. */
public final class ResultFiles {
    private ResultFiles() {
    }

    /**
     * Replaces {@code file} by {@code text}: written to a temporary file beside it, forced to disk, then renamed over
     * it, so the file is the old one or the new one whatever happens. Only by the holder of the folder's lock.
     */
    public static void replace(RunFolderLock lock, Path file, String text) {
        lock.requireHolds(file);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(false);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new CtxbenchException("cannot write " + file + ": " + e.getMessage() + " (it is as it was)", e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException e) {
                // a leftover temporary file is harmless: the next write replaces it
            }
        }
    }
}
