package io.ctxbench.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Generation over llama.cpp's RPC backend: two ggml-rpc-server processes on loopback (CPU devices) hold the
 * layers. RPC devices stay registered for the life of a process, so every run here is a child JVM running
 * the CLI, and this test's own JVM never attaches them.
 */
class RpcTest {
    private static final List<Process> servers = new ArrayList<>();
    private static final List<String> endpoints = new ArrayList<>();
    private static final String PROMPT = "The three primary colors are";

    @BeforeAll
    static void startServers() throws Exception {
        for (int i = 0; i < 2; i++) {
            endpoints.add(startServer());
        }
    }

    @AfterAll
    static void stopServers() {
        servers.forEach(Process::destroyForcibly);
    }

    @Test
    void tokensOverTwoRpcServersEqualTheLocalRun() throws Exception {
        Run local = cli("generate", "--no-chat", "-p", PROMPT, "-n", "24", "--ignore-eos", "--json");
        Run remote = cli("generate", "--no-chat", "-p", PROMPT, "-n", "24", "--ignore-eos", "--json",
                "--rpc", String.join(",", endpoints), "--split-mode", "layer");
        assertEquals(0, local.code, local.err);
        assertEquals(0, remote.code, remote.err);
        ObjectMapper m = new ObjectMapper();
        JsonNode a = m.readTree(local.out), b = m.readTree(remote.out);
        assertEquals(24, a.get("tokens").size());
        assertEquals(a.get("tokens"), b.get("tokens"), "RPC run produced other tokens");
        // the RPC devices took part: they are in the memory readings
        assertTrue(b.get("memory").get("after_load").toString().contains("RPC0"), b.get("memory").toString());
        assertTrue(b.get("memory").get("after_load").toString().contains("RPC1"));
    }

    @Test
    void unreachableServerIsAClearError() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        Run r = cli("generate", "--no-chat", "-p", PROMPT, "-n", "4", "--rpc", "127.0.0.1:" + closed);
        assertEquals(1, r.code, r.err);
        assertTrue(r.err.contains("cannot reach RPC server 127.0.0.1:" + closed), r.err);
    }

    @Test
    void droppedServerEndsTheRunWithAMessageNotAHang() throws Exception {
        String endpoint = startServer();
        Process p = child("generate", "--no-chat", "-p", PROMPT, "-n", "3000", "-c", "3100", "--ignore-eos",
                "--rpc", endpoint, "--rpc-timeout", "10");
        // the model is on the server and decoding: wait for the client's connection (a loaded machine can take
        // longer than any fixed sleep to start the JVM and load), then a little for the upload and the first steps
        awaitClient(Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1)), 120);
        Thread.sleep(3000);
        servers.getLast().destroyForcibly().waitFor();
        long t0 = System.nanoTime();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("the run hung after its RPC server went away");
        }
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.exitValue() == LlamaLog.ABORT_EXIT_CODE || p.exitValue() == Watchdog.EXIT_CODE,
                "exit " + p.exitValue() + ": " + err);
        assertTrue(err.contains("RPC"), err);
        assertTrue(System.nanoTime() - t0 < 30_000_000_000L);
    }

    /** Waits until a TCP connection to the local port is established (read from /proc/net/tcp: state 01). */
    private static void awaitClient(int port, int seconds) throws Exception {
        String hexPort = String.format(":%04X", port);
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            for (String l : java.nio.file.Files.readAllLines(Path.of("/proc/net/tcp"))) {
                String[] f = l.strip().split("\\s+");
                if (f.length > 3 && f[1].endsWith(hexPort) && f[3].equals("01")) {
                    return;
                }
            }
            Thread.sleep(100);
        }
        fail("no client connected to the RPC server on port " + port + " within " + seconds + " s");
    }

    private record Run(int code, String out, String err) {
    }

    private static Run cli(String... args) throws IOException, InterruptedException {
        Process p = child(args);
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "child did not finish");
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    private static Process child(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "-Dctxbench.native.dir=" + TestFiles.nativeBuild(), "io.ctxbench.cli.Main"));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("-m", TestFiles.smolLm2().toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (!args[args.length - 1].equals("--json") && !List.of(args).contains("--json")) {
            pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        }
        return pb.start();
    }

    private static String startServer() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Process p = new ProcessBuilder(TestFiles.tool("ggml-rpc-server").toString(), "-H", "127.0.0.1", "-p",
                Integer.toString(port)).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        servers.add(p);
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return "127.0.0.1:" + port;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        fail("ggml-rpc-server did not start on port " + port);
        return null;
    }
}
