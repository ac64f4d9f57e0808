package io.ctxbench.tasks.ruler;

import io.ctxbench.CtxbenchException;
import io.ctxbench.compress.TokenCounter;
import io.ctxbench.score.PyText;
import io.ctxbench.tasks.ruler.RulerTask.Kind;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.UnaryOperator;
import java.util.random.RandomGenerator;

/**
 * Generates RULER samples at a target length in the model's own tokens, as NVIDIA/RULER's
 * scripts/data/synthetic/*.py do: a binary search for the largest haystack (noise sentences, essay words, needles,
 * list words, documents) whose prompt plus the task's tokens to generate fits {@code maxSeqLength}, then each
 * sample built at that size, shrunk by RULER's increment while a sample does not fit. Templates, needle sentences,
 * query wording, few-shot examples and the answer prefix are RULER's (prepare.py's "base" model template: the task
 * template followed by the answer prefix).
 *
 * <p>Randomness: RULER draws everything from one global generator seeded once, so its samples depend on the
 * search; here the search and each sample have their own generator derived from (seed, task, length, sample
 * index), so a sample is the same whatever the count, and the places where RULER reshuffles with a fresh
 * {@code random.Random(seed)} (needle order, cwe and fwe word order, fwe vocabulary, qa document order) do so
 * with a fresh {@code java.util.Random(seed)}. The structure, sizes and token counts match RULER's; the random
 * draws are not Python's.
 */
public final class RulerGenerator {
    static final String NOISE = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.";
    static final String NEEDLE = "One of the special magic {type_needle_v} for {key} is: {value}.";
    /** niah.py's DEPTHS: np.round(np.linspace(0, 100, 40)). */
    static final List<Integer> RULER_DEPTHS = evenDepths(40);

    private final TokenCounter tokens;
    private final RulerData data;
    private final int templateTokens;

    /**
     * @param templateTokens tokens the chat template adds around the prompt (RULER's {@code model_template_token}):
     *                       subtracted from every target length so the templated prompt fits
     */
    public RulerGenerator(TokenCounter tokens, RulerData data, int templateTokens) {
        if (templateTokens < 0) {
            throw new CtxbenchException("template tokens must be >= 0, got " + templateTokens);
        }
        this.tokens = tokens;
        this.data = data;
        this.templateTokens = templateTokens;
    }

    /** {@code count} samples of {@code task} at {@code maxSeqLength} tokens (prompt + tokens to generate). */
    public List<RulerSample> generate(RulerTask task, int maxSeqLength, int count, long seed) {
        return generate(task, maxSeqLength, count, seed, -1);
    }

    /**
     * The needle-in-a-haystack grid: {@code perCell} samples of a needle task at every (length, depth), the asked
     * needle placed at that percent depth of the haystack (other needles where RULER puts them). Only variants
     * with one asked needle of one value (niah_single_*, niah_multikey_*) have one depth per sample.
     */
    public List<RulerSample> needleGrid(RulerTask task, List<Integer> lengths, List<Integer> depths, int perCell, long seed) {
        requireGridTask(task);
        for (int d : depths) {
            if (d < 0 || d > 100) {
                throw new CtxbenchException("needle depths are percentages 0..100, got " + d);
            }
        }
        List<RulerSample> out = new ArrayList<>();
        for (int length : lengths) {
            for (int d : depths) {
                out.addAll(generate(task, length, perCell, seed, d));
            }
        }
        return out;
    }

    /** Refuses a task the grid cannot place at one depth: one asked needle of one value (niah_single_*, niah_multikey_*). */
    public static void requireGridTask(RulerTask task) {
        if (!(task.config() instanceof RulerTask.Niah c) || c.numQueries() != 1 || c.numValues() != 1) {
            throw new CtxbenchException("a needle grid needs a RULER needle task with one asked needle of one value "
                    + "(niah_single_*, niah_multikey_*), got " + task.name());
        }
    }

