package io.ctxbench.models;

import io.ctxbench.CtxbenchException;
import io.ctxbench.gguf.GgmlType;
import io.ctxbench.gguf.GgufArray;
import io.ctxbench.gguf.GgufFile;
import io.ctxbench.gguf.GgufTensorInfo;
import io.ctxbench.gguf.GgufValue;
import io.ctxbench.gguf.GgufValueType;
import io.ctxbench.gguf.GgufWriter;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * Structured pruning of a llama-style GGUF, WITHOUT any distillation or retraining (the Minitron recipe retrains the
 * pruned model by distillation on ~100B tokens; this tool only removes structure, so quality drops accordingly).
 *
 * <ul>
 *   <li>Depth: drop whole layers (an explicit list, or a fraction to keep: then a contiguous block right before the
 *       last layer is dropped, the choice Minitron found least harmful for depth pruning without ranking). Any tensor
 *       type works; {@code blk.N} tensors are renumbered.</li>
 *   <li>Width: keep the {@code k} most important FFN neurons of every layer (rows of ffn_gate/ffn_up, columns of
 *       ffn_down). Importance: RMS of the SwiGLU activation over a calibration text (see {@link FfnCalibration}), or
 *       without text the product of the L2 norms of the neuron's gate row, up row and down column. Needs F16, BF16 or
 *       F32 FFN weights. The kept width can be rounded to a multiple of 256 or to a power of two.</li>
 * </ul>
 * The output keeps the input's tensor types; {@code <arch>.block_count} and {@code <arch>.feed_forward_length} are
 * rewritten, per-layer arrays sliced, and {@code ctxbench.pruned = true} plus the spec are recorded.
 */
public final class Pruner {

    public enum Rounding {
        NONE, MULTIPLE_OF_256, POWER_OF_TWO;

        public static Rounding parse(String s) {
            return switch (s.strip().toLowerCase(java.util.Locale.ROOT)) {
                case "none", "" -> NONE;
                case "256", "multiple-of-256", "m256" -> MULTIPLE_OF_256;
                case "pow2", "power-of-two", "power-of-2" -> POWER_OF_TWO;
                default -> throw new CtxbenchException("unknown rounding '" + s + "': use none, 256 or pow2");
            };
        }

        /** Nearest allowed width (ties go down), never 0. */
        int apply(int w) {
            return switch (this) {
                case NONE -> w;
                case MULTIPLE_OF_256 -> Math.max(256, (int) Math.round((w - 1e-9) / 256.0) * 256);
                case POWER_OF_TWO -> {
                    int lo = Integer.highestOneBit(Math.max(1, w));
                    int hi = lo << 1;
                    yield (w - lo) <= (hi - w) ? lo : hi;
                }
            };
        }
    }

    /**
     * @param dropLayers  layer indices to drop, or null
     * @param keepLayers  fraction of layers to keep (0,1], or null
     * @param keepFfn     fraction of FFN neurons to keep (0,1], or null
     * @param ffnWidth    absolute FFN width to keep, or null
     * @param calibration calibration text for activation importance, or null (weight norms)
     */
    public record Spec(List<Integer> dropLayers, Double keepLayers, Double keepFfn, Integer ffnWidth, Rounding rounding,
                       String calibration, int calibrationTokens, int threads, boolean overwrite) {
        public static Spec depth(double keepLayers) {
            return new Spec(null, keepLayers, null, null, Rounding.NONE, null, 2048, 0, false);
        }

        public static Spec dropping(List<Integer> layers) {
            return new Spec(List.copyOf(layers), null, null, null, Rounding.NONE, null, 2048, 0, false);
        }

        public static Spec width(double keepFfn, Rounding r) {
            return new Spec(null, null, keepFfn, null, r, null, 2048, 0, false);
        }

        public Spec withCalibration(String text, int maxTokens) {
            return new Spec(dropLayers, keepLayers, keepFfn, ffnWidth, rounding, text, maxTokens, threads, overwrite);
        }

        public Spec withWidth(Double frac, Integer abs, Rounding r) {
            return new Spec(dropLayers, keepLayers, frac, abs, r, calibration, calibrationTokens, threads, overwrite);
        }

        public Spec withOverwrite(boolean b) {
            return new Spec(dropLayers, keepLayers, keepFfn, ffnWidth, rounding, calibration, calibrationTokens, threads, b);
        }
    }

