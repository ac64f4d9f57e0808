package io.ctxbench.engine;

import io.ctxbench.CtxbenchException;
import io.ctxbench.llama.ffi.llama_chat_message;
import io.ctxbench.llama.ffi.llama_h;
import io.ctxbench.llama.ffi.llama_model_params;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * A loaded GGUF model ({@code llama_model*}) and its vocabulary. Owns the native model until {@link #close()};
 * sessions made from it must be closed first. Not thread-safe.
 */
public final class Model implements AutoCloseable {

    /**
     * How to load a model. {@code gpuLayers} &lt; 0 means all layers (llama.cpp's default), 0 keeps the
     * weights on the CPU.
     */
    public record Params(Path path, int gpuLayers, LoadMode loadMode, boolean vocabOnly, Placement placement) {
        public Params {
            if (path == null) {
                throw new CtxbenchException("no model file given");
            }
            if (loadMode == null) {
                loadMode = LoadMode.AUTO;
            }
            if (placement == null) {
                placement = Placement.DEFAULT;
            }
        }

        public Params(Path path, int gpuLayers, LoadMode loadMode, boolean vocabOnly) {
            this(path, gpuLayers, loadMode, vocabOnly, Placement.DEFAULT);
        }

        public static Params of(Path path) {
            return new Params(path, -1, LoadMode.AUTO, false);
        }

        public Params withGpuLayers(int n) {
            return new Params(path, n, loadMode, vocabOnly, placement);
        }

        public Params withVocabOnly(boolean v) {
            return new Params(path, gpuLayers, loadMode, v, placement);
        }

        public Params withPlacement(Placement p) {
            return new Params(path, gpuLayers, loadMode, vocabOnly, p);
        }
    }

    /** A chat turn for {@link #applyChatTemplate}. */
    public record ChatMessage(String role, String content) {
    }

    private final Params params;
    private MemorySegment model;
    private final MemorySegment vocab;
    private final Info info;
    private final List<Devices.Memory> memoryBeforeLoad;
    private final List<Devices.Memory> memoryAfterLoad;

    private Model(Params params, MemorySegment model, List<Devices.Memory> before) {
        this.params = params;
        this.model = model;
        this.memoryBeforeLoad = before;
        this.memoryAfterLoad = Devices.memory();
        this.vocab = llama_h.llama_model_get_vocab(model);
        this.info = readInfo();
    }

    /**
     * Loads a model. The file is checked first (exists, is a regular readable file, is a well-formed GGUF
     * whose tensor data lies inside the file), so that bad input ends in a {@link CtxbenchException} rather
     * than in llama.cpp.
     */
    public static Model load(Params p) {
        ModelFiles.checkGguf(p.path(), p.vocabOnly());
        NativeLibrary.ensureLoaded();
        Placement pl = p.placement();
        if (pl.usesRpc()) {
            Rpc.attach(pl.rpcServers(), 5000);
        }
        List<Devices.Memory> before = Devices.memory();
        LlamaLog.clear();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mp = llama_h.llama_model_default_params(arena);
            llama_model_params.n_gpu_layers(mp, p.gpuLayers());
            llama_model_params.load_mode(mp, p.loadMode().value);
            llama_model_params.vocab_only(mp, p.vocabOnly());
            place(mp, pl, arena);
            MemorySegment m = llama_h.llama_model_load_from_file(arena.allocateFrom(p.path().toString()), mp);
            if (m.equals(MemorySegment.NULL)) {
                throw new CtxbenchException("llama.cpp could not load the model " + p.path() + LlamaLog.lastErrorHint());
            }
            return new Model(p, m, before);
        }
    }

    public Params params() {
        return params;
    }

    /** Writes split mode, main GPU, tensor split and the device list into llama_model_params, checked first. */
    private static void place(MemorySegment mp, Placement pl, Arena arena) {
        llama_model_params.split_mode(mp, pl.splitMode().value);
        List<Devices.Device> all = Devices.list();
        List<Devices.Device> offload = pl.devices().isEmpty()
                ? all.stream().filter(d -> !d.type().equals("cpu")).toList()
                : pl.devices().stream().map(name -> all.stream().filter(d -> d.name().equals(name)).findFirst()
                        .orElseThrow(() -> new CtxbenchException("no device named '" + name + "'; devices: "
                                + all.stream().map(Devices.Device::name).toList()))).toList();
        if (pl.mainGpu() > 0 && pl.mainGpu() >= offload.size()) {
            throw new CtxbenchException("main GPU " + pl.mainGpu() + " does not exist: " + offload.size()
                    + " offload device(s) " + offload.stream().map(Devices.Device::name).toList());
        }
        llama_model_params.main_gpu(mp, pl.mainGpu());
        if (!pl.tensorSplit().isEmpty()) {
            long max = llama_h.llama_max_devices();
            if (pl.tensorSplit().size() > Math.max(1, offload.size()) || pl.tensorSplit().size() > max) {
                throw new CtxbenchException("tensor split has " + pl.tensorSplit().size() + " shares but there are "
                        + offload.size() + " offload device(s)");
            }
            MemorySegment split = arena.allocate(java.lang.foreign.ValueLayout.JAVA_FLOAT, max);
            for (int i = 0; i < pl.tensorSplit().size(); i++) {
                split.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, pl.tensorSplit().get(i));
            }
            llama_model_params.tensor_split(mp, split);
        }
        if (!pl.devices().isEmpty()) {
            MemorySegment devs = arena.allocate(java.lang.foreign.ValueLayout.ADDRESS, pl.devices().size() + 1L);
            for (int i = 0; i < pl.devices().size(); i++) {
                devs.setAtIndex(java.lang.foreign.ValueLayout.ADDRESS, i,
                        llama_h.ggml_backend_dev_get(offload.get(i).index()));
            }
            devs.setAtIndex(java.lang.foreign.ValueLayout.ADDRESS, pl.devices().size(), MemorySegment.NULL);
            llama_model_params.devices(mp, devs);
        }
    }

    /** Shape and size facts read from the loaded model. */
    public Info info() {
        return info;
    }

    /** Bytes of the weights ({@code llama_model_size}). */
    public long sizeBytes() {
        return info.sizeBytes();
    }

    /** Device memory right before and right after the weights were loaded. */
    public List<Devices.Memory> memoryBeforeLoad() {
        return memoryBeforeLoad;
    }

    public List<Devices.Memory> memoryAfterLoad() {
        return memoryAfterLoad;
    }

    MemorySegment handle() {
        if (model == null) {
            throw new IllegalStateException("model " + params.path() + " is closed");
        }
        return model;
    }

    MemorySegment vocab() {
        handle();
        return vocab;
    }

    /** Number of tokens in the vocabulary. */
    public int vocabSize() {
        return llama_h.llama_vocab_n_tokens(vocab());
    }

    /**
     * Tokenizes text as llama.cpp does. {@code addSpecial} adds BOS/EOS as the model's metadata says;
     * {@code parseSpecial} turns special-token text (e.g. {@code <|im_start|>}) into the special token.
     */
    public int[] tokenize(String text, boolean addSpecial, boolean parseSpecial) {
        return tokenize(text.getBytes(StandardCharsets.UTF_8), addSpecial, parseSpecial);
    }

    /** Tokenizes raw bytes (usually UTF-8; invalid sequences are passed to llama.cpp unchanged). */
    public int[] tokenize(byte[] utf8, boolean addSpecial, boolean parseSpecial) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment t = arena.allocate(utf8.length + 1L);
            MemorySegment.copy(utf8, 0, t, ValueLayout.JAVA_BYTE, 0, utf8.length);
            int cap = utf8.length + 8;
            MemorySegment out = arena.allocate(ValueLayout.JAVA_INT, cap);
            int n = llama_h.llama_tokenize(vocab(), t, utf8.length, out, cap, addSpecial, parseSpecial);
            if (n < 0) {
                if (n == Integer.MIN_VALUE) {
                    throw new CtxbenchException("text too long to tokenize (" + utf8.length + " bytes)");
                }
                cap = -n;
                out = arena.allocate(ValueLayout.JAVA_INT, cap);
                n = llama_h.llama_tokenize(vocab(), t, utf8.length, out, cap, addSpecial, parseSpecial);
                if (n < 0) {
                    throw new CtxbenchException("tokenization failed (llama_tokenize returned " + n + ")");
                }
            }
            if (n == 0 && addSpecial && llama_h.llama_vocab_get_add_bos(vocab())) {
                return new int[]{llama_h.llama_vocab_bos(vocab())};   // empty text: just BOS, as llama-bench's tg starts
            }
            return out.asSlice(0, (long) n * Integer.BYTES).toArray(ValueLayout.JAVA_INT);
        }
    }

    /** Each token's piece as {@code llama_token_to_piece} renders it (what llama-simple prints), concatenated. */
    public String pieces(int[] tokens, boolean renderSpecial) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (Arena arena = Arena.ofConfined()) {
            int cap = 256;
            MemorySegment buf = arena.allocate(cap);
            for (int t : tokens) {
                int n = llama_h.llama_token_to_piece(vocab(), t, buf, cap, 0, renderSpecial);
                if (n < 0) {
                    throw new CtxbenchException("token " + t + " has a piece longer than " + cap + " bytes");
                }
                bytes.writeBytes(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE));
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /**
     * The raw bytes of one token's piece as {@code llama_token_to_piece} writes them (no leading-space
     * stripping; special tokens rendered when asked). Byte-level BPE pieces may be part of a UTF-8 character,
     * so this is bytes, not text: concatenated over a tokenization they give back the tokenized bytes.
     */
    public byte[] pieceBytes(int token, boolean renderSpecial) {
        if (token < 0 || token >= vocabSize()) {
            throw new CtxbenchException("token id " + token + " is outside the vocabulary (0.." + (vocabSize() - 1) + ")");
        }
        try (Arena arena = Arena.ofConfined()) {
            int cap = 256;
            MemorySegment buf = arena.allocate(cap);
            int n = llama_h.llama_token_to_piece(vocab(), token, buf, cap, 0, renderSpecial);
            if (n < 0) {
                cap = -n;
                buf = arena.allocate(cap);
                n = llama_h.llama_token_to_piece(vocab(), token, buf, cap, 0, renderSpecial);
            }
            if (n < 0) {
                throw new CtxbenchException("llama_token_to_piece failed for token " + token);
            }
            return buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /** Whether tokenizing with {@code addSpecial} puts a BOS token first ({@code llama_vocab_get_add_bos}). */
    public boolean addsBos() {
        return llama_h.llama_vocab_get_add_bos(vocab());
    }

    /** Text of the tokens, as {@code llama_detokenize} renders it (special tokens rendered when asked). */
    public String detokenize(int[] tokens, int from, int to, boolean renderSpecial) {
        if (from < 0 || to > tokens.length || from > to) {
            throw new IndexOutOfBoundsException("token range [" + from + "," + to + ") of " + tokens.length);
        }
        int n = to - from;
        if (n == 0) {
            return "";
        }
        int vocabSize = vocabSize();
        for (int i = from; i < to; i++) {
            if (tokens[i] < 0 || tokens[i] >= vocabSize) {
                throw new CtxbenchException("token id " + tokens[i] + " is outside the vocabulary (0.." + (vocabSize - 1) + ")");
            }
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment tok = arena.allocate(ValueLayout.JAVA_INT, n);
            MemorySegment.copy(tokens, from, tok, ValueLayout.JAVA_INT, 0, n);
            int cap = n * 16 + 64;
            MemorySegment buf = arena.allocate(cap);
            int len = llama_h.llama_detokenize(vocab(), tok, n, buf, cap, false, renderSpecial);
            if (len < 0) {
                cap = -len;
                buf = arena.allocate(cap);
                len = llama_h.llama_detokenize(vocab(), tok, n, buf, cap, false, renderSpecial);
            }
            if (len < 0) {
                throw new CtxbenchException("detokenization failed (llama_detokenize returned " + len + ")");
            }
            return new String(buf.asSlice(0, len).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        }
    }

    public String detokenize(int[] tokens) {
        return detokenize(tokens, 0, tokens.length, false);
    }

    /** The model's built-in chat template (Jinja source as stored in the GGUF), or null when it has none. */
    public String chatTemplate() {
        MemorySegment t = llama_h.llama_model_chat_template(handle(), MemorySegment.NULL);
        return t.equals(MemorySegment.NULL) ? null : Devices.cString(t);
    }

    /**
     * Formats messages with the model's own chat template through {@code llama_chat_apply_template}
     * (llama.cpp's built-in template detection, no Jinja engine). {@code addAssistant} appends the opening of
     * the assistant turn.
     */
    public String applyChatTemplate(List<ChatMessage> messages, boolean addAssistant) {
        String tmpl = chatTemplate();
        if (tmpl == null) {
            throw new CtxbenchException("model " + params.path().getFileName()
                    + " has no chat template (tokenizer.chat_template); run without the chat template");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment msgs = llama_chat_message.allocateArray(messages.size(), arena);
            long chars = 0;
            for (int i = 0; i < messages.size(); i++) {
                MemorySegment m = llama_chat_message.asSlice(msgs, i);
                llama_chat_message.role(m, arena.allocateFrom(messages.get(i).role()));
                llama_chat_message.content(m, arena.allocateFrom(messages.get(i).content()));
                chars += messages.get(i).content().getBytes(StandardCharsets.UTF_8).length + 64;
            }
            MemorySegment tmplSeg = arena.allocateFrom(tmpl);
            int cap = (int) Math.min(Integer.MAX_VALUE - 8, chars * 2 + 256);
            MemorySegment buf = arena.allocate(cap);
            int n = llama_h.llama_chat_apply_template(tmplSeg, msgs, messages.size(), addAssistant, buf, cap);
            if (n > cap) {
                cap = n;
                buf = arena.allocate(cap);
                n = llama_h.llama_chat_apply_template(tmplSeg, msgs, messages.size(), addAssistant, buf, cap);
            }
            if (n < 0) {
                throw new CtxbenchException("llama.cpp does not recognise the chat template of " + params.path().getFileName()
                        + "; run without the chat template");
            }
            return new String(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        }
    }

    /** A metadata value as text, or null when the key is absent. */
    public String meta(String key) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment k = arena.allocateFrom(key);
            int cap = 256;
            MemorySegment buf = arena.allocate(cap);
            int n = llama_h.llama_model_meta_val_str(handle(), k, buf, cap);
            if (n < 0) {
                return null;
            }
            if (n >= cap) {
                buf = arena.allocate(n + 1L);
                llama_h.llama_model_meta_val_str(handle(), k, buf, n + 1L);
            }
            return buf.getString(0);
        }
    }

    /**
     * Bytes the KV cache takes per token of context for the given K and V types: one K row and one V row of
     * {@code n_head_kv * head_dim} values in every layer.
     */
    public long kvBytesPerToken(KvCacheType k, KvCacheType v) {
        return (long) info.layers() * (k.rowBytes(info.kvWidthK()) + v.rowBytes(info.kvWidthV()));
    }

    private Info readInfo() {
        String arch = meta("general.architecture");
        int layers = llama_h.llama_model_n_layer(model);
        // llama_model_n_head(_kv) read layer 0 and abort when there is none (a vocab-only load): ask only with layers
        int nHead = layers > 0 ? llama_h.llama_model_n_head(model) : 0;
        int nHeadKv = layers > 0 ? llama_h.llama_model_n_head_kv(model) : 0;
        int nEmbd = llama_h.llama_model_n_embd(model);
        int headK = metaInt(arch + ".attention.key_length", nHead > 0 ? nEmbd / nHead : 0);
        int headV = metaInt(arch + ".attention.value_length", headK);
        String desc;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(256);
            llama_h.llama_model_desc(model, buf, 256);
            desc = buf.getString(0);
        }
        // a vocab-only load leaves n_ctx_train 0: the GGUF's own key says it
        int ctxTrain = llama_h.llama_model_n_ctx_train(model);
        ctxTrain = ctxTrain > 0 ? ctxTrain : metaInt(arch + ".context_length", 0);
        return new Info(params.path(), arch, desc, layers, nEmbd, nHead, nHeadKv,
                nHeadKv * headK, nHeadKv * headV, ctxTrain,
                llama_h.llama_vocab_n_tokens(vocab), llama_h.llama_model_size(model), llama_h.llama_model_n_params(model));
    }

    private int metaInt(String key, int dflt) {
        String v = meta(key);
        if (v == null) {
            return dflt;
        }
        try {
            return Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            return dflt;
        }
    }

    /** What a loaded model is: shape and size. {@code kvWidthK/V} = n_head_kv x head dim of K / V. */
    public record Info(Path path, String architecture, String description, int layers, int embedding, int heads,
                       int headsKv, int kvWidthK, int kvWidthV, int trainedContext, int vocabSize,
                       long sizeBytes, long parameters) {
    }

    @Override
    public void close() {
        if (model != null) {
            llama_h.llama_model_free(model);
            model = null;
        }
    }
}
