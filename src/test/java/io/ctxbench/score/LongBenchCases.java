package io.ctxbench.score;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Reads the reference cases under score/longbench (see the README there for how each file was made). */
final class LongBenchCases {
    private LongBenchCases() {}

    static List<JsonNode> read(String name) throws IOException {
        try (InputStream raw = LongBenchCases.class.getResourceAsStream("/score/longbench/" + name)) {
            assertTrue(raw != null, "test resource missing: score/longbench/" + name);
            List<JsonNode> rows = new ArrayList<>();
            BufferedReader in = new BufferedReader(new InputStreamReader(raw, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) {
                if (!line.isBlank()) rows.add(ScoreTestData.JSON.readTree(line));
            }
            return rows;
        }
    }
}
