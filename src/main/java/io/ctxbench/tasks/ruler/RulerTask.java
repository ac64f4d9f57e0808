package io.ctxbench.tasks.ruler;

import io.ctxbench.CtxbenchException;
import io.ctxbench.tasks.Metric;
import io.ctxbench.tasks.TaskSpec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One RULER task as NVIDIA/RULER's scripts/synthetic.yaml defines it: a name, the generator it runs
 * ({@link Kind}, with the template, answer prefix and tokens to generate of scripts/data/synthetic/constants.py)
 * and that generator's arguments ({@link Config}).
 */
public record RulerTask(String name, Config config) {

    /**
     * RULER's generators, with their prompt template and answer prefix byte for byte, tokens to generate and metric
     * (scripts/eval/synthetic/constants.py).
     */
    public enum Kind {
        NIAH(128, "Some special magic {type_needle_v} are hidden within the following text. Make sure to memorize it. "
                + "I will quiz you about the {type_needle_v} afterwards.\n{context}\nWhat are all the special magic "
                + "{type_needle_v} for {query} mentioned in the provided text?",
                " The special magic {type_needle_v} for {query} mentioned in the provided text are", Metric.STRING_MATCH_ALL),
        VARIABLE_TRACKING(30, "Memorize and track the chain(s) of variable assignment hidden in the following text.\n\n"
                + "{context}\nQuestion: Find all variables that are assigned the value {query} in the text above.",
                " Answer: According to the chain(s) of variable assignment in the text above, {num_v} variables are "
                        + "assigned the value {query}, they are: ", Metric.STRING_MATCH_ALL),
        COMMON_WORDS(120, "Below is a numbered list of words. In these words, some appear more often than others. "
                + "Memorize the ones that appear most often.\n{context}\nQuestion: What are the 10 most common words in "
                + "the above list?", " Answer: The top 10 words that appear most often in the list are:", Metric.STRING_MATCH_ALL),
        FREQ_WORDS(50, "Read the following coded text and track the frequency of each coded word. Find the three most "
                + "frequently appeared coded words. {context}\nQuestion: Do not provide any explanation. Please ignore the "
                + "dots '....'. What are the three most frequently appeared words in the above coded text?",
                " Answer: According to the coded text above, the three most frequently appeared words are:",
                Metric.STRING_MATCH_ALL),
        QA(32, "Answer the question based on the given documents. Only give me the answer and do not output any other "
                + "words.\n\nThe following are given documents.\n\n{context}\n\nAnswer the question based on the given "
                + "documents. Only give me the answer and do not output any other words.\n\nQuestion: {query}",
                " Answer:", Metric.STRING_MATCH_PART);

        public final int tokensToGenerate;
        public final String template;
        public final String answerPrefix;
        public final Metric metric;

        Kind(int tokensToGenerate, String template, String answerPrefix, Metric metric) {
            this.tokensToGenerate = tokensToGenerate;
            this.template = template;
            this.answerPrefix = answerPrefix;
            this.metric = metric;
        }
    }

    /** Where a needle task's haystack comes from: RULER's noise sentences, prose ("essay"), or more needles. */
    public enum Haystack { NOISE, ESSAY, NEEDLE }

    /** What a needle's key or value is: a 7-digit number, an adjective-noun word pair, or a UUID. */
    public enum NeedleType {
        NUMBERS("numbers"), WORDS("words"), UUIDS("uuids");

        public final String plural;

        NeedleType(String plural) {
            this.plural = plural;
        }
    }

    /** A generator's arguments, as in synthetic.yaml. */
    public sealed interface Config permits Niah, VariableTracking, CommonWords, FreqWords, Qa {
        Kind kind();
    }

    /** niah.py: {@code numKeys} needles (of which {@code numQueries} are asked for), each key with {@code numValues}. */
    public record Niah(Haystack haystack, NeedleType keyType, NeedleType valueType, int numKeys, int numValues,
                       int numQueries) implements Config {
        public Kind kind() {
            return Kind.NIAH;
        }
    }

    /** variable_tracking.py over the noise haystack (the only one synthetic.yaml uses). */
    public record VariableTracking(int numChains, int numHops) implements Config {
        public Kind kind() {
            return Kind.VARIABLE_TRACKING;
        }
    }

    /** common_words_extraction.py: {@code numCommon} words repeated {@code freqCommon} times, the rest {@code freqUncommon}. */
    public record CommonWords(int freqCommon, int freqUncommon, int numCommon) implements Config {
        public Kind kind() {
            return Kind.COMMON_WORDS;
        }
    }

    /** freq_words_extraction.py: coded words drawn from a zeta distribution with exponent {@code alpha}. */
    public record FreqWords(double alpha) implements Config {
        public Kind kind() {
            return Kind.FREQ_WORDS;
        }
    }

    /** qa.py over a question set ("squad" or "hotpotqa"; see {@link RulerData#qaPool}). */
    public record Qa(String dataset) implements Config {
        public Kind kind() {
            return Kind.QA;
        }
    }

    private static final Map<String, RulerTask> TASKS = new LinkedHashMap<>();

    static {
        NeedleType w = NeedleType.WORDS;
        NeedleType n = NeedleType.NUMBERS;
        NeedleType u = NeedleType.UUIDS;
        add("niah_single_1", new Niah(Haystack.NOISE, w, n, 1, 1, 1));
        add("niah_single_2", new Niah(Haystack.ESSAY, w, n, 1, 1, 1));
        add("niah_single_3", new Niah(Haystack.ESSAY, w, u, 1, 1, 1));
        add("niah_multikey_1", new Niah(Haystack.ESSAY, w, n, 4, 1, 1));
        add("niah_multikey_2", new Niah(Haystack.NEEDLE, w, n, 1, 1, 1));
        add("niah_multikey_3", new Niah(Haystack.NEEDLE, u, u, 1, 1, 1));
        add("niah_multivalue", new Niah(Haystack.ESSAY, w, n, 1, 4, 1));
        add("niah_multiquery", new Niah(Haystack.ESSAY, w, n, 1, 1, 4));
        add("vt", new VariableTracking(1, 4));
        add("cwe", new CommonWords(30, 3, 10));
        add("fwe", new FreqWords(2.0));
        add("qa_1", new Qa("squad"));
        add("qa_2", new Qa("hotpotqa"));
    }

    private static void add(String name, Config c) {
        TASKS.put(name, new RulerTask(name, c));
    }

    /** The 13 tasks in RULER's order (scripts/config_tasks.sh). */
    public static List<RulerTask> all() {
        return List.copyOf(TASKS.values());
    }

    public static RulerTask byName(String name) {
        RulerTask t = TASKS.get(name);
        if (t == null) {
            throw new CtxbenchException("unknown RULER task '" + name + "'; known: " + String.join(", ", TASKS.keySet()));
        }
        return t;
    }

    public Kind kind() {
        return config.kind();
    }

    /**
     * The task as eval runs it: RULER's template and answer prefix (for the record: a generated sample comes filled,
     * see {@link RulerSample#toSample}), its tokens to generate as max new tokens, its metric, always in the chat
     * template (RULER wraps every task in the model's template).
     */
    public TaskSpec spec() {
        return new TaskSpec(name, kind().template + kind().answerPrefix, kind().tokensToGenerate, kind().metric, true,
                "RULER " + name + " (" + kind().name().toLowerCase(java.util.Locale.ROOT) + ", generated at a target length)");
    }
}
