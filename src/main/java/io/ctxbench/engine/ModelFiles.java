package io.ctxbench.engine;

import io.ctxbench.CtxbenchException;
import io.ctxbench.gguf.GgufException;
import io.ctxbench.gguf.GgufFile;

import java.nio.file.Path;

/** Checks a model path before anything native touches it. */
final class ModelFiles {
    private ModelFiles() {
    }

    /**
     * The file exists, is a regular readable file (not a pipe, which would block the read) and a well-formed GGUF:
     * header, metadata, known tensor types, and every tensor's data inside the file (so a truncated download is
     * caught here, not in llama.cpp).
     */
    static void checkGguf(Path path) {
        try {
            GgufFile.requireRegularFile(path, "model file");
        } catch (GgufException e) {
            throw new CtxbenchException(e.getMessage(), e);
        }
        try {
            GgufFile.open(path);
        } catch (GgufException e) {
            throw new CtxbenchException("bad model file: " + e.getMessage(), e);
        }
    }
}
