package io.ctxbench.cli;

import io.ctxbench.results.Environment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = {"Show the llama.cpp build in use (commit, variant, flags), what it was compiled with (the CPU "
                + "features its CPU backend runs with; on CUDA the K-V cache type pairs with flash-attention kernels), "
                + "and the devices it sees with their free/total memory."})
final class InfoCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        // the command line as the sweep records it, so that a saved `info --json` says how it was made
        List<String> args = spec.commandLine().getParseResult().originalArgs();
        List<String> commandLine = new ArrayList<>(List.of("ctxbench"));
        if (args.isEmpty() || !args.getFirst().equals("info")) {
            commandLine.add("info");
        }
        commandLine.addAll(args);
        Environment env = Environment.collect(commandLine);
        if (json) {
            System.out.println(Json.pretty(env));
            return 0;
        }
        System.out.printf("llama.cpp   %s (%s)%n", env.llamaCppCommit().substring(0, 8), env.nativeDir());
        for (String line : env.buildInfo()) {
            System.out.println("  build     " + line);
        }
        System.out.println("system      " + env.systemInfo());
        System.out.println("cpu         " + env.cpu() + ", " + env.cpuCoresAvailable() + " processors, "
                + env.cpuDefaultThreads() + " physical cores (the default -t); features "
                + String.join(" ", env.cpuFeatures()) + "   (those the CPU backend runs with)");
        if (env.cudaFlashAttentionKvPairs() != null) {
            System.out.println("cuda FA K-V " + String.join(" ", env.cudaFlashAttentionKvPairs())
                    + "   (other pairs are converted to f16 on every decode step)");
        }
        if (env.gpu() != null) {
            System.out.println("gpu         " + env.gpu() + (env.cudaDriverApi() == null ? "" : ", CUDA " + env.cudaDriverApi())
                    + (env.nvcc() == null ? "" : ", nvcc " + env.nvcc()));
        }
        System.out.println("java        " + env.java());
        System.out.println("os          " + env.os());
        System.out.println("devices:");
        for (Environment.Device d : env.devices()) {
            System.out.printf("  [%d] %-8s %-5s %-40s free %s of %s%n", d.index(), d.name(), d.type(), d.description(),
                    Format.bytes(d.freeBytes()), Format.bytes(d.totalBytes()));
        }
        return 0;
    }
}
