package io.ctxbench.engine;

import io.ctxbench.CtxbenchException;
import io.ctxbench.llama.ffi.llama_h;

import java.lang.foreign.MemorySegment;
import java.util.Locale;

/**
 * KV-cache eviction after prefill: which of a prompt's cached tokens a sequence keeps once the whole prompt is in the
 * cache, before its first generated token is decoded. One shape for every path that fills a cache with a prompt and
 * then continues from it: {@link Session#generate} (batch 1, the cost pass), {@link ParallelGenerator} (each sequence
 * right after its last prompt chunk) and the fidelity pass (teacher forcing). It is part of {@link Session.Params}, so
 * a method's eviction travels with its KV types.
 *
 * <p><b>When.</b> The prompt is prefilled in full with full attention (the first generated token is chosen from those
 * logits, before anything is evicted); then {@link #apply} drops cells, and every later token attends only to the kept
 * ones. This is the "prefill, then compress" protocol that SnapKV and NVIDIA's kvpress use to compare eviction methods;
 * it is not StreamingLLM's streaming prefill (a window during prefill too), which would change the prompt's own
 * representations and could not share one prefill path with the baseline.
 *
 * <p><b>Positions.</b> The kept cells are compacted: the evicted range [{@code sinks}, {@code n - window}) is removed
 * ({@code llama_memory_seq_rm}) and the recent window shifted down onto it ({@code llama_memory_seq_add} by minus the
 * evicted count), so the sequence holds positions 0..kept-1 without a gap (llama.h promises that every position
 * between a sequence's min and max is present) and decoding continues at position {@code kept}, as StreamingLLM
 * assigns positions within the cache rather than in the original text. These are the two calls llama-server's
 * context shift makes (tools/server/server-context.cpp: {@code seq_rm(n_keep, n_keep + n_discard)}, then
 * {@code seq_add} by {@code -n_discard}; its {@code --keep} plays the sinks' part); any kept set compacts the same way,
 * run by run ({@link #compaction}). llama.cpp re-rotates the shifted keys (its
 * K-shift: RoPE by the delta; a quantized K is dequantized, rotated and quantized again) in the next
 * {@code llama_decode}, so the first decode step after an eviction carries that cost. A memory that cannot shift
 * ({@code llama_memory_can_shift} false: M-RoPE models, some recurrent or special caches) is refused in one line
 * before any native call that would abort ({@link #requireShift}).
 *
 * <p><b>Which tokens.</b> {@link Policy#STREAMING}: the first {@code sinks} and the most recent. {@link Policy#SNAPKV}:
 * the last {@link #WINDOW} (the observation window) and the earlier ones those queries attend to most, read from
 * llama.cpp's attention weights while the window is prefilled ({@link Session#observeAttention}; flash attention off,
 * host memory; batch 1 only so far) and chosen by {@link #snapKvKept}.
 *
 * <p><b>Budget.</b> Either a fraction of the prompt's tokens in (0, 1] ({@code kept = ceil(fraction x n)}) or a token
 * count; either way at least {@code sinks + 1} (streaming: the window keeps the last prompt token) or
 * {@code WINDOW + 1} (snapkv), and at most the prompt. A
 * budget that keeps the whole prompt evicts nothing and calls nothing, so 100 % is the uncompressed method bit for bit.
 *
 * <p><b>Memory and speed on llama.cpp.</b> The context is still allocated for the whole prompt plus new tokens (the
 * prompt is prefilled in full), and the kept window stays in the cells it was written to: generated tokens fill the
 * freed cells from the lowest one, and the attention view of a decode step spans up to the highest used cell (padded
 * to 256), masked. So eviction here measures quality at a KV budget, not yet llama.cpp's decode speed or memory at it;
 * moving the kept cells to the front (a sequence state save and restore after the K-shift has been applied) would
 * make the view kept-sized.
 *
 * @param policy   which tokens to keep ({@link Policy})
 * @param fraction the budget as a fraction of the prompt, in (0, 1]; 0 when {@code tokens} gives it
 * @param tokens   the budget as a token count, at least {@code sinks + 1}; 0 when {@code fraction} gives it
 * @param sinks    StreamingLLM's attention sinks: the first tokens, always kept (4 in the paper); 0 for snapkv
 */
public record KvEviction(Policy policy, double fraction, int tokens, int sinks) {

    /** StreamingLLM's number of attention-sink tokens. */
    public static final int DEFAULT_SINKS = 4;

