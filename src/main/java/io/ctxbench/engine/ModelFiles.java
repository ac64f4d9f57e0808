package io.ctxbench.engine;

import io.ctxbench.CtxbenchException;
import io.ctxbench.gguf.GgufException;
import io.ctxbench.gguf.GgufFile;

import java.nio.file.Files;
import java.nio.file.Path;

/** Checks a model path before anything native touches it. */
public final class ModelFiles {
    private ModelFiles() {
    }

    /**
     * The file exists, is a regular readable file and a well-formed GGUF: header, metadata, known tensor types,
     * and every tensor's data inside the file (so a truncated download is caught here, not in llama.cpp).
     */
    public static void checkGguf(Path path) {
        if (!Files.exists(path)) {
            throw new CtxbenchException("model file not found: " + path);
        }
        if (Files.isDirectory(path)) {
            throw new CtxbenchException("model path is a directory, not a GGUF file: " + path);
        }
        if (!Files.isReadable(path)) {
            throw new CtxbenchException("model file is not readable: " + path);
        }
        try {
            GgufFile.open(path);
        } catch (GgufException e) {
            throw new CtxbenchException("bad model file: " + e.getMessage(), e);
        }
    }
}