    /** {@code n} depths evenly spaced over 0..100 percent, rounded as numpy does (half to even). */
    public static List<Integer> evenDepths(int n) {
        if (n < 2) {
            throw new CtxbenchException("a depth grid needs at least 2 depths, got " + n);
        }
        List<Integer> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add((int) Math.rint(i * (100.0 / (n - 1))));   // linspace's i * step, then np.round
        }
        return out;
    }

    private List<RulerSample> generate(RulerTask task, int maxSeqLength, int count, long seed, int depth) {
        if (count < 0) {
            throw new CtxbenchException("sample count must be >= 0, got " + count);
        }
        if (maxSeqLength - templateTokens < 64 + task.kind().tokensToGenerate) {
            throw new CtxbenchException("RULER length " + maxSeqLength + " is too small for " + task.name()
                    + " (it generates " + task.kind().tokensToGenerate + " tokens)");
        }
        Job job = new Job(task, maxSeqLength, seed, depth);
        return switch (task.config()) {
            case RulerTask.Niah c -> job.sized(count, new NiahBuilder(job, c));
            case RulerTask.VariableTracking c -> job.variableTracking(count, c);
            case RulerTask.CommonWords c -> job.sized(count, new CommonWordsBuilder(job, c));
            case RulerTask.FreqWords c -> job.freqWords(count, c);
            case RulerTask.Qa c -> job.qa(count, data.qaPool(c.dataset()));
        };
    }

    /**
     * A built prompt (task template + answer prefix) and its references; the template's {@code {context}} (the
     * haystack) is {@code text[contextStart, contextEnd)}.
     */
    record Built(String text, List<String> outputs, int contextStart, int contextEnd) {
        /** {@code template.format(**values)} with the place where {@code values["context"]} went. */
        static Built filled(String template, Map<String, String> values, List<String> outputs) {
            int at = template.indexOf("{context}");
            String before = PyText.format(template.substring(0, at), values);
            String context = values.get("context");
            return new Built(before + context + PyText.format(template.substring(at + 9), values), outputs,
                    before.length(), before.length() + context.length());
        }

        /** This prompt after {@code prefix} (a few-shot or in-context example). */
        Built after(String prefix) {
            return new Built(prefix + text, outputs, prefix.length() + contextStart, prefix.length() + contextEnd);
        }
    }

    /** Builds a prompt with a number of haystack units (sentences, words, needles, list words, documents). */
    interface Builder {
        /** Units added or removed at a time (RULER's {@code incremental}); also the search's lower bound. */
        int increment();

        /** Null where these units cannot be built (more distinct words or documents than there are). */
        Built build(int units, RandomGenerator r);

        /** The size whose token count gives the tokens per unit for the search's upper bound. */
        default int probe() {
            return increment();
        }

        /** The most units there is material for (distinct words), 0 for no limit. */
        default int limitedTo() {
            return 0;
        }

        /** The search's upper bound from tokens per unit: 3 times the units that fill the budget. */
        default int estimate(int budget, double perUnit) {
            return (int) (budget / perUnit * 3);
        }
    }

    /** One generate call: task, length and seed, and the generators derived from them. */
    final class Job {
        final RulerTask task;
        final int argLength;
        final int budget;
        final long seed;
        final int depth;
        final int ttg;

        Job(RulerTask task, int maxSeqLength, long seed, int depth) {
            this.task = task;
            this.argLength = maxSeqLength;
            this.budget = maxSeqLength - templateTokens;
            this.seed = seed;
            this.depth = depth;
            this.ttg = task.kind().tokensToGenerate;
        }

        /** The search uses index -1 (and -2 for vt's example); sample i uses i. */
        RandomGenerator random(int index) {
            long h = seed * 0x9E3779B97F4A7C15L + task.name().hashCode() * 1_000_003L + argLength * 7919L + depth * 131L;
            return new SplittableRandom(h ^ (index + 3) * 0xBF58476D1CE4E5B9L);
        }

        String template() {
            return task.kind().template + task.kind().answerPrefix;
        }

        /**
         * RULER's binary search for the most units whose prompt, plus {@code extra} tokens and {@code generate}
         * tokens to generate, fits {@code limit}; the increment when none does.
         */
        int search(Builder b, int limit, int extra, int generate, RandomGenerator r) {
            int inc = b.increment();
            Built probe = b.build(b.probe(), r);
            int lo = inc;
            int hi = probe == null ? inc * 2
                    : Math.max(b.estimate(limit, (double) tokens.count(probe.text()) / b.probe()), inc * 2);
            int best = -1;
            while (true) {
                int top = hi;
                while (lo <= hi) {
                    int mid = (lo + hi) >>> 1;
                    Built t = b.build(mid, r);
                    if (t != null && tokens.count(t.text()) + extra + generate <= limit) {
                        best = mid;
                        lo = mid + 1;
                    } else {
                        hi = mid - 1;
                    }
                }
                // RULER's bound assumes units of even size; where the probe's units were larger than the rest (a
                // qasper paper among news paragraphs) the largest fitting size is the bound itself: search above it
                if (best < top || top > Integer.MAX_VALUE / 4) {
                    break;
                }
                lo = top + 1;
                hi = top * 2;
            }
            if (b.limitedTo() > 0 && best + b.increment() > b.limitedTo()) {
                throw new CtxbenchException(task.name() + " at " + argLength + " tokens needs more than the "
                        + b.limitedTo() + " distinct words at hand (RULER draws from a 466k-word English list)"
                        + (data.hasProse() ? "" : "; give LongBench's multi_news.jsonl, whose words extend the list"));
            }
            return best > 0 ? best : inc;
        }

        /**
         * One sample: built at {@code units} (wrapped by {@code wrap}) and, as RULER's sample loop does, shrunk by the
         * increment while text + {@code generate} tokens exceed {@code limit}; null when nothing fits. Where RULER
         * keeps that smaller size (one step is 500 essay words, a third of a 2k prompt, lost because a key took two
         * tokens more than the search's), the largest size between it and the one that overflowed is taken back by
         * bisection, so samples stay within a few tokens of the target.
         */
        Fitted fit(Builder b, int units, RandomGenerator r, int limit, int generate, UnaryOperator<String> wrap) {
            int hi = units;
            Fitted best = null;
            int lo = 0;
            for (int used = units; used >= 1 && best == null; used -= b.increment()) {
                best = attempt(b, used, r, limit, generate, wrap);
                if (best == null) {
                    hi = used - 1;
                } else {
                    lo = used;
                }
            }
            while (best != null && lo < hi) {
                int mid = (lo + hi + 1) >>> 1;
                Fitted f = attempt(b, mid, r, limit, generate, wrap);
                if (f != null) {
                    best = f;
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            return best;
        }

        private Fitted attempt(Builder b, int units, RandomGenerator r, int limit, int generate, UnaryOperator<String> wrap) {
            Built t = b.build(units, r);
            if (t == null) {
                return null;
            }
            String text = wrap.apply(t.text());
            int length = tokens.count(text) + generate;
            int shift = text.length() - t.text().length();   // wrap puts text in front (vt's example)
            return length <= limit ? new Fitted(text, t.outputs(), length, t.contextStart() + shift, t.contextEnd() + shift)
                    : null;
        }

        Fitted required(Fitted f) {
            if (f == null) {
                throw new CtxbenchException("RULER length " + argLength + " is too small for " + task.name()
                        + ": its smallest prompt does not fit");
            }
            return f;
        }

        /** niah, cwe: search, then each sample at that size. */
        List<RulerSample> sized(int count, Builder b) {
            int units = search(b, budget, 0, ttg, random(-1));
            List<RulerSample> out = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                out.add(sample(i, required(fit(b, units, random(i), budget, ttg, UnaryOperator.identity()))));
            }
            return out;
        }

        /** Splits off the answer prefix as RULER does: at the last occurrence of its first 10 characters. */
        RulerSample sample(int index, Fitted f) {
            String prefix = task.kind().answerPrefix;
            int at = f.text().lastIndexOf(prefix.substring(0, Math.min(10, prefix.length())));
            return new RulerSample(task.name(), argLength, depth, seed, index, f.text().substring(0, at),
                    f.contextStart(), f.contextEnd(), f.text().substring(at), f.outputs(), f.length());
        }

        /**
         * variable_tracking.py: first an in-context example (3-letter variables, the value 12345) searched to fit 500
         * tokens with nothing to generate, then the task; each sample is the example with fresh names and value, a
         * newline, and the task prompt.
         */
        List<RulerSample> variableTracking(int count, RulerTask.VariableTracking c) {
            VtBuilder icl = new VtBuilder(this, c, true, 5);
            int iclLimit = 500 - templateTokens;
            RandomGenerator r0 = random(-2);
            Fitted example = required(fit(icl, search(icl, iclLimit, 0, 0, r0), r0, iclLimit, 0, UnaryOperator.identity()));
            String iclText = example.text() + " " + String.join(" ", example.outputs()) + "\n";
            VtBuilder main = new VtBuilder(this, c, false, argLength < 4096 ? 5 : 10);
            int units = search(main, budget, tokens.count(iclText), ttg, random(-1));
            List<RulerSample> out = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                RandomGenerator r = random(i);
                out.add(sample(i, required(fit(main, units, r, budget, ttg,
                        t -> randomizeExample(iclText, c.numHops(), r) + "\n" + t))));
            }
            return out;
        }

        /** randomize_icl: new letters for the example's variables (every occurrence), a new value for 12345. */
        String randomizeExample(String example, int hops, RandomGenerator r) {
            List<String> words = PyText.split(PyText.strip(example));
            for (String item : words.subList(Math.max(0, words.size() - hops - 1), words.size())) {
                example = example.replace(item, letters(item.length(), r));
            }
            return example.replace("12345", String.valueOf(r.nextInt(10000, 99999)));
        }

        /**
         * freq_words_extraction.py: the word count grows by 1/32 of the budget until the text reaches it, then steps
         * back once; each sample (with its own vocabulary) shrinks by the same step while it does not fit.
         */
        List<RulerSample> freqWords(int count, RulerTask.FreqWords c) {
            int maxLen = budget - ttg;
            int vocabSize = maxLen / 50;
            if (vocabSize < 4) {
                throw new CtxbenchException("RULER length " + argLength + " is too small for " + task.name()
                        + ": its vocabulary needs at least 4 words (length / 50)");
            }
            int inc = Math.max(1, maxLen / 32);
            FreqWordsBuilder b = new FreqWordsBuilder(this, c, vocabSize);
            List<String> vocab0 = b.vocab(random(-1));
            int words = maxLen / 6;
            while (tokens.count(b.text(vocab0, words).text()) < maxLen) {
                words += inc;
            }
            words -= inc;
            List<RulerSample> out = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                List<String> vocab = b.vocab(random(i));
                int used = words;
                Built text = b.text(vocab, used);
                while (tokens.count(text.text()) > maxLen) {
                    used -= inc;
                    if (used <= 0) {
                        required(null);
                    }
                    text = b.text(vocab, used);
                }
                out.add(sample(i, new Fitted(text.text(), vocab.subList(1, 4), tokens.count(text.text()) + ttg,
                        text.contextStart(), text.contextEnd())));
            }
            return out;
        }

        /**
         * qa.py: sample i asks the next question of the set, with as many documents as fit. RULER searches the
         * document count once, with the first question, which suits SQuAD's even paragraphs; with qasper's papers
         * (1-6k words each) as gold documents a count searched for one paper over- or under-fills the next, so the
         * count is searched per question. A question whose own documents do not fit at this length is skipped
         * (RULER would retry it forever).
         */
        List<RulerSample> qa(int count, QaPool pool) {
            if (pool.items().isEmpty()) {
                throw new CtxbenchException(task.name() + ": the question set has no questions");
            }
            List<RulerSample> out = new ArrayList<>(count);
            int question = 0;
            for (int i = 0; i < count; i++) {
                RandomGenerator r = random(i);
                Fitted f = null;
                while (f == null) {
                    if (question >= pool.items().size()) {
                        throw new CtxbenchException(task.name() + ": only " + out.size() + " questions of its set fit in "
                                + argLength + " tokens with their own documents, " + count + " asked for");
                    }
                    QaBuilder b = new QaBuilder(this, pool, question++);
                    f = fit(b, search(b, budget, 0, ttg, r), r, budget, ttg, UnaryOperator.identity());
                }
                out.add(sample(i, f));
            }
            return out;
        }
    }

    /** A sample's full prompt, references and length (tokens + tokens to generate). */
    record Fitted(String text, List<String> outputs, int length, int contextStart, int contextEnd) {
    }

    static String letters(int n, RandomGenerator r) {
        char[] c = new char[n];
        for (int i = 0; i < n; i++) {
            c[i] = (char) ('A' + r.nextInt(26));
        }
        return new String(c);
    }

    /** Python's random.sample: k distinct items in random order. */
    static <T> List<T> sample(List<T> population, int k, RandomGenerator r) {
        if (k < 0 || k > population.size()) {
            return null;
        }
        List<T> copy = new ArrayList<>(population);
        for (int i = 0; i < k; i++) {
            Collections.swap(copy, i, i + r.nextInt(copy.size() - i));
        }
        return new ArrayList<>(copy.subList(0, k));
    }

    static List<Integer> range(int n) {
        List<Integer> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(i);
        }
        return out;
    }

    /** niah.py's generate_input_output. */
    final class NiahBuilder implements Builder {
        private final Job job;
        private final RulerTask.Niah c;

        NiahBuilder(Job job, RulerTask.Niah c) {
            this.job = job;
            this.c = c;
        }

        public int increment() {
            if (c.haystack() == RulerTask.Haystack.ESSAY) {
                return 500;
            }
            return job.argLength < 4096 ? 5 : 25;
        }

        String random(RulerTask.NeedleType type, RandomGenerator r) {
            return switch (type) {
                case NUMBERS -> String.valueOf(r.nextInt(1_000_000, 10_000_000));
                case WORDS -> data.keyAdjectives.get(r.nextInt(data.keyAdjectives.size())) + "-"
                        + data.keyNouns.get(r.nextInt(data.keyNouns.size()));
                case UUIDS -> new UUID((r.nextLong() & ~0xF000L) | 0x4000L,
                        (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L).toString();
            };
        }

        String needle(String key, String value) {
            return PyText.format(NEEDLE, Map.of("type_needle_v", c.valueType().plural, "key", key, "value", value));
        }

        public Built build(int units, RandomGenerator r) {
            int numKeys = Math.max(c.numKeys(), c.numQueries());
            List<String> keys = new ArrayList<>();
            List<List<String>> values = new ArrayList<>();
            List<String> needles = new ArrayList<>();
            for (int k = 0; k < numKeys; k++) {
                keys.add(random(c.keyType(), r));
                List<String> vs = new ArrayList<>();
                for (int v = 0; v < c.numValues(); v++) {
                    vs.add(random(c.valueType(), r));
                    needles.add(needle(keys.getLast(), vs.getLast()));
                }
                values.add(vs);
            }
            Collections.shuffle(needles, new Random(job.seed));
            // the grid asks for one key chosen up front and puts its needle at the grid's depth
            int asked = job.depth >= 0 ? r.nextInt(numKeys) : -1;
            String askedNeedle = asked >= 0 ? needle(keys.get(asked), values.get(asked).getFirst()) : null;
            String context;
            if (c.haystack() == RulerTask.Haystack.ESSAY) {
                String[] hay = data.essayWords(job.task.name());
                StringBuilder text = new StringBuilder();
                for (int i = 0; i < units; i++) {
                    text.append(i == 0 ? "" : " ").append(hay[i % hay.length]);
                }
                List<String> sents = sentences(PyText.strip(text.toString()));
                List<Integer> depths = sample(RULER_DEPTHS, needles.size(), r);
                List<Integer> positions = new ArrayList<>();
                for (int k = 0; k < needles.size(); k++) {
                    int d = needles.get(k).equals(askedNeedle) ? job.depth : depths.get(k);
                    positions.add((int) (sents.size() * (d / 100.0)));
                }
                List<Integer> order = sortedBy(positions);
                List<String> parts = new ArrayList<>();
                int last = 0;
                for (int k : order) {
                    int next = positions.get(k);
                    parts.add(String.join(" ", sents.subList(last, next)));
                    parts.add(needles.get(k));
                    last = next;
                }
                parts.add(String.join(" ", sents.subList(last, sents.size())));
                context = String.join(" ", parts);
            } else {
                List<String> sentences = new ArrayList<>(units + needles.size());
                for (int i = 0; i < units; i++) {
                    sentences.add(c.haystack() == RulerTask.Haystack.NOISE ? NOISE
                            : needle(random(c.keyType(), r), random(c.valueType(), r)));
                }
                List<Integer> indexes = sample(range(units), needles.size(), r);
                if (indexes == null) {
                    return null;
                }
                for (int k = 0; k < needles.size(); k++) {
                    if (needles.get(k).equals(askedNeedle)) {
                        indexes.set(k, (int) (units * (job.depth / 100.0)));
                    }
                }
                // inserted from the last position back, so each index is a position in the plain haystack
                List<Integer> order = sortedBy(indexes);
                Collections.reverse(order);
                for (int k : order) {
                    sentences.add(indexes.get(k), needles.get(k));
                }
                context = String.join("\n", sentences);
            }
            List<Integer> chosen = asked >= 0 ? List.of(asked) : sample(range(numKeys), c.numQueries(), r);
            List<String> queries = chosen.stream().map(keys::get).toList();
            List<String> answers = chosen.stream().flatMap(i -> values.get(i).stream()).toList();
            String query = queries.size() > 1
                    ? String.join(", ", queries.subList(0, queries.size() - 1)) + ", and " + queries.getLast()
                    : queries.getFirst();
            String template = job.template();
            String type = c.valueType().plural;
            if (c.numQueries() * c.numValues() == 1) {
                template = template.replace("Some", "A").replace("are all", "is").replace("are", "is")
                        .replace("answers", "answer");
                type = type.substring(0, type.length() - 1);
            }
            return Built.filled(template, Map.of("type_needle_v", type, "context", context, "query", query), answers);
        }
    }

    /**
     * Sentences as RULER's essay haystack cuts them. RULER uses nltk's punkt model (a download, not a package);
     * this splits after '.', '!' or '?' (optionally followed by one closing quote or bracket) at whitespace,
     * the rule the committed fixtures were generated with. {@code text} is stripped.
     */
    static List<String> sentences(String text) {
        List<String> out = new ArrayList<>();
        int start = 0;
        int n = text.length();
        int i = 0;
        while (i < n) {
            if (PyText.isSpace(text.charAt(i)) && i > 0 && endsSentence(text, i)) {
                if (i > start) {
                    out.add(text.substring(start, i));
                }
                while (i < n && PyText.isSpace(text.charAt(i))) {
                    i++;
                }
                start = i;
            } else {
                i++;
            }
        }
        if (start < n) {
            out.add(text.substring(start));
        }
        return out;
    }

    private static boolean endsSentence(String t, int space) {
        char p = t.charAt(space - 1);
        if (p == '.' || p == '!' || p == '?') {
            return true;
        }
        if ((p == '"' || p == '\'' || p == ')' || p == ']') && space > 1) {
            char q = t.charAt(space - 2);
            return q == '.' || q == '!' || q == '?';
        }
        return false;
    }

    /** Indexes of {@code xs} in ascending order of value (stable), as Python's sorted() pairs them. */
    static List<Integer> sortedBy(List<Integer> xs) {
        List<Integer> order = new ArrayList<>(range(xs.size()));
        order.sort((a, b) -> Integer.compare(xs.get(a), xs.get(b)));
        return order;
    }

    /** variable_tracking.py's generate_input_output over the noise haystack. */
    final class VtBuilder implements Builder {
        private final Job job;
        private final RulerTask.VariableTracking c;
        private final boolean icl;
        private final int increment;

        VtBuilder(Job job, RulerTask.VariableTracking c, boolean icl, int increment) {
            this.job = job;
            this.c = c;
            this.icl = icl;
            this.increment = increment;
        }

        public int increment() {
            return increment;
        }

        public Built build(int units, RandomGenerator r) {
            int k = icl ? 3 : 5;
            int hops = icl ? Math.min(10, c.numHops()) : c.numHops();
            // distinct names (RULER appends on a clash and then mis-slices its chains; a clash is resampled here)
            List<String> vars = new ArrayList<>();
            while (vars.size() < (hops + 1) * c.numChains()) {
                String v = letters(k, r);
                if (!vars.contains(v)) {
                    vars.add(v);
                }
            }
            List<List<String>> chains = new ArrayList<>();
            for (int i = 0; i < vars.size(); i += hops + 1) {
                List<String> chain = new ArrayList<>();
                chain.add("VAR " + vars.get(i) + " = " + (icl ? "12345" : String.valueOf(r.nextInt(10000, 99999))));
                for (int j = 0; j < hops; j++) {
                    chain.add("VAR " + vars.get(i + j + 1) + " = VAR " + vars.get(i + j) + " ");
                }
                chains.add(chain);
            }
            String first = chains.getFirst().getFirst();
            String value = PyText.strip(first.substring(first.lastIndexOf('=') + 1));
            List<String> sentences = new ArrayList<>(Collections.nCopies(units, NOISE));
            for (List<String> chain : chains) {
                List<Integer> positions = sample(range(sentences.size()), chain.size(), r);
                if (positions == null) {
                    return null;
                }
                Collections.sort(positions);
                for (int j = 0; j < chain.size(); j++) {
                    sentences.add(positions.get(j) + j, chain.get(j));
                }
            }
            String context = String.join("\n", sentences).replace(". \n", ".\n");
            return Built.filled(job.template(), Map.of("context", context, "query", value,
                    "num_v", String.valueOf(hops + 1)), vars.subList(0, hops + 1));
        }
    }

    /** common_words_extraction.py's generate_input_output (one few-shot example). */
    final class CommonWordsBuilder implements Builder {
        private final Job job;
        private final RulerTask.CommonWords c;

        CommonWordsBuilder(Job job, RulerTask.CommonWords c) {
            this.job = job;
            this.c = c;
        }

        public int increment() {
            return 10;
        }

        @Override
        public int probe() {
            return 4096;
        }

        @Override
        public int estimate(int budget, double perUnit) {
            return (int) Math.floor(budget / perUnit) * 2;
        }

        @Override
        public int limitedTo() {
            int words = data.commonWords.size();
            return data.hasProse() ? Math.max(words, data.longWords(job.task.name()).size()) : words;
        }

        /** get_example: a list of numWords words, the first numCommon repeated more; null past the word lists. */
        private Example example(int numWords, int common, int uncommon, RandomGenerator r) {
            if (numWords > data.commonWords.size() && !data.hasProse()) {
                return null;   // past the wonderwords without prose: too large (search() says so if it must)
            }
            List<String> source = numWords <= data.commonWords.size() ? data.commonWords : data.longWords(job.task.name());
            List<String> words = sample(source, numWords, r);
            if (words == null) {
                return null;
            }
            List<String> top = words.subList(0, Math.min(c.numCommon(), words.size()));
            List<String> list = new ArrayList<>();
            for (int i = 0; i < common; i++) {
                list.addAll(top);
            }
            for (int i = 0; i < uncommon; i++) {
                list.addAll(words.subList(top.size(), words.size()));
            }
            Collections.shuffle(list, new Random(job.seed));
            return new Example(numbered(list), top);
        }

        /** Below 4096 tokens RULER uses fewer repeats (6 and 1) and a 20-word example (3 and 1); else 40 (10 and 3). */
        public Built build(int units, RandomGenerator r) {
            boolean small = job.argLength < 4096;
            Example shot = small ? example(20, 3, 1, r) : example(40, 10, 3, r);
            Example main = small ? example(units, 6, 1, r) : example(units, c.freqCommon(), c.freqUncommon(), r);
            if (main == null) {
                return null;
            }
            String n = String.valueOf(c.numCommon());
            String fewShot = PyText.format(job.template(), Map.of("num_cw", n, "context", shot.list(), "query", ""))
                    + " " + numbered(shot.common());
            return Built.filled(job.template(), Map.of("num_cw", n, "context", main.list(), "query", ""), main.common())
                    .after(fewShot + "\n");
        }
    }

    record Example(String list, List<String> common) {
    }

    /** "1. w1 2. w2 ...". */
    static String numbered(List<String> words) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < words.size(); i++) {
            sb.append(i == 0 ? "" : " ").append(i + 1).append(". ").append(words.get(i));
        }
        return sb.toString();
    }

    /** freq_words_extraction.py's vocabulary and gen_text. */
    final class FreqWordsBuilder {
        private final Job job;
        private final RulerTask.FreqWords c;
        private final int vocabSize;
        private final double zeta;

        FreqWordsBuilder(Job job, RulerTask.FreqWords c, int vocabSize) {
            this.job = job;
            this.c = c;
            this.vocabSize = vocabSize;
            this.zeta = zeta(c.alpha());
        }

        /** vocabSize distinct 6-letter words, sorted, shuffled with Random(seed); the top-ranked one is '...'. */
        List<String> vocab(RandomGenerator r) {
            TreeSet<String> set = new TreeSet<>();
            while (set.size() < vocabSize) {
                set.add(letters(6, r).toLowerCase(Locale.ROOT));
            }
            List<String> vocab = new ArrayList<>(set);
            Collections.shuffle(vocab, new Random(job.seed));
            vocab.set(0, "...");
            return vocab;
        }

        /** Word k (1-based) appears floor(numWords * k^-alpha / zeta(alpha)) times, in a Random(seed) order. */
        Built text(List<String> vocab, int numWords) {
            List<String> words = new ArrayList<>();
            for (int k = 1; k <= vocab.size(); k++) {
                int n = (int) (numWords * Math.pow(k, -c.alpha()) / zeta);
                for (int i = 0; i < n; i++) {
                    words.add(vocab.get(k - 1));
                }
            }
            Collections.shuffle(words, new Random(job.seed));
            return Built.filled(job.template(), Map.of("context", String.join(" ", words), "query", ""), List.of());
        }
    }

    /** The Riemann zeta function for s > 1 (scipy.special.zeta(s)), by Euler-Maclaurin summation. */
    static double zeta(double s) {
        if (s == 2.0) {
            return Math.PI * Math.PI / 6;
        }
        int n = 1000;
        double sum = 0;
        for (int k = n - 1; k >= 1; k--) {
            sum += Math.pow(k, -s);
        }
        return sum + Math.pow(n, 1 - s) / (s - 1) + 0.5 * Math.pow(n, -s) + s / 12 * Math.pow(n, -s - 1);
    }

    /** qa.py's generate_input_output for one question. */
    final class QaBuilder implements Builder {
        private final Job job;
        private final QaPool pool;
        private final QaPool.Item item;

        QaBuilder(Job job, QaPool pool, int question) {
            this.job = job;
            this.pool = pool;
            this.item = pool.items().get(question);
        }

        public int increment() {
            return 10;
        }

        public Built build(int numDocs, RandomGenerator r) {
            List<Integer> gold = item.context();
            List<Integer> more = item.more();
            List<String> all;
            if (numDocs < pool.docs().size()) {
                List<Integer> chosen = new ArrayList<>(gold);
                if (numDocs - gold.size() > more.size()) {
                    Set<Integer> taken = new HashSet<>(gold);
                    taken.addAll(more);
                    taken.addAll(pool.goldOnly());
                    List<Integer> addition = new ArrayList<>();
                    for (int i = 0; i < pool.docs().size(); i++) {
                        if (!taken.contains(i)) {
                            addition.add(i);
                        }
                    }
                    chosen.addAll(more);
                    chosen.addAll(sample(addition, Math.max(0, numDocs - gold.size() - more.size()), r));
                } else {
                    List<Integer> extra = sample(more, numDocs - gold.size(), r);
                    if (extra == null) {
                        return null;   // fewer documents than the question's gold ones: Python raises here
                    }
                    chosen.addAll(extra);
                }
                all = new ArrayList<>(chosen.stream().map(pool.docs()::get).toList());
            } else {
                all = new ArrayList<>(numDocs);
                for (int i = 0; i < numDocs; i++) {
                    all.add(pool.docs().get(i % pool.docs().size()));
                }
            }
            Collections.shuffle(all, new Random(job.seed));
            StringBuilder context = new StringBuilder();
            for (int i = 0; i < all.size(); i++) {
                context.append(i == 0 ? "" : "\n\n").append("Document ").append(i + 1).append(":\n").append(all.get(i));
            }
            return Built.filled(job.template(), Map.of("context", context.toString(), "query", item.query()),
                    item.outputs());
        }
    }
}
