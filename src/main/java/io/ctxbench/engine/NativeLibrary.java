package io.ctxbench.engine;

import io.ctxbench.CtxbenchException;
import io.ctxbench.llama.ffi.llama_h;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Finds and loads the llama.cpp shared libraries once per process, initialises the backends and routes
 * llama.cpp's log through {@link LlamaLog}.
 *
 * <p>Where the libraries come from, first match wins:
 * <ol>
 *   <li>system property {@code ctxbench.native.dir} (a folder with {@code lib/libllama.so}, or the lib folder itself)</li>
 *   <li>environment variable {@code CTXBENCH_NATIVE_DIR} (same)</li>
 *   <li>the native cache that {@code native/build.sh} fills: {@code $CTXBENCH_CACHE/native/<commit>-<variant>-<flags>/},
 *       a CUDA build preferred over a CPU one</li>
 * </ol>
 */
public final class NativeLibrary {
    /** The llama.cpp commit the bindings were generated from and native/build.sh pins. */
    public static final String LLAMA_CPP_COMMIT = "de3ff815ea7d559ee917f063901b8986f038abc6";
    private static final String[] LOAD_ORDER = {"libggml-base.so", "libggml-cpu.so", "libggml-cuda.so",
            "libggml-rpc.so", "libggml.so", "libllama.so"};

    private static volatile Path loadedFrom;

    private NativeLibrary() {
    }

    /** Loads the libraries and initialises llama.cpp if that has not happened yet; returns the lib folder. */
    public static Path ensureLoaded() {
        Path dir = loadedFrom;
        if (dir != null) {
            return dir;
        }
        synchronized (NativeLibrary.class) {
            if (loadedFrom == null) {
                Path lib = locate();
                for (String name : LOAD_ORDER) {
                    Path so = lib.resolve(name);
                    if (Files.isRegularFile(so)) {
                        try {
                            System.load(so.toString());
                        } catch (UnsatisfiedLinkError e) {
                            throw new CtxbenchException("cannot load " + so + ": " + e.getMessage()
                                    + " (was it built on this machine? rebuild with native/build.sh)", e);
                        }
                    }
                }
                LlamaLog.install();
                llama_h.llama_backend_init();
                loadedFrom = lib;
            }
            return loadedFrom;
        }
    }

    /** llama.cpp's one-line summary of what the CPU backend was compiled with ({@code llama_print_system_info}). */
    public static String systemInfo() {
        ensureLoaded();
        return Devices.cString(llama_h.llama_print_system_info()).strip();
    }

    /** The folder the libraries were (or would be) loaded from. */
    public static Path locate() {
        String prop = System.getProperty("ctxbench.native.dir");
        if (prop != null && !prop.isBlank()) {
            return libFolder(Path.of(prop), "system property ctxbench.native.dir");
        }
        String env = System.getenv("CTXBENCH_NATIVE_DIR");
        if (env != null && !env.isBlank()) {
            return libFolder(Path.of(env), "environment variable CTXBENCH_NATIVE_DIR");
        }
        Path cache = cacheDir().resolve("native");
        List<Path> builds = new ArrayList<>();
        if (Files.isDirectory(cache)) {
            try (Stream<Path> s = Files.list(cache)) {
                s.filter(p -> p.getFileName().toString().startsWith(LLAMA_CPP_COMMIT.substring(0, 8) + "-"))
                        .filter(p -> Files.exists(p.resolve(".complete")))
                        .forEach(builds::add);
            } catch (IOException e) {
                throw new CtxbenchException("cannot list the native cache " + cache + ": " + e.getMessage(), e);
            }
        }
        // a CUDA build wins over a CPU one; among equals, the newest
        builds.sort(Comparator.comparing((Path p) -> !p.getFileName().toString().contains("-cuda-"))
                .thenComparing(p -> -p.toFile().lastModified()));
        if (builds.isEmpty()) {
            throw new CtxbenchException("no llama.cpp build found in " + cache
                    + ": run native/build.sh (or scripts/ctxbench, which builds it), or point -Dctxbench.native.dir"
                    + " / CTXBENCH_NATIVE_DIR at a folder holding lib/libllama.so");
        }
        return builds.getFirst().resolve("lib");
    }

    public static Path cacheDir() {
        String c = System.getenv("CTXBENCH_CACHE");
        return c != null && !c.isBlank() ? Path.of(c) : Path.of(System.getProperty("user.home"), ".cache", "ctxbench");
    }

    private static Path libFolder(Path p, String origin) {
        if (Files.isRegularFile(p.resolve("libllama.so"))) {
            return p;
        }
        if (Files.isRegularFile(p.resolve("lib").resolve("libllama.so"))) {
            return p.resolve("lib");
        }
        throw new CtxbenchException(origin + " points at " + p + ", which holds neither libllama.so nor lib/libllama.so");
    }
}
