package io.ctxbench.engine;

import io.ctxbench.CtxbenchException;

import java.util.List;

/**
 * Where a model's layers go when there is more than one device: the split mode, the main GPU, the share of
 * each device (tensor split), which devices to use (by ggml name, e.g. CUDA0, CUDA1, RPC0; empty = all), and
 * RPC servers (host:port) whose devices join the list. All of it is llama.cpp's own machinery
 * ({@code llama_model_params.split_mode/main_gpu/tensor_split/devices}, the RPC backend).
 */
public record Placement(SplitMode splitMode, int mainGpu, List<Float> tensorSplit, List<String> devices,
                        List<String> rpcServers, int rpcTimeoutSeconds) {
    public static final Placement DEFAULT = new Placement(SplitMode.LAYER, 0, List.of(), List.of(), List.of(), 120);

    public Placement {
        if (splitMode == null) {
            splitMode = SplitMode.LAYER;
        }
        if (mainGpu < 0) {
            throw new CtxbenchException("main GPU index must be >= 0, got " + mainGpu);
        }
        tensorSplit = tensorSplit == null ? List.of() : List.copyOf(tensorSplit);
        for (Float f : tensorSplit) {
            if (f == null || !(f >= 0) || f.isInfinite()) {
                throw new CtxbenchException("tensor split shares must be finite and >= 0, got " + tensorSplit);
            }
        }
        if (!tensorSplit.isEmpty() && tensorSplit.stream().allMatch(f -> f == 0)) {
            throw new CtxbenchException("tensor split shares are all zero");
        }
        devices = devices == null ? List.of() : List.copyOf(devices);
        rpcServers = rpcServers == null ? List.of() : List.copyOf(rpcServers);
        for (String s : rpcServers) {
            Rpc.parseEndpoint(s);
        }
        if (rpcTimeoutSeconds <= 0) {
            throw new CtxbenchException("RPC timeout must be positive, got " + rpcTimeoutSeconds + " s");
        }
    }

    public boolean usesRpc() {
        return !rpcServers.isEmpty();
    }

    /** The same placement with RPC servers added. */
    public Placement withRpc(List<String> servers, int timeoutSeconds) {
        return new Placement(splitMode, mainGpu, tensorSplit, devices, servers, timeoutSeconds);
    }

    /** Parses "3,1" into shares. */
    public static List<Float> parseShares(String s) {
        if (s == null || s.isBlank()) {
            return List.of();
        }
        try {
            return java.util.Arrays.stream(s.split(",")).map(String::strip).map(Float::parseFloat).toList();
        } catch (NumberFormatException e) {
            throw new CtxbenchException("tensor split must be comma-separated numbers such as 3,1 - got '" + s + "'");
        }
    }
}
