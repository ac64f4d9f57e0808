package io.ctxbench.cli;

import io.ctxbench.engine.BackendFeatures;
import io.ctxbench.engine.Devices;
import io.ctxbench.engine.NativeLibrary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = {"Show the llama.cpp build in use (commit, variant, flags), what it was compiled with (the CPU "
                + "features its CPU backend runs with; on CUDA the K-V cache type pairs with flash-attention kernels), "
                + "and the devices it sees with their free/total memory."})
final class InfoCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @Override
    @SuppressWarnings("unchecked")
    public Integer call() throws IOException {
        Path lib = NativeLibrary.ensureLoaded();
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("llama_cpp_commit", NativeLibrary.LLAMA_CPP_COMMIT);
        info.put("library_dir", lib.toString());
        Path buildInfo = lib.getParent().resolve("BUILD_INFO");
        info.put("build_info", Files.isRegularFile(buildInfo) ? Files.readAllLines(buildInfo) : List.of());
        info.put("system_info", NativeLibrary.systemInfo());
        BackendFeatures features = BackendFeatures.parse(NativeLibrary.systemInfo());
        info.put("cpu_features", features.cpuFeatures());
        if (features.hasCuda()) {
            java.util.Set<String> pairs = features.cudaFlashAttentionPairs();
            info.put("cuda_flash_attention_kv_pairs", pairs == null ? List.of("all") : List.copyOf(pairs));
        }
        info.put("java", Runtime.version().toString() + " (" + System.getProperty("java.vm.name") + ")");
        info.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", "
                + Runtime.getRuntime().availableProcessors() + " processors");
        List<Devices.Device> devs = Devices.list();
        List<Devices.Memory> mem = Devices.memory();
        List<Map<String, Object>> devices = new java.util.ArrayList<>();
        for (int i = 0; i < devs.size(); i++) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("index", i);
            d.put("name", devs.get(i).name());
            d.put("description", devs.get(i).description());
            d.put("type", devs.get(i).type());
            d.put("free_bytes", mem.get(i).free());
            d.put("total_bytes", mem.get(i).total());
            devices.add(d);
        }
        info.put("devices", devices);
        if (json) {
            System.out.println(Json.pretty(info));
            return 0;
        }
        System.out.printf("llama.cpp   %s (%s)%n", NativeLibrary.LLAMA_CPP_COMMIT.substring(0, 8), lib);
        for (Object line : (List<?>) info.get("build_info")) {
            System.out.println("  build     " + line);
        }
        System.out.println("system      " + info.get("system_info"));
        System.out.println("cpu         " + String.join(" ", features.cpuFeatures()) + "   (features the CPU backend runs with)");
        if (info.containsKey("cuda_flash_attention_kv_pairs")) {
            System.out.println("cuda FA K-V " + String.join(" ", (List<String>) info.get("cuda_flash_attention_kv_pairs"))
                    + "   (other pairs are converted to f16 on every decode step)");
        }
        System.out.println("java        " + info.get("java"));
        System.out.println("os          " + info.get("os"));
        System.out.println("devices:");
        for (Map<String, Object> d : devices) {
            System.out.printf("  [%d] %-8s %-5s %-40s free %s of %s%n", d.get("index"), d.get("name"), d.get("type"),
                    d.get("description"), Format.bytes((long) d.get("free_bytes")), Format.bytes((long) d.get("total_bytes")));
        }
        return 0;
    }
}
