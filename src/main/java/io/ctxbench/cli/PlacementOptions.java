package io.ctxbench.cli;

import io.ctxbench.engine.Placement;
import io.ctxbench.engine.SplitMode;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** Multi-device options shared by the commands that load models (a picocli mixin). */
public final class PlacementOptions {
    @Option(names = {"-sm", "--split-mode"}, defaultValue = "layer", paramLabel = "none|layer|row",
            description = "How to spread the model over several devices: layer (pipeline, default), row (tensor "
                    + "parallel), none (main GPU only).")
    String splitMode;

    @Option(names = {"-mg", "--main-gpu"}, defaultValue = "0", description = "Device index for split mode none (default: 0).")
    int mainGpu;

    @Option(names = {"-ts", "--tensor-split"}, paramLabel = "SHARES", description = "Share of the model per device, e.g. 3,1.")
    String tensorSplit;

    @Option(names = {"-dev", "--device"}, split = ",", paramLabel = "NAME",
            description = "Devices to use, by name as 'ctxbench info' lists them (e.g. CUDA0,CUDA1 or RPC0,RPC1); default: all.")
    List<String> devices = new ArrayList<>();

    @Option(names = "--rpc", split = ",", paramLabel = "HOST:PORT",
            description = "llama.cpp RPC servers (ggml-rpc-server) whose devices join the list; each is checked before use.")
    List<String> rpc = new ArrayList<>();

    @Option(names = "--rpc-timeout", defaultValue = "120", paramLabel = "SECONDS",
            description = "Give up (exit code 75) when a generation over RPC makes no progress for this long (default: ${DEFAULT-VALUE}).")
    int rpcTimeout;

    Placement placement() {
        return new Placement(SplitMode.parse(splitMode), mainGpu, Placement.parseShares(tensorSplit), devices, rpc, rpcTimeout);
    }
}