    /** SnapKV's observation window (window_size in its released code): the last prompt tokens, always kept. */
    public static final int WINDOW = 64;

    /** SnapKV's pooling kernel (kernel_size 5, average pooling) over the window's attention to earlier positions. */
    public static final int POOL_KERNEL = 5;

    public static final KvEviction NONE = new KvEviction(Policy.NONE, 0, 0, 0);

    public enum Policy {
        /** Keep every cell. */
        NONE("none"),
        /** StreamingLLM (Xiao et al. 2023): the first {@code sinks} tokens plus the most recent ones. */
        STREAMING("streaming"),
        /**
         * SnapKV-style (Li et al. 2024): the last {@link #WINDOW} prompt tokens (the observation window) plus the
         * earlier tokens they attend to most ({@link #snapKvKept}); needs flash attention off and the host.
         */
        SNAPKV("snapkv");

        public final String label;

        Policy(String label) {
            this.label = label;
        }

        public static Policy parse(String s) {
            for (Policy p : values()) {
                if (p.label.equalsIgnoreCase(s.trim())) {
                    return p;
                }
            }
            throw new CtxbenchException("unknown KV eviction '" + s + "': use none, streaming or snapkv");
        }
    }

    public KvEviction {
        if (policy == null) {
            throw new CtxbenchException("a KV eviction needs a policy (none, streaming or snapkv)");
        }
        if (policy == Policy.NONE) {
            fraction = 0;
            tokens = 0;
            sinks = 0;
        } else {
            if (sinks < 0) {
                throw new CtxbenchException("KV eviction: sinks must be >= 0, got " + sinks);
            }
            if (policy == Policy.SNAPKV && sinks != 0) {
                throw new CtxbenchException("KV eviction snapkv keeps what the observation window attends to, not sinks:"
                        + " give no sinks");
            }
            boolean byFraction = fraction != 0, byTokens = tokens != 0;
            if (byFraction == byTokens) {
                throw new CtxbenchException("KV eviction " + policy.label + ": give the budget either as a fraction of the"
                        + " prompt (kv_budget, in (0, 1]) or as a token count (kv_budget_tokens), not "
                        + (byFraction ? "both" : "neither"));
            }
            if (byFraction && !(fraction > 0 && fraction <= 1)) {
                throw new CtxbenchException("KV eviction " + policy.label + ": the budget must be a fraction in (0, 1] of"
                        + " the prompt, got " + fraction);
            }
            int least = policy == Policy.SNAPKV ? WINDOW + 1 : sinks + 1;
            if (byTokens && tokens < least) {
                throw new CtxbenchException("KV eviction " + policy.label + ": a budget of " + tokens + " tokens leaves "
                        + (policy == Policy.SNAPKV ? "nothing to select beside the " + WINDOW + "-token observation window"
                        : "no recent window beside " + sinks + " sink token(s)") + ": give at least " + least);
            }
        }
    }

    /** StreamingLLM keeping {@code fraction} of the prompt, with {@link #DEFAULT_SINKS} sinks. */
    public static KvEviction streaming(double fraction) {
        return new KvEviction(Policy.STREAMING, fraction, 0, DEFAULT_SINKS);
    }

    /** StreamingLLM keeping {@code tokens} of the prompt, with {@link #DEFAULT_SINKS} sinks. */
    public static KvEviction streamingTokens(int tokens) {
        return new KvEviction(Policy.STREAMING, 0, tokens, DEFAULT_SINKS);
    }

    /** SnapKV-style eviction: the last {@code WINDOW} prompt tokens' attention picks what stays (SnapKV's window_size 64). */
    public static KvEviction snapKv(double fraction) {
        return new KvEviction(Policy.SNAPKV, fraction, 0, 0);
    }

    public boolean evicts() {
        return policy != Policy.NONE;
    }

    /** Whether eviction needs the observation window's attention ({@link Session} captures it while prefilling). */
    public boolean observesAttention() {
        return policy == Policy.SNAPKV;
    }

    /** The fewest tokens a prompt keeps: the sinks and one recent token, or the observation window and one more. */
    private int least() {
        return policy == Policy.SNAPKV ? WINDOW + 1 : sinks + 1;
    }

    /**
     * Where the observation window of a prompt of {@code n} tokens starts: its queries' attention is what
     * {@link Policy#SNAPKV} scores by; {@code n} (no window) when nothing is evicted or the policy needs none.
     */
    public int observeFrom(int n) {
        return observesAttention() && kept(n) < n ? n - WINDOW : n;
    }

