package io.ctxbench.experiment;

import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.NativeLibrary;
import io.ctxbench.models.PackagedModels;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * sha256 of model files, cached by absolute path + size + modification time in {@code $CTXBENCH_CACHE/hashes.tsv}
 * (a file is hashed again only when one of those changes). The file is only a cache: a damaged line (a torn write,
 * garbage, a hash that is not 64 hex digits) is dropped and the file rewritten without it, with one note; a cache
 * that cannot be read or written at all is an error naming it.
 */
public final class FileHashes {
    /** PATH \t SIZE \t MTIME \t SHA256: the shape of every line this class writes. */
    private static final Pattern LINE = Pattern.compile(".+\t\\d+\t-?\\d+\t[0-9a-f]{64}");

    private FileHashes() {
    }

    public static synchronized String sha256(Path file) {
        return sha256(file, NativeLibrary.cacheDir().resolve("hashes.tsv"), System.err);
    }

    static synchronized String sha256(Path file, Path cache, PrintStream err) {
        Path abs = file.toAbsolutePath().normalize();
        String key;
        try {
            key = abs + "\t" + Files.size(abs) + "\t" + Files.getLastModifiedTime(abs).toMillis() + "\t";
        } catch (IOException e) {
            throw new CtxbenchException("cannot hash " + file + ": " + e.getMessage(), e);
        }
        String cached = lookup(cache, key, err);
        if (cached != null) {
            return cached;
        }
        String h;
        try {
            h = PackagedModels.sha256(abs);
        } catch (IOException e) {
            throw new CtxbenchException("cannot hash " + file + ": " + e.getMessage(), e);
        }
        try {
            Files.createDirectories(cache.getParent());
            Files.writeString(cache, key + h + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new CtxbenchException("cannot write the hash cache " + cache + ": " + e.getMessage(), e);
        }
        return h;
    }

    /** The cached hash for {@code key} (the last line wins), repairing the cache first if some line is damaged. */
    private static String lookup(Path cache, String key, PrintStream err) {
        if (!Files.exists(cache)) {
            return null;
        }
        byte[] all;
        try {
            all = Files.readAllBytes(cache);
        } catch (IOException e) {
            throw new CtxbenchException("cannot read the hash cache " + cache + ": " + e.getMessage()
                    + " (fix its permissions or remove it: it is rebuilt as needed)", e);
        }
        List<String> good = new ArrayList<>();
        int bad = 0;
        String found = null;
        int start = 0;
        while (start < all.length) {
            int nl = start;
            while (nl < all.length && all[nl] != '\n') {
                nl++;
            }
            String line = nl < all.length ? utf8(all, start, nl - start) : null;   // a last line without '\n' is torn
            if (line != null && LINE.matcher(line).matches()) {
                good.add(line);
                if (line.startsWith(key)) {
                    found = line.substring(key.length());
                }
            } else if (nl > start) {   // empty lines are dropped without a word
                bad++;
            }
            start = nl + 1;
        }
        if (bad > 0) {
            try {
                Path tmp = cache.resolveSibling(cache.getFileName() + ".tmp");
                Files.write(tmp, good, StandardCharsets.UTF_8);
                Files.move(tmp, cache, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new CtxbenchException("cannot repair the hash cache " + cache + " (" + bad + " damaged line(s)): "
                        + e.getMessage() + " (remove it: it is rebuilt as needed)", e);
            }
            err.println("note: " + cache + " had " + bad + " damaged line(s); they were dropped (it only caches file hashes)");
        }
        return found;
    }

    /** Strict UTF-8, or null for bytes that are not. */
    private static String utf8(byte[] b, int off, int len) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(b, off, len)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
