package io.ctxbench.engine;

import io.ctxbench.CtxbenchException;
import io.ctxbench.gguf.GgufFile;
import io.ctxbench.gguf.LoadChecks;

import java.nio.file.Path;

/** Checks a model path before anything native touches it ({@link Model#load}, and the pruner's own calibration load). */
public final class ModelFiles {
    private ModelFiles() {
    }

    /**
     * The file exists, is a regular readable file (not a pipe, which would block the read) and a well-formed GGUF:
     * header, metadata, known tensor types, and every tensor's data inside the file (so a truncated download is
     * caught here, not in llama.cpp); and it holds nothing llama.cpp would abort on ({@link LoadChecks}): the
     * tokenizer always, the layers, norms and tensor types unless only the vocabulary is loaded.
     */
    public static void checkGguf(Path path, boolean vocabOnly) {
        GgufFile.requireRegularFile(path, "model file");
        try {
            GgufFile f = GgufFile.open(path);
            if (!vocabOnly) {
                LoadChecks.requireModel(f);
            }
            LoadChecks.requireVocab(f);
        } catch (CtxbenchException e) {
            throw new CtxbenchException("bad model file: " + e.getMessage(), e);
        }
    }
}
