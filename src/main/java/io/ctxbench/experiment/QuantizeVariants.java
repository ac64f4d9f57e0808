package io.ctxbench.experiment;

import io.ctxbench.CtxbenchException;
import io.ctxbench.gguf.GgufFile;
import io.ctxbench.gguf.GgufTensorInfo;
import io.ctxbench.models.Imatrix;
import io.ctxbench.models.PackagedModels;
import io.ctxbench.models.QuantType;
import io.ctxbench.models.Quantizer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;

/**
 * Makes the weights variants a method needs from the model file the user gave, through {@link Quantizer}
 * (llama_model_quantize over FFM, the code of {@code ctxbench models quantize}), and caches them:
 * <ul>
 *   <li>{@code f16} / {@code bf16}: the 16-bit expansion of the given file (requantizing: a quantized file is
 *       dequantized, so the weights are exactly the given ones, stored in 16 bits);</li>
 *   <li>{@code q4_k_m}: Q4_K_M. From a 16/32-bit file directly; from an already quantized file, from its F16
 *       expansion (made or reused first), so W4A16 is a quantization of the same weights FP16 runs.</li>
 *   <li>the low-bit kinds ({@link Method#LOW_BIT_WEIGHTS}: q8_0, q6_k, q5_k_m, iq4_xs, q3_k_m, iq3_xxs, q2_k, iq2_xs):
 *       the llama-quantize type of that name, from the same source as q4_k_m, with an importance matrix
 *       ({@link Imatrix}) computed on that source over the built-in calibration text (all its 512-token chunks) and
 *       cached beside the variants as {@code <given stem>-<sha12>.imatrix-<text sha8>.gguf}; Q8_0 does not consult
 *       one, so it is made without.</li>
 * </ul>
 * Other variants (pruned ones) are not made here: the runner then says which command makes them. Files go to
 * {@code <cacheDir>/<given stem>-<first 12 hex of the given file's sha256>.<TYPE>.gguf}, keyed by the source
 * file's content and the type, so a changed source never reuses a stale variant; a cached file is reused when it
 * is a valid GGUF of the right file type, and made again otherwise. Writing goes through a temporary file renamed
 * atomically, so an interrupted run or two shards making the same file never leave a partial one. Every variant
 * handed out is logged (made or reused, with the time it took) and listed by {@link #made()} for the manifest.
 */
public final class QuantizeVariants implements VariantProvider {
    private final Path cacheDir;
    private final int threads;
    private final PrintStream log;
    private final String calibration;
    private final String calibrationName;
    private final int calibrationChunks;
    private final List<Made> made = new ArrayList<>();
    private final Map<String, Path> handedOut = new HashMap<>();

    /**
     * @param cacheDir where variants are kept (created on first use)
     * @param threads  quantization threads, 0 = all cores
     * @param log      where to say what was made and how long it took, or null
     */
    public QuantizeVariants(Path cacheDir, int threads, PrintStream log) {
        this(cacheDir, threads, log, Imatrix.builtinText(), Imatrix.BUILTIN_TEXT_NAME, -1);
    }

    /** As above, with another calibration text for the importance matrices, of which at most {@code chunks} chunks (-1: all). */
    QuantizeVariants(Path cacheDir, int threads, PrintStream log, String calibration, String calibrationName, int chunks) {
        this.cacheDir = cacheDir;
        this.threads = threads;
        this.log = log;
        this.calibration = calibration;
        this.calibrationName = calibrationName;
        this.calibrationChunks = chunks;
    }

    /** Variants kept in the models cache ({@code <models dir>/variants}, e.g. ~/.cache/ctxbench/models/variants). */
    public static QuantizeVariants inModelsCache(int threads, PrintStream log) {
        return new QuantizeVariants(PackagedModels.modelsDir().resolve("variants"), threads, log);
    }

    /** The quantization type that realizes a weights variant, or null when this provider cannot make it. */
    static QuantType typeOf(String variant) {
        return switch (variant) {
            case "f16" -> QuantType.F16;
            case "bf16" -> QuantType.BF16;
            case "q4_k_m" -> QuantType.Q4_K_M;
            default -> Method.LOW_BIT_WEIGHTS.contains(variant) ? QuantType.parse(variant) : null;
        };
    }

    /** Whether the variant is made with an importance matrix: the low-bit kinds whose types consult one (not Q8_0). */
    static boolean usesImatrix(String variant) {
        return Method.LOW_BIT_WEIGHTS.contains(variant) && !variant.equals("q8_0");
    }

