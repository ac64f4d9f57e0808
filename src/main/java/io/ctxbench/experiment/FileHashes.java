package io.ctxbench.experiment;

import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.NativeLibrary;
import io.ctxbench.models.PackagedModels;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * sha256 of model files, cached by absolute path + size + modification time in {@code $CTXBENCH_CACHE/hashes.tsv}
 * (a file is hashed again only when one of those changes).
 */
public final class FileHashes {
    private FileHashes() {
    }

    public static synchronized String sha256(Path file) {
        try {
            Path abs = file.toAbsolutePath().normalize();
            long size = Files.size(abs);
            long mtime = Files.getLastModifiedTime(abs).toMillis();
            String key = abs + "\t" + size + "\t" + mtime + "\t";
            Path cache = NativeLibrary.cacheDir().resolve("hashes.tsv");
            if (Files.isRegularFile(cache)) {
                List<String> lines = Files.readAllLines(cache, StandardCharsets.UTF_8);
                for (int i = lines.size() - 1; i >= 0; i--) {
                    if (lines.get(i).startsWith(key) && lines.get(i).length() == key.length() + 64) {
                        return lines.get(i).substring(key.length());
                    }
                }
            }
            String h = PackagedModels.sha256(abs);
            Files.createDirectories(cache.getParent());
            Files.writeString(cache, key + h + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            return h;
        } catch (IOException e) {
            throw new CtxbenchException("cannot hash " + file + ": " + e.getMessage(), e);
        }
    }
}
