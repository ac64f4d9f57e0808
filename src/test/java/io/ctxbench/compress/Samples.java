package io.ctxbench.compress;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The real LongBench samples in shared/data (tests fail, never skip, when they are missing). */
final class Samples {
    private Samples() {
    }

    static Path dataDir() {
        return Path.of(System.getProperty("ctxbench.shared.dir", "../shared")).resolve("data").resolve("longbench");
    }

    static List<JsonNode> first(String file, int n) {
        List<JsonNode> out = new ArrayList<>();
        ObjectMapper m = new ObjectMapper();
        try {
            for (String line : Files.readAllLines(dataDir().resolve(file))) {
                if (out.size() == n) {
                    break;
                }
                out.add(m.readTree(line));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("shared data missing: " + dataDir(), e);
        }
        return out;
    }

    static List<JsonNode> multiNews(int n) {
        return first("multi_news.jsonl", n);
    }

    static List<JsonNode> qasper(int n) {
        return first("qasper_cachegen60.jsonl", n);
    }
}