    public record Result(Path output, long fileBytes, int layersBefore, int layersAfter, List<Integer> droppedLayers,
                         int ffnBefore, int ffnAfter, String importance, long parametersBefore, long parametersAfter) {
    }

    private Pruner() {
    }

    private static final Pattern BLK = Pattern.compile("^blk\\.(\\d+)\\.(.+)$");

    public static Result prune(Path input, Path output, Spec spec) {
        GgufFile in = Quantizer.open(input, "input");
        Path out = output.toAbsolutePath();
        Quantizer.checkOutput(input, out, spec.overwrite());
        String arch;
        int nLayer;
        try {
            arch = in.architecture();
            nLayer = in.getInt(arch + ".block_count");
        } catch (CtxbenchException e) {
            throw new CtxbenchException("cannot prune " + input + ": " + e.getMessage(), e);
        }
        TreeSet<Integer> drop = droppedLayers(spec, nLayer);
        String ffKey = arch + ".feed_forward_length";
        GgufValue ffVal = in.value(ffKey).orElse(null);
        boolean width = spec.keepFfn() != null || spec.ffnWidth() != null;
        int nFf = ffVal != null && ffVal.type() != GgufValueType.ARRAY ? (int) ffVal.asLong() : -1;
        int keep = nFf;
        if (width) {
            if (nFf <= 0) {
                throw new CtxbenchException("width pruning needs a single " + ffKey + " (per-layer FFN widths are not supported)");
            }
            keep = keptWidth(spec, nFf);
        }
        boolean doWidth = width && keep != nFf;
        if (drop.isEmpty() && !doWidth) {
            throw new CtxbenchException("nothing to prune: the spec keeps all " + nLayer + " layers and the full FFN width "
                    + nFf + (width ? " (after rounding)" : ""));
        }

        // width: which neurons each kept layer keeps
        int[][] keptNeurons = new int[nLayer][];
        String importance = "none";
        try (Arena arena = Arena.ofShared()) {
            MemorySegment file;
            try (FileChannel ch = FileChannel.open(in.path(), StandardOpenOption.READ)) {
                file = ch.map(FileChannel.MapMode.READ_ONLY, 0, in.fileSize(), arena);
            } catch (IOException e) {
                throw new CtxbenchException("cannot map " + input + ": " + e.getMessage(), e);
            }
            if (doWidth) {
                for (int l = 0; l < nLayer; l++) {
                    if (drop.contains(l)) continue;
                    for (String s : new String[] {"ffn_gate.weight", "ffn_up.weight", "ffn_down.weight"}) {
                        GgufTensorInfo t = in.tensor("blk." + l + "." + s).orElseThrow(() -> new CtxbenchException(
                                "width pruning needs blk." + "N." + s + " tensors (a SwiGLU FFN); " + input + " has none"));
                        if (!(t.type() == GgmlType.F16 || t.type() == GgmlType.BF16 || t.type() == GgmlType.F32)) {
                            throw new CtxbenchException("width pruning needs F16, BF16 or F32 FFN weights, but " + t.name()
                                    + " is " + t.type() + ": make an F16 copy first with `ctxbench models quantize --type f16"
                                    + " --allow-requantize -m " + input + " --out model-f16.gguf`, prune it, then quantize the result");
                        }
                    }
                }
                double[][] scores;
                if (spec.calibration() != null) {
                    scores = FfnCalibration.importance(input, spec.calibration(), spec.calibrationTokens(), nLayer, nFf, spec.threads());
                    importance = "activation RMS of ffn_swiglu over " + "calibration text (cb_eval)";
                } else {
                    scores = new double[nLayer][];
                    for (int l = 0; l < nLayer; l++) {
                        if (!drop.contains(l)) scores[l] = weightNormScores(in, file, l, nFf);
                    }
                    importance = "weight norms |gate_j|*|up_j|*|down_:,j|";
                }
                for (int l = 0; l < nLayer; l++) {
                    if (drop.contains(l)) continue;
                    double[] s = scores[l];
                    keptNeurons[l] = IntStream.range(0, nFf).boxed()
                            .sorted(Comparator.comparingDouble((Integer j) -> -s[j]).thenComparingInt(j -> j))
                            .limit(keep).mapToInt(Integer::intValue).sorted().toArray();
                }
            }

            GgufWriter w = new GgufWriter();
            int newLayers = nLayer - drop.size();
            for (Map.Entry<String, GgufValue> e : in.metadata().entrySet()) {
                String k = e.getKey();
                GgufValue v = e.getValue();
                if (k.equals(arch + ".block_count")) {
                    v = GgufValue.uint32(newLayers);
                } else if (k.equals(ffKey) && doWidth) {
                    v = GgufValue.uint32(keep);
                } else if (k.startsWith(arch + ".") && v.type() == GgufValueType.ARRAY && v.asArray().length() == nLayer
                        && !drop.isEmpty()) {
                    v = GgufValue.array(sliceLayers(v.asArray(), drop));
                } else if (k.equals("general.name")) {
                    v = GgufValue.string(v.asString() + " (pruned)");
                }
                w.put(k, v);
            }
            w.putBool("ctxbench.pruned", true);
            w.put("ctxbench.prune.dropped_layers", GgufValue.array(GgufArray.ofIntegers(GgufValueType.INT32,
                    drop.stream().mapToLong(Integer::longValue).toArray())));
            w.putUint32("ctxbench.prune.layers_before", nLayer);
            if (nFf > 0) {
                w.putUint32("ctxbench.prune.ffn_before", nFf);
            }
            w.putString("ctxbench.prune.importance", importance);
            w.putString("ctxbench.prune.note", "structured pruning only: no distillation or retraining was done");

            List<Op> ops = new ArrayList<>();
            for (GgufTensorInfo t : in.tensors()) {
                Matcher m = BLK.matcher(t.name());
                String name = t.name();
                int layer = -1;
                if (m.matches()) {
                    layer = Integer.parseInt(m.group(1));
                    if (drop.contains(layer)) continue;
                    name = "blk." + (layer - drop.headSet(layer).size()) + "." + m.group(2);
                }
                long[] dims = t.dims();
                Op op = new Op(t, null, false);
                if (doWidth && layer >= 0 && layer < nLayer && keptNeurons[layer] != null) {
                    String suffix = m.group(2);
                    int[] idx = keptNeurons[layer];
                    if ((suffix.equals("ffn_gate.weight") || suffix.equals("ffn_up.weight")) && dims.length == 2 && dims[1] == nFf) {
                        dims[1] = keep;
                        op = new Op(t, idx, false);
                    } else if (suffix.equals("ffn_down.weight") && dims.length == 2 && dims[0] == nFf) {
                        dims[0] = keep;
                        op = new Op(t, idx, true);
                    } else if ((suffix.startsWith("ffn_gate.") || suffix.startsWith("ffn_up.")) && dims.length == 1 && dims[0] == nFf) {
                        dims[0] = keep; // biases
                        op = new Op(t, idx, true);
                    } else if (suffix.startsWith("ffn_") && Arrays.stream(dims).anyMatch(d -> d == nFf) && !suffix.startsWith("ffn_norm")) {
                        throw new CtxbenchException("cannot width-prune tensor " + t.name() + " " + Arrays.toString(t.dims())
                                + ": only ffn_gate/ffn_up/ffn_down of a SwiGLU FFN are supported");
                    }
                }
                try {
                    w.addTensor(name, t.type(), dims);
                } catch (IllegalArgumentException | CtxbenchException e) {
                    throw new CtxbenchException("cannot write tensor " + name + ": " + e.getMessage(), e);
                }
                ops.add(op);
            }
            long base = in.dataOffset();
            GgufFile res;
            try {
                res = w.write(out, (i, tensor, off, dst) -> ops.get(i).fill(file, base, off, dst), Math.max(1,
                        spec.threads() > 0 ? spec.threads() : Runtime.getRuntime().availableProcessors()));
            } catch (CtxbenchException e) {
                throw new CtxbenchException("cannot write " + out + ": " + e.getMessage(), e);
            }
            return new Result(res.path(), res.fileSize(), nLayer, newLayers, List.copyOf(drop), nFf, keep, importance,
                    in.parameterCount(), res.parameterCount());
        }
    }

