package io.ctxbench.cli;

import com.sun.net.httpserver.HttpServer;
import io.ctxbench.CtxbenchException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DataCommandTest {
    @Test
    void pullsAndUnpacksTheReleaseFromALoopbackServer(@TempDir Path tmp) throws Exception {
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(zip)) {
            z.putNextEntry(new ZipEntry("data/"));
            z.putNextEntry(new ZipEntry("data/qasper.jsonl"));
            z.write("{\"input\": \"q\"}\n".getBytes(StandardCharsets.UTF_8));
            z.putNextEntry(new ZipEntry("../../evil.jsonl"));
            z.write("x\n".getBytes(StandardCharsets.UTF_8));
            z.putNextEntry(new ZipEntry("data/readme.txt"));
            z.write("ignored".getBytes(StandardCharsets.UTF_8));
        }
        byte[] body = zip.toByteArray();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/data.zip", ex -> {
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/data.zip";
            Path dest = tmp.resolve("lb");
            List<Path> files = DataCommand.pull(url, null, dest);
            assertEquals(List.of(dest.resolve("qasper.jsonl"), dest.resolve("evil.jsonl")), files);
            assertEquals("{\"input\": \"q\"}\n", Files.readString(dest.resolve("qasper.jsonl")));
            assertTrue(Files.notExists(tmp.resolve("evil.jsonl")));
            CtxbenchException bad = assertThrows(CtxbenchException.class, () -> DataCommand.pull(url, "00", tmp.resolve("x")));
            assertTrue(bad.getMessage().contains("checksum mismatch"), bad.getMessage());
            CtxbenchException missing = assertThrows(CtxbenchException.class,
                    () -> DataCommand.pull("http://127.0.0.1:" + server.getAddress().getPort() + "/nope.zip", null, tmp.resolve("y")));
            assertTrue(missing.getMessage().contains("HTTP 404"), missing.getMessage());
        } finally {
            server.stop(0);
        }
    }

    @Test
    void pullsFromAFileUrlForAirGappedNodesAndRefusesOtherSchemes(@TempDir Path tmp) throws Exception {
        Path zip = tmp.resolve("data.zip");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(zip))) {
            z.putNextEntry(new ZipEntry("data/qasper.jsonl"));
            z.write("{\"input\": \"q\"}\n".getBytes(StandardCharsets.UTF_8));
        }
        Path dest = tmp.resolve("lb");
        assertEquals(List.of(dest.resolve("qasper.jsonl")), DataCommand.pull(zip.toUri().toString(), null, dest));
        assertEquals("{\"input\": \"q\"}\n", Files.readString(dest.resolve("qasper.jsonl")));
        assertTrue(Files.exists(zip), "the source archive is left alone");
        CtxbenchException missing = assertThrows(CtxbenchException.class,
                () -> DataCommand.pull(tmp.resolve("nope.zip").toUri().toString(), null, tmp.resolve("m")));
        assertTrue(missing.getMessage().contains("nope.zip") && missing.getMessage().contains("not found"), missing.getMessage());
        for (String bad : List.of("ftp://example.org/data.zip", "data.zip", "http:///data.zip", "file://host/data.zip",
                "file:///data.zip?x=1")) {
            CtxbenchException e = assertThrows(CtxbenchException.class, () -> DataCommand.pull(bad, null, tmp.resolve("b")));
            assertTrue(e.getMessage().contains("http://, https:// or file:"), bad + ": " + e.getMessage());
        }
    }
}
