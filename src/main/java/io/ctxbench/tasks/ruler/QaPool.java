package io.ctxbench.tasks.ruler;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctxbench.CtxbenchException;
import io.ctxbench.score.PyText;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A question set for RULER's qa task as qa.py reads it: the distinct documents in sorted order, and per question
 * its answers, the documents that hold the answer ({@code context}) and, for SQuAD, the other paragraphs of the
 * same article ({@code more}), which qa.py adds before random distractors. {@code goldOnly} are documents never
 * drawn as random distractors (empty in RULER's sets; the qasper papers in the stand-in, whose 1-6k words among
 * paragraphs of about 50 would make the prompt's length swing by thousands of tokens from draw to draw).
 */
public record QaPool(List<String> docs, List<Item> items, Set<Integer> goldOnly) {

    public record Item(String query, List<String> outputs, List<Integer> context, List<Integer> more) {
    }

    record Article(List<Paragraph> paragraphs) {
    }

    record Paragraph(String context, List<Question> questions) {
    }

    record Question(String question, List<String> answers) {
    }

    /** read_squad: documents are paragraphs; a question's gold document is its paragraph. */
    static QaPool fromArticles(List<Article> articles, boolean goldNotDistractor) {
        TreeSet<String> sorted = new TreeSet<>(PyText.CODE_POINT_ORDER);
        for (Article a : articles) {
            for (Paragraph p : a.paragraphs()) {
                sorted.add(p.context());
            }
        }
        List<String> docs = List.copyOf(sorted);
        Map<String, Integer> index = indexOf(docs);
        List<Item> items = new ArrayList<>();
        Set<Integer> goldOnly = new HashSet<>();
        for (Article a : articles) {
            List<Integer> moreDocs = a.paragraphs().stream().map(p -> index.get(p.context())).toList();
            for (Paragraph p : a.paragraphs()) {
                int gold = index.get(p.context());
                if (goldNotDistractor && !p.questions().isEmpty()) {
                    goldOnly.add(gold);
                }
                for (Question q : p.questions()) {
                    items.add(new Item(q.question(), q.answers(), List.of(gold),
                            moreDocs.stream().filter(i -> i != gold).toList()));
                }
            }
        }
        return new QaPool(docs, items, Set.copyOf(goldOnly));
    }

    /** read_squad over SQuAD v2's json ({"data": [{"paragraphs": [{"context", "qas": [...]}]}]}). */
    static QaPool squad(JsonNode root) {
        List<Article> articles = new ArrayList<>();
        for (JsonNode d : required(root, "data")) {
            List<Paragraph> paragraphs = new ArrayList<>();
            for (JsonNode p : required(d, "paragraphs")) {
                List<Question> qs = new ArrayList<>();
                for (JsonNode qa : required(p, "qas")) {
                    if (!qa.path("is_impossible").asBoolean(false)) {
                        List<String> answers = new ArrayList<>();
                        for (JsonNode a : required(qa, "answers")) {
                            answers.add(required(a, "text").asText());
                        }
                        qs.add(new Question(required(qa, "question").asText(), answers));
                    }
                }
                paragraphs.add(new Paragraph(required(p, "context").asText(), qs));
            }
            articles.add(new Article(paragraphs));
        }
        return fromArticles(articles, false);
    }

    /** read_hotpotqa: a document is "title\n" + its sentences joined; a question's gold documents are its context. */
    static QaPool hotpot(JsonNode root) {
        TreeSet<String> sorted = new TreeSet<>(PyText.CODE_POINT_ORDER);
        List<List<String>> perQuestion = new ArrayList<>();
        for (JsonNode d : root) {
            List<String> docs = new ArrayList<>();
            for (JsonNode tp : required(d, "context")) {
                StringBuilder sb = new StringBuilder(tp.get(0).asText()).append('\n');
                tp.get(1).forEach(s -> sb.append(s.asText()));
                docs.add(sb.toString());
            }
            sorted.addAll(docs);
            perQuestion.add(docs);
        }
        List<String> docs = List.copyOf(sorted);
        Map<String, Integer> index = indexOf(docs);
        List<Item> items = new ArrayList<>();
        int k = 0;
        for (JsonNode d : root) {
            items.add(new Item(required(d, "question").asText(), List.of(required(d, "answer").asText()),
                    perQuestion.get(k++).stream().map(index::get).toList(), List.of()));
        }
        return new QaPool(docs, items, Set.of());
    }

    private static Map<String, Integer> indexOf(List<String> docs) {
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < docs.size(); i++) {
            index.put(docs.get(i), i);
        }
        return index;
    }

    private static JsonNode required(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            throw new CtxbenchException("RULER QA data: missing field \"" + field + "\"");
        }
        return v;
    }
}