    static TreeSet<Integer> droppedLayers(Spec spec, int nLayer) {
        TreeSet<Integer> drop = new TreeSet<>();
        if (spec.dropLayers() != null && spec.keepLayers() != null) {
            throw new CtxbenchException("give either --drop-layers or --keep-layers, not both");
        }
        if (spec.dropLayers() != null) {
            for (int l : spec.dropLayers()) {
                if (l < 0 || l >= nLayer) {
                    throw new CtxbenchException("cannot drop layer " + l + ": the model has layers 0.." + (nLayer - 1));
                }
                if (!drop.add(l)) {
                    throw new CtxbenchException("layer " + l + " is listed twice in --drop-layers");
                }
            }
        } else if (spec.keepLayers() != null) {
            double f = spec.keepLayers();
            if (!(f > 0 && f <= 1)) {
                throw new CtxbenchException("--keep-layers must be a fraction in (0, 1], got " + f);
            }
            int keep = (int) Math.round(nLayer * f);
            if (keep < 1) {
                throw new CtxbenchException("--keep-layers " + f + " keeps no layer of " + nLayer);
            }
            int d = nLayer - keep;
            for (int l = nLayer - 1 - d; l < nLayer - 1; l++) {
                drop.add(l);
            }
        }
        if (drop.size() >= nLayer) {
            throw new CtxbenchException("the spec drops all " + nLayer + " layers; keep at least one");
        }
        return drop;
    }

