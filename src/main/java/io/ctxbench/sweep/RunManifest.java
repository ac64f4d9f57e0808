package io.ctxbench.sweep;

import io.ctxbench.engine.Devices;
import io.ctxbench.engine.NativeLibrary;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a result was measured on and with: date, tool version, llama.cpp commit and build flags (the native
 * folder's BUILD_INFO), llama.cpp's system info, devices with memory, GPU / driver / CUDA version (nvidia-smi,
 * when there is one), CPU, OS, Java, and the command line.
 */
public final class RunManifest {
    private RunManifest() {
    }

    public static Map<String, Object> collect(List<String> commandLine) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("date_utc", DateTimeFormatter.ISO_INSTANT.format(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)));
        String v = RunManifest.class.getPackage().getImplementationVersion();
        m.put("tool", "ctxbench " + (v == null ? "dev" : v));
        m.put("command_line", commandLine);
        m.put("llama_cpp_commit", NativeLibrary.LLAMA_CPP_COMMIT);
        Path lib = NativeLibrary.ensureLoaded();
        m.put("native_dir", lib.getParent().toString());
        List<String> build = new ArrayList<>();
        try {
            Path info = lib.getParent().resolve("BUILD_INFO");
            if (Files.isRegularFile(info)) {
                build.addAll(Files.readAllLines(info, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            build.add("unreadable: " + e.getMessage());
        }
        m.put("build_info", build);
        m.put("system_info", NativeLibrary.systemInfo());
        List<Map<String, Object>> devs = new ArrayList<>();
        List<Devices.Memory> mem = Devices.memory();
        for (Devices.Device d : Devices.list()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("name", d.name());
            x.put("description", d.description());
            x.put("type", d.type());
            x.put("total_bytes", mem.get(d.index()).total());
            x.put("free_bytes", mem.get(d.index()).free());
            devs.add(x);
        }
        m.put("devices", devs);
        String smi = exec("nvidia-smi", "--query-gpu=name,driver_version,memory.total,clocks.max.sm", "--format=csv,noheader");
        if (smi != null) {
            m.put("gpu", smi.strip());
            Matcher cuda = Pattern.compile("CUDA Version: *([0-9.]+)").matcher(String.valueOf(exec("nvidia-smi")));
            if (cuda.find()) {
                m.put("cuda_driver_api", cuda.group(1));
            }
        }
        String nvcc = exec("nvcc", "--version");
        if (nvcc != null) {
            Matcher r = Pattern.compile("release ([0-9.]+), (V[0-9.]+)").matcher(nvcc);
            if (r.find()) {
                m.put("nvcc", r.group(1) + " (" + r.group(2) + ")");
            }
        }
        m.put("cpu", cpuName() + ", " + Runtime.getRuntime().availableProcessors() + " processors");
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        m.put("java", Runtime.version().toString() + " (" + System.getProperty("java.vm.name") + ")");
        m.put("host", hostName());
        return m;
    }

    /** A short machine name for result folders: the first GPU's model (e.g. nvidia-h100-80gb-hbm3), else cpu. */
    public static String machineSlug() {
        for (Devices.Device d : Devices.list()) {
            if (!d.type().equals("cpu")) {
                return slug(d.description());
            }
        }
        return "cpu";
    }

    public static String today() {
        return DateTimeFormatter.ISO_LOCAL_DATE.format(Instant.now().atOffset(ZoneOffset.UTC));
    }

    static String slug(String s) {
        String t = s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-+|-+$)", "");
        return t.isEmpty() ? "unknown" : t;
    }

    /** The CPU model from /proc/cpuinfo, else the architecture. */
    public static String cpuName() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (l.startsWith("model name")) {
                    return l.substring(l.indexOf(':') + 1).strip();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Output of a command, or null when it is missing or fails. */
    static String exec(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                return null;
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
