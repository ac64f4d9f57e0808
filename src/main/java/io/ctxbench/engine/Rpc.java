package io.ctxbench.engine;

import io.ctxbench.CtxbenchException;
import io.ctxbench.llama.ffi.llama_h;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Attaches llama.cpp RPC servers ({@code ggml-rpc-server}, built by native/build.sh) so their devices can
 * hold layers. llama.cpp aborts the process when a server cannot be reached, so each endpoint is first
 * checked with a plain TCP connect bounded by a timeout, and refused with a message when it does not answer.
 */
public final class Rpc {
    private static final Map<String, List<String>> attached = new HashMap<>();

    private Rpc() {
    }

    /** host:port, checked for shape. */
    static InetSocketAddress parseEndpoint(String endpoint) {
        int colon = endpoint == null ? -1 : endpoint.lastIndexOf(':');
        if (colon <= 0 || colon == endpoint.length() - 1) {
            throw new CtxbenchException("RPC server must be host:port, got '" + endpoint + "'");
        }
        try {
            int port = Integer.parseInt(endpoint.substring(colon + 1));
            if (port <= 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return InetSocketAddress.createUnresolved(endpoint.substring(0, colon), port);
        } catch (NumberFormatException e) {
            throw new CtxbenchException("RPC server port must be 1..65535, got '" + endpoint + "'");
        }
    }

    /** Attaches every endpoint (once per process) and returns the names of the devices they added, in order. */
    public static synchronized List<String> attach(List<String> endpoints, int connectTimeoutMillis) {
        NativeLibrary.ensureLoaded();
        List<String> names = new ArrayList<>();
        for (String e : endpoints) {
            List<String> known = attached.get(e);
            if (known == null) {
                InetSocketAddress a = parseEndpoint(e);
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(a.getHostString(), a.getPort()), connectTimeoutMillis);
                } catch (IOException ex) {
                    throw new CtxbenchException("cannot reach RPC server " + e + " (" + ex.getMessage()
                            + "): start it with ggml-rpc-server -H <host> -p <port> on that machine");
                }
                MemorySegment reg;
                try (Arena arena = Arena.ofConfined()) {
                    reg = llama_h.ggml_backend_rpc_add_server(arena.allocateFrom(e));
                }
                if (reg.equals(MemorySegment.NULL)) {
                    throw new CtxbenchException("RPC server " + e + " answered but offers no device" + LlamaLog.lastErrorHint());
                }
                llama_h.ggml_backend_register(reg);
                known = new ArrayList<>();
                long n = llama_h.ggml_backend_reg_dev_count(reg);
                for (long i = 0; i < n; i++) {
                    known.add(Devices.cString(llama_h.ggml_backend_dev_name(llama_h.ggml_backend_reg_dev_get(reg, i))));
                }
                attached.put(e, known);
            }
            names.addAll(known);
        }
        return names;
    }
}
