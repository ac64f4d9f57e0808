package io.ctxbench.bench.jmh;

import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.NativeLibrary;
import io.ctxbench.gguf.ModelCatalog;
import io.ctxbench.gguf.ModelShape;
import io.ctxbench.gguf.SyntheticModel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The {@code model} parameter of the benchmarks: a GGUF path, or {@code synth:SHAPE:TYPE} (e.g.
 * {@code synth:tiny:f16}, {@code synth:llama-3.1-8b:q4_0}) for a random-weight model in a catalog shape, written
 * once to {@code $CTXBENCH_CACHE/models/synth-SHAPE-TYPE.gguf} with the tokenizer of the pinned llama.cpp source.
 */
final class BenchModels {
    private BenchModels() {
    }

    static synchronized Path resolve(String spec) {
        if (!spec.startsWith("synth:")) {
            Path p = Path.of(spec);
            if (!Files.isRegularFile(p)) {
                throw new CtxbenchException("benchmark model not found: " + p);
            }
            return p;
        }
        String[] parts = spec.split(":");
        if (parts.length != 3) {
            throw new CtxbenchException("synthetic model spec must be synth:SHAPE:TYPE, got " + spec);
        }
        ModelShape shape = ModelCatalog.load().require(parts[1]);
        SyntheticModel.WeightType type = SyntheticModel.WeightType.parse(parts[2]);
        Path dir = NativeLibrary.cacheDir().resolve("models");
        Path out = dir.resolve("synth-" + shape.name() + "-" + type.name().toLowerCase(java.util.Locale.ROOT) + ".gguf");
        if (Files.isRegularFile(out)) {
            return out;
        }
        Path vocab = NativeLibrary.cacheDir().resolve("src").resolve("llama.cpp-" + NativeLibrary.LLAMA_CPP_COMMIT.substring(0, 8))
                .resolve("models").resolve(shape.vocab());
        if (!Files.isRegularFile(vocab)) {
            throw new CtxbenchException("tokenizer " + vocab + " not found: run native/build.sh, which unpacks the llama.cpp source");
        }
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "synth-", ".part");
            try {
                SyntheticModel.write(shape, type, vocab, tmp, 42, 0);
                Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new CtxbenchException("cannot write synthetic model " + out + ": " + e.getMessage(), e);
        }
        return out;
    }
}