    static int keptWidth(Spec spec, int nFf) {
        if (spec.keepFfn() != null && spec.ffnWidth() != null) {
            throw new CtxbenchException("give either --keep-ffn or --ffn-width, not both");
        }
        int w;
        if (spec.keepFfn() != null) {
            double f = spec.keepFfn();
            if (!(f > 0 && f <= 1)) {
                throw new CtxbenchException("--keep-ffn must be a fraction in (0, 1], got " + f);
            }
            w = (int) Math.round(nFf * f);
        } else {
            w = spec.ffnWidth();
        }
        if (w < 1 || w > nFf) {
            throw new CtxbenchException("cannot keep an FFN width of " + w + ": the model's is " + nFf);
        }
        int r = spec.rounding().apply(w);
        if (r > nFf) {
            throw new CtxbenchException("FFN width " + w + " rounded (" + spec.rounding() + ") is " + r
                    + ", more than the model's " + nFf + "; choose another width or rounding");
        }
        return r;
    }

    private static GgufArray sliceLayers(GgufArray a, TreeSet<Integer> drop) {
        int n = a.length();
        int[] keep = IntStream.range(0, n).filter(i -> !drop.contains(i)).toArray();
        Object d = a.data();
        Object r = switch (d) {
            case byte[] x -> { byte[] y = new byte[keep.length]; for (int i = 0; i < keep.length; i++) y[i] = x[keep[i]]; yield y; }
            case short[] x -> { short[] y = new short[keep.length]; for (int i = 0; i < keep.length; i++) y[i] = x[keep[i]]; yield y; }
            case int[] x -> { int[] y = new int[keep.length]; for (int i = 0; i < keep.length; i++) y[i] = x[keep[i]]; yield y; }
            case long[] x -> { long[] y = new long[keep.length]; for (int i = 0; i < keep.length; i++) y[i] = x[keep[i]]; yield y; }
            case float[] x -> { float[] y = new float[keep.length]; for (int i = 0; i < keep.length; i++) y[i] = x[keep[i]]; yield y; }
            case double[] x -> { double[] y = new double[keep.length]; for (int i = 0; i < keep.length; i++) y[i] = x[keep[i]]; yield y; }
            case boolean[] x -> { boolean[] y = new boolean[keep.length]; for (int i = 0; i < keep.length; i++) y[i] = x[keep[i]]; yield y; }
            case String[] x -> { String[] y = new String[keep.length]; for (int i = 0; i < keep.length; i++) y[i] = x[keep[i]]; yield y; }
            default -> throw new CtxbenchException("cannot slice per-layer array of " + a.elementType());
        };
        return new GgufArray(a.elementType(), r);
    }

    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static float value(MemorySegment seg, GgmlType t, long i) {
        return switch (t) {
            case F32 -> seg.get(FLOAT, 4 * i);
            case F16 -> Float.float16ToFloat(seg.get(SHORT, 2 * i));
            case BF16 -> Float.intBitsToFloat((seg.get(SHORT, 2 * i) & 0xFFFF) << 16);
            default -> throw new IllegalArgumentException("no element access for " + t);
        };
    }

