package io.ctxbench.engine;

import io.ctxbench.CtxbenchException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Checks a model path before anything native touches it. */
final class ModelFiles {
    private ModelFiles() {
    }

    static void checkGguf(Path path) {
        if (!Files.exists(path)) {
            throw new CtxbenchException("model file not found: " + path);
        }
        if (Files.isDirectory(path)) {
            throw new CtxbenchException("model path is a directory, not a GGUF file: " + path);
        }
        if (!Files.isReadable(path)) {
            throw new CtxbenchException("model file is not readable: " + path);
        }
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer magic = ByteBuffer.allocate(4);
            while (magic.hasRemaining() && ch.read(magic) > 0) {
                // read the four magic bytes
            }
            if (magic.position() < 4 || !"GGUF".equals(new String(magic.array(), java.nio.charset.StandardCharsets.ISO_8859_1))) {
                throw new CtxbenchException("not a GGUF file (no 'GGUF' magic at the start): " + path);
            }
        } catch (IOException e) {
            throw new CtxbenchException("cannot read model file " + path + ": " + e.getMessage(), e);
        }
    }
}
