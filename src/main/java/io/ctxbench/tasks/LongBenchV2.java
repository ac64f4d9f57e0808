package io.ctxbench.tasks;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctxbench.CtxbenchException;
import io.ctxbench.score.PyText;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PushbackReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * LongBench v2 (THUDM/LongBench, its root pred.py): four-choice questions over long contexts. Items have the fields
 * of its data.json: {@code _id, domain, sub_domain, difficulty (easy|hard), length (short|medium|long), question,
 * choice_A..choice_D, answer (A-D), context}. A file is either that JSON array (data.json) or JSON Lines.
 */
public final class LongBenchV2 {
    private LongBenchV2() {
    }

    /** pred.py's max_new_tokens without chain-of-thought. */
    public static final int MAX_NEW_TOKENS = 128;

    /** prompts/0shot.txt, byte for byte. */
    public static final String TEMPLATE_0SHOT = "Please read the following text and answer the question below.\n\n<text>\n$DOC$\n"
            + "</text>\n\nWhat is the correct answer to this question: $Q$\nChoices:\n(A) $C_A$\n(B) $C_B$\n(C) $C_C$\n(D) $C_D$\n\n"
            + "Format your response as follows: \"The correct answer is (insert answer here)\".";

    private static final Set<String> DIFFICULTIES = Set.of("easy", "hard");
    private static final Set<String> LENGTHS = Set.of("short", "medium", "long");
    private static final Set<String> ANSWERS = Set.of("A", "B", "C", "D");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One item; {@code choices} are A, B, C, D in order; {@code source} is file:line for messages. */
    public record Item(String id, String domain, String subDomain, String difficulty, String length, String question,
                       List<String> choices, String answer, String context, String source) {
        public Item {
            choices = List.copyOf(choices);
        }

        /**
         * pred.py's 0-shot prompt: the placeholders replaced one after another with the stripped fields ($DOC$, $Q$,
         * $C_A$ .. $C_D$), so a placeholder inside an earlier field's text is replaced too, as there.
         */
        public String prompt() {
            String p = TEMPLATE_0SHOT.replace("$DOC$", PyText.strip(context)).replace("$Q$", PyText.strip(question));
            for (int i = 0; i < 4; i++) {
                p = p.replace("$C_" + (char) ('A' + i) + "$", PyText.strip(choices.get(i)));
            }
            return p;
        }
    }

    /** What a file gave: the usable items and the ones skipped, with file and line. */
    public record Result(List<Item> items, List<DataIssue> issues) {
    }

    public static Result load(Path file) {
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new CtxbenchException("cannot read data file " + file + (Files.exists(file) ? " (not a readable file)" : " (no such file)"));
        }
        List<Item> items = new ArrayList<>();
        List<DataIssue> issues = new ArrayList<>();
        try (PushbackReader in = new PushbackReader(Files.newBufferedReader(file, StandardCharsets.UTF_8), 2)) {
            int[] skipped = new int[1];
            int first = firstNonBlank(in, skipped);
            if (first == '[') {
                readArray(in, file, skipped[0], items, issues);
            } else {
                readLines(new BufferedReader(in), file, items, issues);
            }
        } catch (java.nio.charset.MalformedInputException e) {
            throw new CtxbenchException("data file " + file + " is not UTF-8 text");
        } catch (IOException e) {
            throw new CtxbenchException("cannot read data file " + file + ": " + e.getMessage(), e);
        }
        return new Result(items, issues);
    }

    /** The first character that is not whitespace or a byte order mark, pushed back (-1 at the end); lines counted. */
    private static int firstNonBlank(PushbackReader in, int[] newlines) throws IOException {
        int c;
        do {
            c = in.read();
            if (c == '\n') newlines[0]++;
        } while (c == '\uFEFF' || (c >= 0 && Character.isWhitespace(c)));
        if (c >= 0) in.unread(c);
        return c;
    }

    /** data.json: each item's line is where its object starts ({@code skipped} blank lines came before the '['). */
    private static void readArray(PushbackReader in, Path file, int skipped, List<Item> items, List<DataIssue> issues)
            throws IOException {
        try (JsonParser p = JSON.createParser(in)) {
            p.nextToken();   // [
            for (JsonToken t; (t = p.nextToken()) != JsonToken.END_ARRAY; ) {
                int line = skipped + p.currentTokenLocation().getLineNr();
                if (t == null) {
                    issues.add(new DataIssue(file.toString(), line, "malformed JSON: the array is not closed"));
                    return;
                }
                JsonNode n = p.readValueAsTree();
                add(n, file, line, items, issues);
            }
        } catch (JsonProcessingException e) {
            int line = skipped + (e.getLocation() == null ? 0 : e.getLocation().getLineNr());
            issues.add(new DataIssue(file.toString(), line, "malformed JSON: " + e.getOriginalMessage() + " (items after it not read)"));
        }
    }

    private static void readLines(BufferedReader in, Path file, List<Item> items, List<DataIssue> issues) throws IOException {
        int lineNo = 0;
        for (String line; (line = in.readLine()) != null; ) {
            lineNo++;
            if (line.isBlank()) continue;
            JsonNode n;
            try {
                n = JSON.readTree(line);
            } catch (JsonProcessingException e) {
                issues.add(new DataIssue(file.toString(), lineNo, "malformed JSON: " + e.getOriginalMessage()));
                continue;
            }
            add(n, file, lineNo, items, issues);
        }
    }

    private static void add(JsonNode n, Path file, int line, List<Item> items, List<DataIssue> issues) {
        try {
            items.add(item(n, file + ":" + line));
        } catch (IllegalArgumentException e) {
            issues.add(new DataIssue(file.toString(), line, e.getMessage()));
        }
    }

    private static Item item(JsonNode n, String source) {
        if (n == null || !n.isObject()) throw new IllegalArgumentException("malformed JSON: not an object");
        String id = n.has("_id") && n.get("_id").isNumber() ? n.get("_id").asText() : text(n, "_id");
        String difficulty = oneOf(n, "difficulty", DIFFICULTIES);
        String length = oneOf(n, "length", LENGTHS);
        String answer = oneOf(n, "answer", ANSWERS);
        List<String> choices = List.of(text(n, "choice_A"), text(n, "choice_B"), text(n, "choice_C"), text(n, "choice_D"));
        return new Item(id, text(n, "domain"), text(n, "sub_domain"), difficulty, length, text(n, "question"), choices, answer,
                text(n, "context"), source);
    }

    private static String oneOf(JsonNode n, String field, Set<String> allowed) {
        String v = text(n, field);
        if (!allowed.contains(v)) {
            throw new IllegalArgumentException("bad field: \"" + field + "\" is '" + v + "', not one of "
                    + allowed.stream().sorted().toList());
        }
        return v;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) throw new IllegalArgumentException("missing field: \"" + field + "\"");
        if (!v.isTextual()) throw new IllegalArgumentException("bad field: \"" + field + "\" must be a string");
        return v.textValue();
    }
}