    /** How many of a prompt's {@code n} tokens stay in the cache: the next position after {@link #apply}. */
    public int kept(int n) {
        if (!evicts() || n <= least()) {
            return n;
        }
        long budget = fraction > 0 ? (long) Math.ceil(fraction * n) : tokens;
        return (int) Math.min(n, Math.max(budget, least()));
    }

    /**
     * Evicts from sequence {@code seq} of {@code memory} ({@code llama_get_memory}), which holds positions 0..n-1 of a
     * prompt of {@code n} tokens, and compacts the positions of the kept cells. {@code attention}: for
     * {@link Policy#SNAPKV}, the observation window's attention to each position (at least {@code n} values, see
     * {@link #snapKvKept}); null for the other policies. Returns {@link #kept(int)}, the position the next token takes.
     */
    public int apply(MemorySegment memory, int seq, int n, float[] attention) {
        int kept = kept(n);
        if (kept == n) {
            return n;
        }
        requireShift(memory);
        int[] positions;
        if (policy == Policy.SNAPKV) {
            if (attention == null || attention.length < n) {
                throw new IllegalStateException("snapkv eviction without the observation window's attention");
            }
            double sum = 0;
            for (int j = 0; j < n; j++) {
                sum += attention[j];
            }
            if (!(sum > 0)) {
                throw new CtxbenchException("KV eviction " + label() + ": llama.cpp computed no attention weights"
                        + " (kq_soft_max) for the observation window; this needs flash attention off and a model whose"
                        + " graph names them so");
            }
            positions = snapKvKept(attention, n, kept);
        } else {
            positions = new int[kept];
            int window = kept - sinks;
            for (int i = 0; i < kept; i++) {
                positions[i] = i < sinks ? i : n - window + (i - sinks);
            }
        }
        for (Op op : compaction(n, positions)) {
            if (op.shift() == 0) {
                if (!llama_h.llama_memory_seq_rm(memory, seq, op.from(), op.to())) {
                    throw new CtxbenchException("llama.cpp could not evict positions " + op.from() + ".." + (op.to() - 1)
                            + " of sequence " + seq + " (its memory cannot drop part of a sequence)");
                }
            } else {
                llama_h.llama_memory_seq_add(memory, seq, op.from(), op.to(), op.shift());
            }
        }
        return kept;
    }

    /**
     * SnapKV's selection, shared by every layer and head: {@code attention[j]} is the attention the last {@link #WINDOW}
     * prompt queries paid to position j, summed over them, every head and every layer (llama.cpp's cells hold all layers
     * and heads of a position, so one choice serves all; SnapKV chooses per head). Over the positions before the window
     * it is average-pooled ({@link #POOL_KERNEL} wide, zero padded, divided by the kernel as PyTorch's avg_pool1d
     * does), the {@code kept - WINDOW} highest are kept (ties to the earlier position), and the window itself.
     * Returns the kept positions in ascending order.
     */
    static int[] snapKvKept(float[] attention, int n, int kept) {
        int prefix = n - WINDOW, select = kept - WINDOW, half = POOL_KERNEL / 2;
        if (prefix <= 0 || select < 0 || select > prefix) {
            throw new IllegalArgumentException("snapkv: " + kept + " of " + n + " tokens with a " + WINDOW + "-token window");
        }
        double[] pooled = new double[prefix];
        for (int j = 0; j < prefix; j++) {
            double sum = 0;
            for (int i = Math.max(0, j - half); i <= Math.min(prefix - 1, j + half); i++) {
                sum += attention[i];
            }
            pooled[j] = sum / POOL_KERNEL;
        }
        Integer[] order = new Integer[prefix];
        java.util.Arrays.setAll(order, i -> i);
        java.util.Arrays.sort(order, (a, b) -> pooled[a] != pooled[b] ? Double.compare(pooled[b], pooled[a]) : Integer.compare(a, b));
        int[] out = new int[kept];
        for (int i = 0; i < select; i++) {
            out[i] = order[i];
        }
        java.util.Arrays.sort(out, 0, select);
        for (int i = 0; i < WINDOW; i++) {
            out[select + i] = prefix + i;
        }
        return out;
    }

    /** One memory call of a compaction: remove [from, to) when {@code shift} is 0, else add {@code shift} to [from, to). */
    record Op(int from, int to, int shift) {
    }