    private static double[] weightNormScores(GgufFile in, MemorySegment file, int layer, int nFf) {
        double[] gate = rowNorms(in, file, in.tensor("blk." + layer + ".ffn_gate.weight").orElseThrow());
        double[] up = rowNorms(in, file, in.tensor("blk." + layer + ".ffn_up.weight").orElseThrow());
        GgufTensorInfo d = in.tensor("blk." + layer + ".ffn_down.weight").orElseThrow();
        MemorySegment s = file.asSlice(in.absoluteOffset(d), d.nBytes());
        double[] down = new double[nFf];
        long rows = d.dim(1);
        for (long r = 0; r < rows; r++) {
            long base = r * nFf;
            for (int j = 0; j < nFf; j++) {
                double v = value(s, d.type(), base + j);
                down[j] += v * v;
            }
        }
        double[] score = new double[nFf];
        for (int j = 0; j < nFf; j++) {
            score[j] = Math.sqrt(gate[j]) * Math.sqrt(up[j]) * Math.sqrt(down[j]);
        }
        return score;
    }

    /** Squared L2 norm of each row (dims[1] rows of dims[0] elements). */
    private static double[] rowNorms(GgufFile in, MemorySegment file, GgufTensorInfo t) {
        MemorySegment s = file.asSlice(in.absoluteOffset(t), t.nBytes());
        long cols = t.dim(0);
        int rows = (int) t.dim(1);
        double[] n = new double[rows];
        for (int r = 0; r < rows; r++) {
            double acc = 0;
            for (long c = 0; c < cols; c++) {
                double v = value(s, t.type(), r * cols + c);
                acc += v * v;
            }
            n[r] = acc;
        }
        return n;
    }

    /** How one output tensor's bytes come from the input: a copy, selected rows, or selected columns (dim 0). */
    private record Op(GgufTensorInfo src, int[] idx, boolean columns) {
        void fill(MemorySegment file, long base, long off, MemorySegment dst) {
            long srcStart = base + src.offset();
            long len = dst.byteSize();
            if (idx == null) {
                MemorySegment.copy(file, srcStart + off, dst, 0, len);
                return;
            }
            if (!columns) { // whole rows of dims[0] elements, any type
                long rowBytes = src.type().bytesFor(src.dim(0));
                long done = 0;
                while (done < len) {
                    long pos = off + done;
                    int row = (int) (pos / rowBytes);
                    long within = pos % rowBytes;
                    long n = Math.min(rowBytes - within, len - done);
                    MemorySegment.copy(file, srcStart + (long) idx[row] * rowBytes + within, dst, done, n);
                    done += n;
                }
                return;
            }
            // columns: element j of every row (dims[0] = old width), plain types only
            int es = src.type().typeSize();
            long oldW = src.dim(0);
            long newW = idx.length;
            long first = off / es;
            long count = len / es;
            for (long e = 0; e < count; e++) {
                long g = first + e;
                long row = g / newW;
                int col = (int) (g % newW);
                MemorySegment.copy(file, srcStart + (row * oldW + idx[col]) * es, dst, e * es, es);
            }
        }
    }
}
