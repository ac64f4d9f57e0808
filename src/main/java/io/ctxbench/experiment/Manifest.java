package io.ctxbench.experiment;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ctxbench.CtxbenchException;
import io.ctxbench.engine.Devices;
import io.ctxbench.engine.NativeLibrary;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.OffsetDateTime;
import java.util.List;

/**
 * The run manifest (manifest[-shard-i-of-n].json): tool version, llama.cpp commit and build flags, devices, CPU,
 * GPU driver, Java, OS, host, and one entry per session of the run (start, end, command-line flags, summary), so a
 * resumed run keeps the history of its interruptions.
 */
public final class Manifest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Manifest() {
    }

    public static String toolVersion() {
        String v = Manifest.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** Facts about the machine and build, the same for every session. */
    public static ObjectNode environment() {
        ObjectNode o = JSON.createObjectNode();
        o.put("tool", "ctxbench");
        o.put("tool_version", toolVersion());
        o.put("llama_cpp_commit", NativeLibrary.LLAMA_CPP_COMMIT);
        o.put("llama_cpp_system_info", NativeLibrary.systemInfo());
        ArrayNode devs = o.putArray("devices");
        for (Devices.Device d : Devices.list()) {
            devs.addObject().put("name", d.name()).put("description", d.description()).put("type", d.type());
        }
        o.put("cpu", io.ctxbench.bench.RunManifest.cpuName());
        o.put("cpu_cores_available", Runtime.getRuntime().availableProcessors());
        o.put("gpu_driver", gpuDriver());
        o.put("java", Runtime.version().toString());
        o.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        try {
            o.put("host", InetAddress.getLocalHost().getHostName());
        } catch (IOException e) {
            o.put("host", "unknown");
        }
        return o;
    }

    /** Adds a session entry (started now) and writes the manifest; returns the session node to finish later. */
    public static ObjectNode startSession(Path file, ObjectNode config, List<String> argv) {
        return startSession(file, config, argv, null);
    }

    /** As {@link #startSession(Path, ObjectNode, List)}, with {@code extra}'s fields added to the session entry. */
    public static ObjectNode startSession(Path file, ObjectNode config, List<String> argv, ObjectNode extra) {
        ObjectNode root = read(file);
        root.set("environment", environment());
        root.set("config", config);
        ArrayNode sessions = root.has("sessions") ? (ArrayNode) root.get("sessions") : root.putArray("sessions");
        ObjectNode s = sessions.addObject();
        s.put("started", OffsetDateTime.now().toString());
        ArrayNode a = s.putArray("argv");
        argv.forEach(a::add);
        if (extra != null) {
            s.setAll(extra);
        }
        write(file, root);
        return s;
    }

    /** Marks the last session finished with its summary and writes the manifest. */
    public static void finishSession(Path file, ObjectNode summary) {
        ObjectNode root = read(file);
        ArrayNode sessions = (ArrayNode) root.get("sessions");
        ObjectNode s = (ObjectNode) sessions.get(sessions.size() - 1);
        s.put("finished", OffsetDateTime.now().toString());
        s.set("summary", summary);
        write(file, root);
    }

    private static ObjectNode read(Path file) {
        if (!Files.isRegularFile(file)) {
            return JSON.createObjectNode();
        }
        try {
            return (ObjectNode) JSON.readTree(file.toFile());
        } catch (IOException | ClassCastException e) {
            throw new CtxbenchException("run manifest " + file + " is unreadable: " + e.getMessage());
        }
    }

    private static void write(Path file, ObjectNode root) {
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), root);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new CtxbenchException("cannot write run manifest " + file + ": " + e.getMessage(), e);
        }
    }

    private static String gpuDriver() {
        try {
            Path p = Path.of("/proc/driver/nvidia/version");
            if (Files.isRegularFile(p)) {
                return Files.readAllLines(p).getFirst().strip();
            }
        } catch (IOException | RuntimeException e) {
            // no driver file
        }
        return "none";
    }
}