    /**
     * The memory calls that keep only {@code kept} (ascending, distinct, in 0..n-1) of positions 0..n-1 and move them
     * to 0..kept.length-1 in order: first every evicted run is removed (in the original positions), then every kept run
     * after a gap is shifted down by the count evicted before it, left to right (a shifted run lands below every run
     * not yet shifted, so no call selects a cell twice). StreamingLLM's set is two runs (one removal, one shift); a
     * SnapKV-style set is many.
     */
    static java.util.List<Op> compaction(int n, int[] kept) {
        java.util.List<Op> removes = new java.util.ArrayList<>(), shifts = new java.util.ArrayList<>();
        int next = 0, removed = 0;   // next: first original position not yet accounted for
        for (int i = 0; i < kept.length; ) {
            int start = kept[i];
            if (start < next || start >= n) {
                throw new IllegalArgumentException("kept positions must ascend within 0.." + (n - 1) + ", got " + start);
            }
            int end = start + 1;
            while (i + 1 < kept.length && kept[i + 1] == end) {
                i++;
                end++;
            }
            i++;
            if (start > next) {
                removes.add(new Op(next, start, 0));
                removed += start - next;
            }
            if (removed > 0) {
                shifts.add(new Op(start, end, -removed));
            }
            next = end;
        }
        if (next < n) {
            removes.add(new Op(next, n, 0));
        }
        removes.addAll(shifts);
        return removes;
    }

    /** Refuses, in one line, a memory that cannot shift positions (where llama.cpp would abort in its K-shift). */
    public static void requireShift(MemorySegment memory) {
        if (!llama_h.llama_memory_can_shift(memory)) {
            throw new CtxbenchException("KV eviction needs a KV cache whose positions can shift (llama_memory_can_shift),"
                    + " and this model's cannot (e.g. M-RoPE or a recurrent memory): run it without eviction");
        }
    }

    /**
     * For records and reports: {@code none}, {@code streaming 25% sinks 4}, {@code streaming 2048 tokens sinks 4} or
     * {@code snapkv 25%}; {@link #parse} reads it back.
     */
    public String label() {
        if (!evicts()) {
            return Policy.NONE.label;
        }
        String budget = fraction > 0 ? percent(fraction) : tokens + " tokens";
        return policy.label + " " + budget + (policy == Policy.STREAMING ? " sinks " + sinks : "");
    }

    /** A whole percentage as "25%" (it reads back as the same double), any other fraction as itself. */
    private static String percent(double f) {
        long p = Math.round(f * 100);
        return p / 100.0 == f ? p + "%" : Double.toString(f);
    }

    /**
     * Reads {@code none}, {@code POLICY FRACTION_OR_PERCENT} or {@code POLICY N tokens}, optionally followed by
     * {@code sinks S} (streaming: {@link #DEFAULT_SINKS} otherwise): "streaming 0.25", "streaming 25%", "streaming 2048
     * tokens sinks 4", "snapkv 10%".
     */
    public static KvEviction parse(String s) {
        String[] w = s.trim().toLowerCase(Locale.ROOT).split("\\s+");
        Policy p = Policy.parse(w[0]);
        if (p == Policy.NONE) {
            if (w.length > 1) {
                throw new CtxbenchException("KV eviction 'none' takes no budget, got '" + s + "'");
            }
            return NONE;
        }
        if (w.length < 2) {
            throw new CtxbenchException("KV eviction '" + s + "' needs a budget: e.g. '" + p.label + " 25%' or '" + p.label
                    + " 2048 tokens'");
        }
        int i = 1;
        double fraction = 0;
        int tokens = 0;
        try {
            if (w.length > 2 && w[2].equals("tokens")) {
                tokens = Integer.parseInt(w[1]);
                i = 3;
            } else {
                fraction = w[1].endsWith("%") ? Double.parseDouble(w[1].substring(0, w[1].length() - 1)) / 100
                        : Double.parseDouble(w[1]);
                i = 2;
            }
            int sinks = p == Policy.STREAMING ? DEFAULT_SINKS : 0;
            if (i < w.length) {
                if (!w[i].equals("sinks") || i + 2 != w.length) {
                    throw new CtxbenchException("KV eviction '" + s + "': after the budget only 'sinks N' may follow");
                }
                sinks = Integer.parseInt(w[i + 1]);
            }
            if (fraction == 0 && tokens == 0) {
                throw new CtxbenchException("KV eviction '" + s + "': the budget must be positive");
            }
            return new KvEviction(p, fraction, tokens, sinks);
        } catch (NumberFormatException e) {
            throw new CtxbenchException("KV eviction '" + s + "': not a number where the budget or sinks go");
        }
    }
}
