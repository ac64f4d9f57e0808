package io.ctxbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.NativeLibrary;
import io.ctxbench.models.PackagedModels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

@Command(name = "data", mixinStandardHelpOptions = true, description = "Evaluation data sets.",
        subcommands = {DataCommand.Pull.class})
final class DataCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "pull", mixinStandardHelpOptions = true,
            description = {"Download a data set's official release and unpack its JSON Lines files, for machines with "
                    + "the network. Known: longbench (the LongBench v1 data.zip; where it comes from is in the jar's "
                    + "models/datasets.json).", "",
                    "Example:  ctxbench data pull longbench   then   ctxbench eval --data ~/.cache/ctxbench/data/longbench/qasper.jsonl", ""})
    static final class Pull implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME", description = "Data set: longbench.")
        String name;

        @Option(names = "--url", description = "Download from this URL instead: a mirror, a local server, or a file: URL"
                + " (file:///path/data.zip) on a node without the network.")
        String url;

        @Option(names = "--dir", paramLabel = "DIR", description = "Where to unpack (default: $CTXBENCH_CACHE/data/NAME).")
        Path dest;

        @Option(names = "--dest", hidden = true)   // the old spelling of --dir, for one release (OldSpelling)
        Path oldDest;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Option(names = "--sha256", paramLabel = "HEX", description = "Check the download against this sha256.")
        String sha256;

        @Override
        public Integer call() throws IOException, InterruptedException {
            dest = OldSpelling.take(spec, "--dir", dest, "--dest", oldDest);
            JsonNode ds;
            try (InputStream in = DataCommand.class.getResourceAsStream("/models/datasets.json")) {
                ds = new ObjectMapper().readTree(in).path("datasets").path(name);
            }
            if (ds.isMissingNode()) {
                throw new CtxbenchException("unknown data set '" + name + "'; known: longbench");
            }
            String from = url != null ? url : ds.path("url").asText();
            String want = sha256 != null ? sha256 : ds.path("sha256").isTextual() ? ds.get("sha256").asText() : null;
            Path dir = dest != null ? dest : NativeLibrary.cacheDir().resolve("data").resolve(name);
            List<Path> files = pull(from, want, dir);
            System.err.println("data: " + files.size() + " file(s) in " + dir);
            for (Path f : files) {
                System.out.println(f);
            }
            return 0;
        }
    }

    /**
     * Downloads a zip (or takes it from a file: URL, for nodes without the network), checks it, and unpacks its .jsonl
     * files flat into {@code dir}; returns them.
     */
    static List<Path> pull(String url, String sha256, Path dir) throws IOException, InterruptedException {
        URI uri = checkedUri(url);
        Files.createDirectories(dir);
        Path part = dir.resolve(".download.part");
        Path zip = part;
        if (uri.getScheme().equalsIgnoreCase("file")) {
            zip = Path.of(uri);
            if (!Files.isRegularFile(zip)) {
                throw new CtxbenchException("archive not found or not a file: " + zip + " (from " + url + ")");
            }
        } else {
            download(uri, part);
        }
        if (sha256 != null) {
            String got = PackagedModels.sha256(zip);
            if (!got.equalsIgnoreCase(sha256)) {
                Files.deleteIfExists(part);
                throw new CtxbenchException("checksum mismatch for " + url + ": expected " + sha256 + ", got " + got);
            }
        }
        List<Path> out = new ArrayList<>();
        try (ZipInputStream zin = new ZipInputStream(Files.newInputStream(zip))) {
            for (ZipEntry e; (e = zin.getNextEntry()) != null; ) {
                String n = e.getName();
                if (e.isDirectory() || !n.endsWith(".jsonl")) {
                    continue;
                }
                String base = n.substring(n.lastIndexOf('/') + 1);
                if (base.isEmpty() || base.startsWith(".") || base.contains("\\")) {
                    continue;
                }
                Path target = dir.resolve(base);   // flat: no path from the archive is used (no zip-slip)
                Path tmp = dir.resolve(base + ".part");
                Files.copy(zin, tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                out.add(target);
            }
        } catch (java.util.zip.ZipException e) {
            throw new CtxbenchException("the download from " + url + " is not a valid zip: " + e.getMessage());
        } finally {
            Files.deleteIfExists(part);
        }
        if (out.isEmpty()) {
            throw new CtxbenchException("the archive from " + url + " holds no .jsonl files");
        }
        return out;
    }

    /** The URL if it is one pull can read: http(s) with a host, or file: naming a local path. */
    private static URI checkedUri(String url) {
        String use = "; give an http://, https:// or file: URL (file:///path/to/data.zip for a local copy)";
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new CtxbenchException("bad URL '" + url + "': " + e.getMessage() + use);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        boolean ok = switch (scheme) {
            case "http", "https" -> uri.getHost() != null;
            case "file" -> uri.getAuthority() == null && uri.getPath() != null && uri.getPath().startsWith("/")
                    && uri.getQuery() == null && uri.getFragment() == null;
            default -> false;
        };
        if (!ok) {
            throw new CtxbenchException("cannot pull from '" + url + "'" + use);
        }
        return uri;
    }

    private static void download(URI uri, Path part) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(30)).build();
        System.err.println("data: downloading " + uri);
        HttpResponse<Path> resp;
        try {
            resp = client.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofFile(part));
        } catch (IOException e) {
            Files.deleteIfExists(part);
            throw new CtxbenchException("cannot download " + uri + ": " + e.getMessage() + " (no network? use --url for a mirror"
                    + " or a file: URL)");
        }
        if (resp.statusCode() != 200) {
            Files.deleteIfExists(part);
            throw new CtxbenchException("download of " + uri + " failed: HTTP " + resp.statusCode());
        }
    }
}
