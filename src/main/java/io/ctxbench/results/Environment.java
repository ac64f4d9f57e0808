package io.ctxbench.results;

import io.ctxbench.engine.BackendFeatures;
import io.ctxbench.engine.Devices;
import io.ctxbench.engine.NativeLibrary;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a result was measured on and with, the one environment manifest: `ctxbench info --json` prints it, eval's
 * manifest.json and the sweep's sweep.json embed it. The llama.cpp build (commit, the native folder's BUILD_INFO
 * with its flags, llama.cpp's system info and the CPU features its CPU backend runs with, the K-V pairs CUDA has
 * flash-attention kernels for), the devices llama.cpp sees with their memory, GPU / driver (nvidia-smi) and CUDA
 * (the driver's API version, nvcc), CPU, Java, OS, host, the command line and the date. What a machine lacks (no
 * nvidia-smi, no nvcc) is null.
 *
 * @param gpu            nvidia-smi's name, driver version, memory and maximum SM clock of each GPU, "; "-separated
 * @param cudaFlashAttentionKvPairs null without CUDA; ["all"] when every pair was compiled
 * @param cpuDefaultThreads what -t 0 gives: one per physical core (llama.cpp's default; 0 in manifests before it)
 */
public record Environment(int schema, String dateUtc, String tool, String toolVersion, List<String> commandLine,
                          String llamaCppCommit, String nativeDir, List<String> buildInfo, String systemInfo,
                          List<String> cpuFeatures, List<String> cudaFlashAttentionKvPairs, List<Device> devices,
                          String gpu, String gpuDriver, String cudaDriverApi, String nvcc, String cpu, int cpuCoresAvailable,
                          int cpuDefaultThreads, String java, String os, String host) {

    /** A device as llama.cpp sees it, with its memory when the manifest was taken. */
    public record Device(int index, String name, String description, String type, long freeBytes, long totalBytes) {
    }

    /** The environment of this process now (loads the native library if it is not yet). */
    public static Environment collect(List<String> commandLine) {
        Path lib = NativeLibrary.ensureLoaded();
        Path nativeDir = lib.getParent();
        List<String> build = new ArrayList<>();
        try {
            Path info = nativeDir.resolve("BUILD_INFO");
            if (Files.isRegularFile(info)) {
                build.addAll(Files.readAllLines(info, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            build.add("unreadable: " + e.getMessage());
        }
        String systemInfo = NativeLibrary.systemInfo();
        BackendFeatures features = BackendFeatures.parse(systemInfo);
        List<String> faPairs = null;
        if (features.hasCuda()) {
            Set<String> pairs = features.cudaFlashAttentionPairs();
            faPairs = pairs == null ? List.of("all") : List.copyOf(pairs);
        }
        List<Device> devices = new ArrayList<>();
        List<Devices.Memory> mem = Devices.memory();
        for (Devices.Device d : Devices.list()) {
            Devices.Memory m = mem.get(d.index());
            devices.add(new Device(d.index(), d.name(), d.description(), d.type(), m.free(), m.total()));
        }
        String gpu = null, driver = null, cudaApi = null, nvcc = null;
        String smi = exec("nvidia-smi", "--query-gpu=name,driver_version,memory.total,clocks.max.sm", "--format=csv,noheader");
        if (smi != null && !smi.isBlank()) {
            List<String> lines = smi.strip().lines().map(String::strip).toList();
            gpu = String.join("; ", lines);
            String[] first = lines.getFirst().split(",");
            driver = first.length > 1 ? first[1].strip() : null;
            Matcher m = Pattern.compile("CUDA Version: *([0-9.]+)").matcher(String.valueOf(exec("nvidia-smi")));
            cudaApi = m.find() ? m.group(1) : null;
        }
        String nvccOut = exec("nvcc", "--version");
        if (nvccOut != null) {
            Matcher r = Pattern.compile("release ([0-9.]+), (V[0-9.]+)").matcher(nvccOut);
            nvcc = r.find() ? r.group(1) + " (" + r.group(2) + ")" : null;
        }
        return new Environment(Schema.CURRENT, Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), "ctxbench",
                currentToolVersion(), List.copyOf(commandLine), NativeLibrary.LLAMA_CPP_COMMIT, nativeDir.toString(), build,
                systemInfo, features.cpuFeatures(), faPairs, devices, gpu, driver, cudaApi, nvcc, cpuName(),
                Runtime.getRuntime().availableProcessors(), io.ctxbench.engine.Threads.defaultCount(),
                Runtime.version() + " (" + System.getProperty("java.vm.name") + ")",
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
                hostName());
    }

    public static String currentToolVersion() {
        String v = Environment.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** The CPU model from /proc/cpuinfo, else the architecture. */
    static String cpuName() {
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
    private static String exec(String... cmd) {
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
