package io.ctxbench.tasks.ruler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctxbench.CtxbenchException;
import io.ctxbench.score.PyText;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The material RULER's generators draw from, in the forms this project can ship or read from shared data:
 * <ul>
 * <li>word lists (always): wonderwords 3.0.1's nouns, adjectives and verbs (MIT, shipped as a resource), which
 * RULER uses for needle keys ("adjective-noun") and common words;</li>
 * <li>prose ({@link #withProse}): the paragraphs of LongBench's multi_news.jsonl. They make the "essay" haystack
 * where RULER uses Paul Graham's essays, the long word list cwe switches to past 8166 words (RULER's
 * english_words.json; here the distinct words of the prose), and the distractor documents
 * of the qasper question set;</li>
 * <li>question sets for qa ({@link #qaPool}): "squad" is RULER's SQuAD v2 dev json if given ({@link #withSquad}),
 * else qasper_cachegen60.jsonl standing in for it ({@link #withQasper}: each paper is one document with its
 * questions, multi_news paragraphs are the distractor documents); "hotpotqa" only from RULER's hotpotqa.json
 * ({@link #withHotpotQa}).</li>
 * </ul>
 */
public final class RulerData {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PASSAGE = Pattern.compile("Passage \\d+:\n");

    final List<String> keyAdjectives;
    final List<String> keyNouns;
    /** cwe's words: sorted(set(nouns + adjectives + verbs)). */
    final List<String> commonWords;
    private final List<List<String>> prose;
    private final List<Paper> qasper;
    private final Map<String, QaPool> explicitPools;
    private final Map<String, QaPool> builtPools = new HashMap<>();
    private String[] essayWords;
    private List<String> longWords;

    /** One qasper paper and its questions (answers as given). */
    private record Paper(String text, List<String> questions, List<List<String>> answers) {
    }

    private RulerData(List<String> nouns, List<String> adjectives, List<String> verbs, List<List<String>> prose,
                      List<Paper> qasper, Map<String, QaPool> pools) {
        this.keyAdjectives = distinctSorted(adjectives);
        this.keyNouns = distinctSorted(nouns);
        List<String> all = new ArrayList<>(nouns);
        all.addAll(adjectives);
        all.addAll(verbs);
        this.commonWords = distinctSorted(all);
        this.prose = prose;
        this.qasper = qasper;
        this.explicitPools = pools;
    }

    /** The word lists only: enough for niah_single_1, niah_multikey_2/3, vt, fwe and cwe up to 8166 words. */
    public static RulerData builtin() {
        try (InputStream in = RulerData.class.getResourceAsStream("wonderwords.json")) {
            JsonNode n = JSON.readTree(in);
            return new RulerData(strings(n.get("nouns")), strings(n.get("adjectives")), strings(n.get("verbs")),
                    null, null, Map.of());
        } catch (IOException e) {
            throw new UncheckedIOException("the wonderwords resource is missing from the jar", e);
        }
    }

    /** Where {@link #fromSharedData} looks in its folder: prose, qasper, RULER's SQuAD and HotpotQA files. */
    private static final List<String> FILES = List.of("longbench/multi_news.jsonl", "longbench/qasper_cachegen60.jsonl",
            "ruler/squad.json", "ruler/hotpotqa.json");

    /**
     * The word lists plus what exists in {@code dataDir} of longbench/multi_news.jsonl (prose),
     * longbench/qasper_cachegen60.jsonl (qa_1's stand-in), and RULER's own ruler/squad.json (qa_1) and
     * ruler/hotpotqa.json (qa_2).
     */
    public static RulerData fromSharedData(Path dataDir) {
        RulerData d = builtin();
        for (Path f : files(dataDir)) {
            String name = dataDir.relativize(f).toString().replace('\\', '/');
            d = switch (name) {
                case "longbench/multi_news.jsonl" -> d.withProse(f);
                case "longbench/qasper_cachegen60.jsonl" -> d.withQasper(f);
                case "ruler/squad.json" -> d.withSquad(f);
                default -> d.withHotpotQa(f);
            };
        }
        return d;
    }

    /** The files of {@link #fromSharedData}'s list that exist in {@code dataDir}, in that order. */
    public static List<Path> files(Path dataDir) {
        return FILES.stream().map(dataDir::resolve).filter(Files::isRegularFile).toList();
    }

    /** Adds prose from a LongBench multi_news.jsonl (its contexts cut into passages and paragraphs). */
    public RulerData withProse(Path multiNewsJsonl) {
        List<List<String>> items = new ArrayList<>();
        for (JsonNode n : readJsonl(multiNewsJsonl)) {
            List<String> paragraphs = new ArrayList<>();
            for (String passage : PASSAGE.split(text(n, "context", multiNewsJsonl), -1)) {
                for (String p : passage.split("NEWLINE_CHAR", -1)) {
                    String s = PyText.strip(p);
                    if (!s.isEmpty()) {
                        paragraphs.add(s);
                    }
                }
            }
            items.add(paragraphs);
        }
        return new RulerData(this, items, qasper, explicitPools);
    }

    /** Adds qasper_cachegen60.jsonl (context "title\tabstract\tsection...", input, answers) as qa_1's questions. */
    public RulerData withQasper(Path qasperJsonl) {
        List<Paper> papers = new ArrayList<>();
        for (JsonNode n : readJsonl(qasperJsonl)) {
            String text = text(n, "context", qasperJsonl).replace('\t', '\n');
            List<String> answers = strings(n.get("answers"));
            if (papers.isEmpty() || !papers.getLast().text().equals(text)) {
                papers.add(new Paper(text, new ArrayList<>(), new ArrayList<>()));
            }
            papers.getLast().questions().add(text(n, "input", qasperJsonl));
            papers.getLast().answers().add(answers);
        }
        return new RulerData(this, prose, papers, explicitPools);
    }

    /** Adds RULER's json/squad.json (SQuAD v2 dev) as the "squad" question set. */
    public RulerData withSquad(Path squadJson) {
        return withPool("squad", QaPool.squad(readJson(squadJson)));
    }

    /** Adds RULER's json/hotpotqa.json (HotpotQA dev, distractor setting) as the "hotpotqa" question set. */
    public RulerData withHotpotQa(Path hotpotJson) {
        return withPool("hotpotqa", QaPool.hotpot(readJson(hotpotJson)));
    }

    private RulerData withPool(String name, QaPool pool) {
        Map<String, QaPool> pools = new HashMap<>(explicitPools);
        pools.put(name, pool);
        return new RulerData(this, prose, qasper, Map.copyOf(pools));
    }

    private RulerData(RulerData words, List<List<String>> prose, List<Paper> qasper, Map<String, QaPool> pools) {
        this.keyAdjectives = words.keyAdjectives;
        this.keyNouns = words.keyNouns;
        this.commonWords = words.commonWords;
        this.prose = prose;
        this.qasper = qasper;
        this.explicitPools = pools;
    }

    /** RULER's essay haystack: the prose as one text, {@code re.sub(r'\s+', " ", essay).split(" ")}. */
    synchronized String[] essayWords(String task) {
        if (essayWords == null) {
            requireProse(task + " (its essay haystack)");
            StringBuilder sb = new StringBuilder();
            for (List<String> item : prose) {
                for (String p : item) {
                    sb.append(sb.isEmpty() ? "" : " ").append(p);
                }
            }
            essayWords = PyText.collapseSpaces(sb.toString()).split(" ", -1);
        }
        return essayWords;
    }

    /**
     * cwe's list past the wonderwords (RULER: english_words.json, 466k words): the distinct words of the prose,
     * lower-cased, with leading and trailing non-letters cut, of two or more letters a-z, sorted.
     */
    synchronized List<String> longWords(String task) {
        if (longWords == null) {
            requireProse(task + " (past " + commonWords.size() + " distinct words)");
            TreeSet<String> words = new TreeSet<>(PyText.CODE_POINT_ORDER);
            for (List<String> item : prose) {
                for (String p : item) {
                    for (String w : PyText.split(p.toLowerCase(Locale.ROOT))) {
                        String core = w.replaceAll("^[^a-z]+|[^a-z]+$", "");
                        if (core.length() > 1 && core.chars().allMatch(c -> c >= 'a' && c <= 'z')) {
                            words.add(core);
                        }
                    }
                }
            }
            longWords = List.copyOf(words);
        }
        return longWords;
    }

    /** The question set a qa task draws from; see the class comment. */
    public synchronized QaPool qaPool(String dataset) {
        QaPool p = explicitPools.get(dataset);
        if (p != null) {
            return p;
        }
        if (dataset.equals("squad") && qasper != null) {
            requireProse("qa_1 with the qasper question set (its distractor documents)");
            return builtPools.computeIfAbsent(dataset, k -> qasperPool());
        }
        throw new CtxbenchException("RULER's " + dataset + " question set is not loaded: "
                + (dataset.equals("squad") ? "put longbench/qasper_cachegen60.jsonl and longbench/multi_news.jsonl (shared "
                + "data) or RULER's squad.json as ruler/squad.json in the data folder"
                : "put RULER's hotpotqa.json (HotpotQA dev, distractor setting) in the data folder as ruler/hotpotqa.json"));
    }

    /** qasper in SQuAD's layout: one article per paper (one paragraph), one per multi_news item (no questions). */
    private QaPool qasperPool() {
        List<QaPool.Article> articles = new ArrayList<>();
        for (Paper p : qasper) {
            List<QaPool.Question> qs = new ArrayList<>();
            for (int i = 0; i < p.questions().size(); i++) {
                qs.add(new QaPool.Question(p.questions().get(i), p.answers().get(i)));
            }
            articles.add(new QaPool.Article(List.of(new QaPool.Paragraph(p.text(), qs))));
        }
        for (List<String> item : prose) {
            articles.add(new QaPool.Article(item.stream().map(s -> new QaPool.Paragraph(s, List.of())).toList()));
        }
        return QaPool.fromArticles(articles, true);
    }

    boolean hasProse() {
        return prose != null;
    }

    private void requireProse(String what) {
        if (prose == null) {
            throw new CtxbenchException("RULER task " + what + " needs prose: put LongBench's multi_news.jsonl in the "
                    + "data folder as longbench/multi_news.jsonl ('ctxbench data pull longbench' does)");
        }
    }

    private static List<String> distinctSorted(List<String> words) {
        TreeSet<String> s = new TreeSet<>(PyText.CODE_POINT_ORDER);
        s.addAll(words);
        return List.copyOf(s);
    }

    static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        for (JsonNode v : array) {
            out.add(v.asText());
        }
        return out;
    }

    private static String text(JsonNode n, String field, Path file) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new CtxbenchException(file + ": a line has no string field \"" + field + "\"");
        }
        return v.textValue();
    }

    private static List<JsonNode> readJsonl(Path file) {
        List<JsonNode> out = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line; (line = in.readLine()) != null; ) {
                if (!line.isBlank()) {
                    out.add(JSON.readTree(line));
                }
            }
        } catch (IOException e) {
            throw new CtxbenchException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return out;
    }

    private static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new CtxbenchException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