    /**
     * The first 8 hex digits of the calibration text's sha256 (and the chunk limit, when there is one): it names the
     * cached importance matrix and the variants made with it.
     */
    private String textTag() {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(calibration.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(d).substring(0, 8) + (calibrationChunks < 0 ? "" : "c" + calibrationChunks);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Where the variant of {@code given} of type {@code t} is cached. */
    public Path fileFor(Path given, QuantType t) {
        return cacheDir.resolve(key(given) + "." + t.name() + ".gguf");
    }

    /** Where the variant of {@code given} of type {@code t} made with the importance matrix of this text is cached. */
    Path fileFor(Path given, QuantType t, String textTag) {
        return cacheDir.resolve(key(given) + "." + t.name() + "-imatrix-" + textTag + ".gguf");
    }

    /** Where the importance matrix of {@code given}'s weights over this calibration text is cached. */
    Path imatrixFor(Path given) {
        return cacheDir.resolve(key(given) + ".imatrix-" + textTag() + ".gguf");
    }

    private static String key(Path given) {
        String stem = given.getFileName().toString().replaceAll("(?i)\\.gguf$", "");
        return stem + "-" + FileHashes.sha256(given).substring(0, 12);
    }

    @Override
    public synchronized Optional<Path> provide(Path given, String variant) {
        QuantType t = typeOf(variant);
        if (t == null) {
            return Optional.empty();
        }
        boolean imx = usesImatrix(variant);
        Path out = imx ? fileFor(given, t, textTag()) : fileFor(given, t);
        Path before = handedOut.get(out.toString());
        if (before != null && valid(before, t)) {
            return Optional.of(before);   // asked again in this run: already logged and listed
        }
        handedOut.put(out.toString(), out);
        if (valid(out, t)) {
            made.add(new Made(variant, given, out, "reused from the cache", 0, true));
            say("eval: variant %s of %s: reusing %s%n", variant, given.getFileName(), out);
            return Optional.of(out);
        }
        boolean quantized = isQuantized(given);
        Path source = given;
        String how;
        if ((t == QuantType.Q4_K_M || Method.LOW_BIT_WEIGHTS.contains(variant)) && quantized) {
            source = provide(given, "f16").orElseThrow();
            how = "llama_model_quantize " + t + " of the F16 expansion of " + given.getFileName();
        } else {
            how = "llama_model_quantize " + t + (quantized ? ", requantized from the quantized " + given.getFileName()
                    : " of " + given.getFileName());
        }
        try {
            Files.createDirectories(cacheDir);
        } catch (IOException e) {
            throw new CtxbenchException("cannot create the variants folder " + cacheDir + ": " + e.getMessage(), e);
        }
        Path imatrix = null;
        if (imx) {
            imatrix = imatrix(given, source);
            how += ", importance matrix " + imatrix.getFileName();
        }
        say("eval: making the %s variant of %s (%s) ...%n", variant, given.getFileName(), how);
        long t0 = System.nanoTime();
        Quantizer.Result r = Quantizer.quantize(source, out, Quantizer.Options.of(t).withImatrix(imatrix)
                .withAllowRequantize(isQuantized(source)).withThreads(threads).withOverwrite(true));
        double secs = (System.nanoTime() - t0) / 1e9;
        if (!valid(out, t)) {
            throw new CtxbenchException("the " + variant + " variant written to " + out + " is not a " + t + " GGUF");
        }
        made.add(new Made(variant, given, out, how, secs, false));
        say("eval: made the %s variant of %s in %.1f s: %s (%.1f MB, %.2f bits per weight)%n", variant, given.getFileName(),
                secs, out, r.fileBytes() / 1e6, r.bitsPerWeight());
        return Optional.of(out);
    }

    /**
     * The importance matrix of {@code given}'s weights, computed on {@code source} (given or its F16 expansion) over
     * the calibration text, or reused from the cache when it reads back; listed in {@link #made()} as "imatrix".
     */
    private Path imatrix(Path given, Path source) {
        Path f = imatrixFor(given);
        if (handedOut.containsKey(f.toString())) {
            return f;
        }
        handedOut.put(f.toString(), f);
        try {
            if (Files.isRegularFile(f)) {
                Imatrix.read(f);
                made.add(new Made("imatrix", given, f, "reused from the cache", 0, true));
                say("eval: importance matrix of %s: reusing %s%n", given.getFileName(), f);
                return f;
            }
        } catch (CtxbenchException unreadable) {
            // made again below
        }
        say("eval: computing the importance matrix of %s over %s ...%n", source.getFileName(), calibrationName);
        long t0 = System.nanoTime();
        Imatrix im = Imatrix.compute(source, calibration, calibrationName, Imatrix.Options.defaults().withThreads(threads)
                .withChunks(calibrationChunks));
        im.write(f);   // through a temporary file renamed atomically (GgufWriter)
        double secs = (System.nanoTime() - t0) / 1e9;
        String how = "models imatrix of " + source.getFileName() + " over " + calibrationName + " (" + im.chunkCount()
                + " chunks of " + im.chunkSize() + " tokens)";
        made.add(new Made("imatrix", given, f, how, secs, false));
        say("eval: computed the importance matrix in %.1f s: %s (%d weights)%n", secs, f, im.entries().size());
        return f;
    }

    @Override
    public synchronized List<Made> made() {
        return List.copyOf(made);
    }

    /** A readable GGUF whose general.file_type is the type's. */
    static boolean valid(Path f, QuantType t) {
        if (!Files.isRegularFile(f)) {
            return false;
        }
        try {
            return GgufFile.open(f).getLong("general.file_type", -1) == t.ftype;
        } catch (CtxbenchException e) {
            return false;
        }
    }

    static boolean isQuantized(Path f) {
        GgufFile g;
        try {
            g = GgufFile.open(f);
        } catch (CtxbenchException e) {
            throw new CtxbenchException("bad model GGUF " + f + ": " + e.getMessage(), e);
        }
        for (GgufTensorInfo ti : g.tensors()) {
            if (ti.type().isQuantized()) {
                return true;
            }
        }
        return false;
    }

    private void say(String fmt, Object... args) {
        if (log != null) {
            log.printf(Locale.ROOT, fmt, args);
            log.flush();
        }
    }
}
