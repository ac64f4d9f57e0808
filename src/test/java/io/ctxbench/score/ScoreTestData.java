package io.ctxbench.score;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Locating and reading the JSONL reference files. */
final class ScoreTestData {
    static final ObjectMapper JSON = new ObjectMapper();

    private ScoreTestData() {}

    /** A file under shared/testdata/metrics; fails (never skips) when it is missing. */
    static Path sharedMetricsFile(String name) {
        Path dir = Path.of(System.getProperty("ctxbench.shared.dir", "../shared"));
        Path file = dir.resolve("testdata/metrics").resolve(name);
        assertTrue(Files.isRegularFile(file), "reference file missing: " + file.toAbsolutePath()
                + " (set -Dctxbench.shared.dir or check out the shared folder)");
        return file;
    }

    /** A test resource under score/ copied to a file, so that ScoreCommand can read it. */
    static Path resourceFile(String name, Path dir) throws IOException {
        return resourceFile(name, dir, "/score/");
    }

    /** A test resource under {@code folder} copied to a file. */
    static Path resourceFile(String name, Path dir, String folder) throws IOException {
        try (InputStream in = ScoreTestData.class.getResourceAsStream(folder + name)) {
            assertTrue(in != null, "test resource missing: " + folder + name);
            Path file = dir.resolve(name);
            Files.copy(in, file);
            return file;
        }
    }

    static List<JsonNode> readJsonl(Path file) throws IOException {
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) rows.add(JSON.readTree(line));
        }
        return rows;
    }

    static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.textValue()));
        return out;
    }
}
