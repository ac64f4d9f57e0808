package io.ctxbench.tasks.ruler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctxbench.CtxbenchException;
import io.ctxbench.compress.TokenCounter;
import io.ctxbench.score.PyText;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Samples compared with fixtures that NVIDIA/RULER's own generators produced (src/test/resources/ruler,
 * make_fixtures.py: whitespace tokens, seed 42, the same multi_news prose and qasper questions). The random draws
 * differ (Python's generator is not reproduced); everything else must match: templates, needle sentences, query
 * wording, answer prefix, number of needles / values / queries, few-shot examples, haystack text and size, and,
 * with whitespace tokens, the token length itself.
 */
class RulerGeneratorTest {
    static final Pattern NEEDLE = Pattern.compile("One of the special magic (numbers|words|uuids) for (.+?) is: (\\S+)\\.");
    static final Pattern UUID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    static final Pattern NUMBER = Pattern.compile("[1-9][0-9]{6}");
    static RulerData data;
    static RulerGenerator gen;

    record Fixture(String input, List<String> outputs, int length, String answerPrefix) {
    }

    @BeforeAll
    static void load() {
        data = RulerData.fromSharedData(Path.of(System.getProperty("ctxbench.shared.dir", "../shared")).resolve("data"));
        gen = new RulerGenerator(TokenCounter.words(), data, 0);
    }

    static List<Fixture> fixture(String name) throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<Fixture> out = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                RulerGeneratorTest.class.getResourceAsStream("/ruler/" + name + ".jsonl"), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                JsonNode n = json.readTree(line);
                out.add(new Fixture(n.get("input").asText(), RulerData.strings(n.get("outputs")), n.get("length").asInt(),
                        n.get("answer_prefix").asText()));
            }
        }
        return out;
    }

    /** The prompt with the random parts taken out: needles removed, asked keys replaced, whitespace collapsed. */
    static String niahSkeleton(String text) {
        String s = NEEDLE.matcher(text).replaceAll("");
        s = s.replaceAll("for .+? mentioned in the provided text", "for KEY mentioned in the provided text");
        return PyText.collapseSpaces(s);
    }

    static List<String[]> needles(String text) {
        List<String[]> out = new ArrayList<>();
        Matcher m = NEEDLE.matcher(text);
        while (m.find()) {
            out.add(new String[]{m.group(1), m.group(2), m.group(3)});
        }
        return out;
    }

    static int twoWordKeys(String text) {
        return (int) needles(text).stream().filter(nd -> nd[1].contains(" ")).count();
    }

    static Pattern format(RulerTask.NeedleType t) {
        return switch (t) {
            case NUMBERS -> NUMBER;
            case UUIDS -> UUID;
            case WORDS -> Pattern.compile("[^\\s-]+(?: [^\\s-]+)?-.+");
        };
    }

    @Test
    void needleTasksMatchRulersGenerator() throws Exception {
        for (String name : List.of("niah_single_1", "niah_single_2", "niah_single_3", "niah_multikey_1", "niah_multikey_2",
                "niah_multikey_3", "niah_multivalue", "niah_multiquery")) {
            RulerTask task = RulerTask.byName(name);
            RulerTask.Niah c = (RulerTask.Niah) task.config();
            List<Fixture> want = fixture(name + "-1024");
            List<RulerSample> got = gen.generate(task, 1024, want.size(), 42);
            assertEquals(want.size(), got.size());
            for (int i = 0; i < got.size(); i++) {
                Fixture f = want.get(i);
                RulerSample s = got.get(i);
                String msg = name + " sample " + i;
                // a few wonderwords entries are two words ("ad hoc"), one token more per such key
                assertTrue(Math.abs(f.length() - s.length()) <= twoWordKeys(f.input()) + twoWordKeys(s.input()),
                        msg + ": token length " + s.length() + ", RULER's " + f.length());
                assertEquals(niahSkeleton(f.input()), niahSkeleton(s.input()), msg + ": prompt outside the needles");
                assertEquals(niahSkeleton(f.answerPrefix()), niahSkeleton(s.answerPrefix()), msg + ": answer prefix");
                List<String[]> fn = needles(f.input());
                List<String[]> sn = needles(s.input());
                assertEquals(fn.size(), sn.size(), msg + ": needle count");
                int planted = Math.max(c.numKeys(), c.numQueries()) * c.numValues();
                assertTrue(sn.size() >= planted, msg);
                assertEquals(f.outputs().size(), s.outputs().size(), msg + ": answers");
                assertEquals(c.numQueries() * c.numValues(), s.outputs().size(), msg);
                for (String[] nd : sn) {
                    assertEquals(c.valueType().plural, nd[0], msg);
                    assertTrue(format(c.keyType()).matcher(nd[1]).matches(), msg + ": key " + nd[1]);
                    assertTrue(format(c.valueType()).matcher(nd[2]).matches(), msg + ": value " + nd[2]);
                }
                // every answer is the value of a needle whose key the question asks for
                String question = s.input().substring(s.input().lastIndexOf("\nWhat "));
                for (String a : s.outputs()) {
                    assertTrue(sn.stream().anyMatch(nd -> nd[2].equals(a) && question.contains(" " + nd[1])), msg + ": " + a);
                }
                if (c.haystack() == RulerTask.Haystack.NOISE) {
                    String ctx = s.input().substring(s.input().indexOf('\n') + 1, s.input().lastIndexOf('\n'));
                    long noise = ctx.lines().filter(RulerGenerator.NOISE::equals).count();
                    assertEquals(ctx.lines().count() - planted, noise, msg + ": noise lines");
                }
            }
        }
    }

    @Test
    void variableTrackingMatchesRulersGenerator() throws Exception {
        List<Fixture> want = fixture("vt-1024");
        List<RulerSample> got = gen.generate(RulerTask.byName("vt"), 1024, want.size(), 42);
        for (int i = 0; i < got.size(); i++) {
            Fixture f = want.get(i);
            RulerSample s = got.get(i);
            assertEquals(f.length(), s.length());
            assertEquals(vtSkeleton(f.input()), vtSkeleton(s.input()));
            assertEquals(vtSkeleton(f.answerPrefix()), vtSkeleton(s.answerPrefix()));
            // the in-context example's chain (3 letters) and the task's (5 letters), each of 4 hops
            assertEquals(5, s.input().lines().filter(l -> l.matches("VAR [A-Z]{3} = .*")).count());
            List<String> out = s.outputs();
            assertEquals(5, out.size());
            Matcher value = Pattern.compile("\nVAR " + out.getFirst() + " = (\\d{5})\n").matcher(s.input());
            assertTrue(value.find(), s.input());
            for (int h = 1; h < 5; h++) {
                assertTrue(s.input().contains("\nVAR " + out.get(h) + " = VAR " + out.get(h - 1) + " \n"));
            }
            assertTrue(s.answerPrefix().contains("5 variables are assigned the value " + value.group(1) + ", they are: "));
        }
    }

    static String vtSkeleton(String t) {
        return t.lines().filter(l -> !l.startsWith("VAR ")).map(l -> l.replaceAll("\\b[A-Z]{3,5}\\b", "X")
                .replaceAll("\\b\\d{5}\\b", "N")).reduce("", (a, b) -> a + b + "\n");
    }

    @Test
    void commonWordsMatchRulersGeneratorBelowAndAbove4k() throws Exception {
        for (int length : List.of(1024, 4096)) {
            List<Fixture> want = fixture("cwe-" + length);
            List<RulerSample> got = gen.generate(RulerTask.byName("cwe"), length, want.size(), 42);
            for (int i = 0; i < got.size(); i++) {
                Fixture f = want.get(i);
                RulerSample s = got.get(i);
                // a few wonderwords entries are two words ("ad hoc"): the length may differ by those
                assertTrue(Math.abs(f.length() - s.length()) <= 8, f.length() + " vs " + s.length());
                assertTrue(s.length() <= length);
                List<Integer> fl = new ArrayList<>();
                List<Integer> sl = new ArrayList<>();
                assertEquals(cweSkeleton(f.input(), fl), cweSkeleton(s.input(), sl), "cwe-" + length);
                // the example's list and answer are fixed; the task's list may differ by a unit (one word, repeated)
                assertEquals(fl.subList(0, 2), sl.subList(0, 2));
                assertEquals(List.of(length < 4096 ? 10 * 3 + 10 * 1 : 10 * 10 + 30 * 3, 10), sl.subList(0, 2));
                assertTrue(Math.abs(fl.get(2) - sl.get(2)) <= (length < 4096 ? 2 : 6), fl + " vs " + sl);
                assertEquals(f.answerPrefix(), s.answerPrefix());
                assertEquals(10, s.outputs().size());
                // the asked words are the ones repeated most in the task's list (after the example)
                String list = s.input().substring(s.input().lastIndexOf("most often.\n") + 12);
                Map<String, Integer> counts = new HashMap<>();
                for (String w : list.substring(0, list.indexOf("\nQuestion")).split(" ?\\d+\\. ")) {
                    counts.merge(w, 1, Integer::sum);
                }
                int common = length < 4096 ? 6 : 30;
                int rare = length < 4096 ? 1 : 3;
                for (Map.Entry<String, Integer> e : counts.entrySet()) {
                    if (!e.getKey().isEmpty()) {
                        assertEquals(s.outputs().contains(e.getKey()) ? common : rare, e.getValue(), e.getKey());
                    }
                }
            }
        }
    }

    /** The prompt with each numbered list replaced by LIST; the lists' lengths go to {@code sizes}. */
    static String cweSkeleton(String t, List<Integer> sizes) {
        String s = t.replaceAll("(\\d+)\\. .+?(?= \\d+\\. |\\n|$)", "$1. W");
        Matcher m = Pattern.compile("1\\. W( \\d+\\. W)*").matcher(s);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String list = m.group();
            sizes.add(Integer.parseInt(list.substring(list.lastIndexOf(' ', list.length() - 3) + 1, list.length() - 3)));
            m.appendReplacement(sb, "LIST");
        }
        return m.appendTail(sb).toString();
    }

    @Test
    void freqWordsMatchRulersGenerator() throws Exception {
        List<Fixture> want = fixture("fwe-1024");
        List<RulerSample> got = gen.generate(RulerTask.byName("fwe"), 1024, want.size(), 42);
        for (int i = 0; i < got.size(); i++) {
            Fixture f = want.get(i);
            RulerSample s = got.get(i);
            assertEquals(f.length(), s.length());
            assertEquals(f.answerPrefix(), s.answerPrefix());
            assertEquals(fweProfile(f.input()), fweProfile(s.input()));
            Map<String, Integer> counts = fweCounts(s.input());
            List<String> byCount = new ArrayList<>(counts.keySet());
            byCount.sort((a, b) -> counts.get(b) - counts.get(a));
            assertEquals("...", byCount.getFirst());
            assertEquals(byCount.subList(1, 4), s.outputs());
        }
    }

    static Map<String, Integer> fweCounts(String input) {
        String ctx = input.substring(input.indexOf("coded words. ") + 13, input.indexOf("\nQuestion:"));
        Map<String, Integer> counts = new HashMap<>();
        for (String w : ctx.split(" ")) {
            counts.merge(w, 1, Integer::sum);
        }
        return counts;
    }

    /** The text around the coded words and how often each coded word appears (sorted counts). */
    static String fweProfile(String input) {
        List<Integer> counts = new ArrayList<>(fweCounts(input).values());
        Collections.sort(counts);
        return input.substring(0, input.indexOf("coded words. ") + 13) + counts + input.substring(input.indexOf("\nQuestion:"));
    }

    @Test
    void qaWithQasperMatchesRulersGeneratorOverTheSameQuestions() throws Exception {
        List<Fixture> want = fixture("qa_1-8192");
        List<RulerSample> got = gen.generate(RulerTask.byName("qa_1"), 8192, want.size(), 42);
        for (int i = 0; i < got.size(); i++) {
            Fixture f = want.get(i);
            RulerSample s = got.get(i);
            assertEquals(f.outputs(), s.outputs());
            assertEquals(f.answerPrefix(), s.answerPrefix());
            String head = "Answer the question based on the given documents. Only give me the answer and do not output any "
                    + "other words.\n\nThe following are given documents.\n\nDocument 1:\n";
            assertTrue(f.input().startsWith(head) && s.input().startsWith(head));
            String tail = f.input().substring(f.input().lastIndexOf("\n\nAnswer the question"));
            assertTrue(s.input().endsWith(tail), tail);
            int docs = 0;
            while (s.input().contains("\n\nDocument " + (docs + 1) + ":\n") || docs == 0) {
                docs++;
            }
            assertTrue(docs >= 10, "at least RULER's increment of documents: " + docs);
            assertTrue(s.length() <= 8192 && s.length() > 4096, "length " + s.length());
        }
    }

    @Test
    void lengthsStayWithinRulersToleranceOfTheTarget() {
        // RULER keeps the largest haystack that fits: the prompt + tokens to generate is at most the target and
        // short of it by less than a few haystack units
        for (int length : List.of(2048, 4096, 16384)) {
            for (String name : List.of("niah_single_1", "niah_single_2", "niah_multikey_3", "vt", "cwe", "fwe")) {
                for (RulerSample s : gen.generate(RulerTask.byName(name), length, 2, 7)) {
                    assertTrue(s.length() <= length && s.length() >= 0.95 * length, name + " at " + length + ": " + s.length());
                    assertEquals(s.length(), TokenCounter.words().count(s.prompt()) + RulerTask.byName(name).kind().tokensToGenerate);
                }
            }
        }
    }

    @Test
    void qaFillsLongLengthsThoughItsPapersDwarfTheOtherDocuments() {
        // the search's bound comes from a probe with the paper among 10 documents: too low for 64k of paragraphs
        for (RulerSample s : gen.generate(RulerTask.byName("qa_1"), 65536, 2, 1)) {
            assertTrue(s.length() <= 65536 && s.length() >= 0.95 * 65536, "length " + s.length());
        }
    }

    @Test
    void commonWordsPastTheWordListsIsAClearError() {
        RulerGenerator bare = new RulerGenerator(TokenCounter.words(), RulerData.builtin(), 0);
        CtxbenchException e = assertThrows(CtxbenchException.class, () -> bare.generate(RulerTask.byName("cwe"), 131072, 1, 1));
        assertTrue(e.getMessage().contains("8166 distinct words") && e.getMessage().contains("multi_news.jsonl"),
                e.getMessage());
        // without prose, lengths that need no more than the wonderwords work (the search looks past them on its way)
        RulerSample w = bare.generate(RulerTask.byName("cwe"), 40000, 1, 1).getFirst();
        assertTrue(w.length() >= 0.95 * 40000, "length " + w.length());
        // with the prose's words it reaches 64k whitespace tokens
        RulerSample s = gen.generate(RulerTask.byName("cwe"), 65536, 1, 1).getFirst();
        assertTrue(s.length() >= 0.95 * 65536, "length " + s.length());
    }

    @Test
    void sameSeedSameSamplesOtherSeedOthers() {
        RulerTask t = RulerTask.byName("niah_multikey_1");
        List<RulerSample> a = gen.generate(t, 2048, 3, 5);
        assertEquals(a, gen.generate(t, 2048, 3, 5));
        assertEquals(a.subList(0, 2), gen.generate(t, 2048, 2, 5));
        assertFalse(a.getFirst().outputs().equals(gen.generate(t, 2048, 1, 6).getFirst().outputs()));
    }

    @Test
    void needleGridPlacesTheAskedNeedleAtEachDepth() {
        List<Integer> depths = RulerGenerator.evenDepths(5);
        assertEquals(List.of(0, 25, 50, 75, 100), depths);
        assertEquals(List.of(0, 11, 22, 33, 44, 56, 67, 78, 89, 100), RulerGenerator.evenDepths(10));
        for (String name : List.of("niah_single_1", "niah_single_2", "niah_multikey_1")) {
            List<RulerSample> grid = gen.needleGrid(RulerTask.byName(name), List.of(1024, 2048), depths, 1, 3);
            assertEquals(10, grid.size());
            for (RulerSample s : grid) {
                assertTrue(s.length() <= s.targetLength() && s.length() >= 0.9 * s.targetLength(), name);
                String ctx = s.input();
                String answer = s.outputs().getFirst();
                int at = ctx.indexOf("is: " + answer + ".");
                int start = ctx.indexOf('\n') + 1;
                int end = ctx.lastIndexOf("\nWhat is");
                double relative = 100.0 * (at - start) / (end - start);
                assertEquals(s.depth(), relative, 6.0, name + " " + s.id());
            }
            assertEquals(List.of(0, 25, 50, 75, 100, 0, 25, 50, 75, 100), grid.stream().map(RulerSample::depth).toList());
        }
        assertThrows(CtxbenchException.class, () -> gen.needleGrid(RulerTask.byName("niah_multivalue"), List.of(1024),
                depths, 1, 1));
        assertThrows(CtxbenchException.class, () -> gen.needleGrid(RulerTask.byName("niah_single_1"), List.of(1024),
                List.of(101), 1, 1));
    }

    /**
     * Eval's view of a sample: the instruction before the template's {context}, the haystack, the question after it
     * and the answer prefix, which put together are RULER's prompt; the context is exactly the haystack (what a
     * compressor may shorten), so the text around it is the template's own.
     */
    @Test
    void aSampleSplitsAtTheTemplatesContextIntoInstructionHaystackAndQuestion() {
        Map<String, String[]> around = Map.of(
                "niah", new String[]{"I will quiz you about the TYPE afterwards.\n", "\nWhat is the special magic TYPE for "},
                "niah_multi", new String[]{"I will quiz you about the TYPEs afterwards.\n", "\nWhat are all the special magic TYPEs for "},
                "vt", new String[]{"chain(s) of variable assignment hidden in the following text.\n\n", "\nQuestion: Find all variables"},
                "cwe", new String[]{"Memorize the ones that appear most often.\n", "\nQuestion: What are the 10 most common words"},
                "fwe", new String[]{"Find the three most frequently appeared coded words. ", "\nQuestion: Do not provide any explanation."},
                "qa_1", new String[]{"The following are given documents.\n\n", "\n\nAnswer the question based on the given documents."});
        for (RulerTask t : RulerTask.all()) {
            if (t.name().equals("qa_2")) {
                continue;   // no HotpotQA here
            }
            int length = t.name().equals("qa_1") ? 8192 : 4096;
            RulerSample r = gen.generate(t, length, 2, 3).get(1);
            io.ctxbench.tasks.Sample s = r.toSample();
            String what = t.name() + " " + r.id();
            assertEquals(r.prompt(), s.generated().before() + s.context() + s.input() + s.generated().answerPrefix(), what);
            String kind = t.name().startsWith("niah") ? (t.name().equals("niah_multivalue") || t.name().equals("niah_multiquery")
                    ? "niah_multi" : "niah") : t.name();
            String type = t.config() instanceof RulerTask.Niah c ? c.valueType().plural.replaceAll("s$", "") : "";
            assertTrue(s.generated().before().endsWith(around.get(kind)[0].replace("TYPE", type)), what);
            assertTrue(s.input().startsWith(around.get(kind)[1].replace("TYPE", type)), what);
            assertEquals(r.outputs(), s.answers(), what);
            assertEquals(r.id(), s.id());
            assertEquals(length, s.generated().targetLength());
            assertEquals(-1, s.generated().depth());
            assertEquals(r.length(), s.length());
            if (t.kind() == RulerTask.Kind.NIAH) {
                for (String answer : r.outputs()) {
                    assertTrue(s.context().contains(": " + answer + "."), what);
                }
            }
        }
        // the needle at depth 0 opens the haystack, at depth 100 closes it
        List<RulerSample> grid = gen.needleGrid(RulerTask.byName("niah_single_2"), List.of(2048), List.of(0, 100), 1, 5);
        assertTrue(grid.get(0).context().strip().startsWith("One of the special magic numbers for "), grid.get(0).context());
        assertTrue(grid.get(1).context().strip().endsWith("is: " + grid.get(1).outputs().getFirst() + "."));
        assertEquals(100, grid.get(1).toSample().generated().depth());
        assertTrue(grid.get(1).toSample().source().contains(":depth=100:"));
    }

    @Test
    void missingMaterialAndTooShortLengthsAreClearErrors() {
        RulerGenerator bare = new RulerGenerator(TokenCounter.words(), RulerData.builtin(), 0);
        CtxbenchException e = assertThrows(CtxbenchException.class,
                () -> bare.generate(RulerTask.byName("niah_single_2"), 1024, 1, 1));
        assertTrue(e.getMessage().contains("multi_news.jsonl"), e.getMessage());
        e = assertThrows(CtxbenchException.class, () -> bare.generate(RulerTask.byName("qa_2"), 4096, 1, 1));
        assertTrue(e.getMessage().contains("hotpotqa.json"), e.getMessage());
        e = assertThrows(CtxbenchException.class, () -> gen.generate(RulerTask.byName("niah_single_1"), 150, 1, 1));
        assertTrue(e.getMessage().contains("too small"), e.getMessage());
        assertThrows(CtxbenchException.class, () -> RulerTask.byName("niah_single_9"));
        // without prose the tasks that need none still work
        assertEquals(1, bare.generate(RulerTask.byName("niah_single_1"), 1024, 1, 1).size());
    }
}
