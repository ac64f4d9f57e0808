package io.ctxbench.results;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Eval (experiment) and the sweep share what they write through this package, never each other's code: no source
 * file of one names the other's package (an import or a qualified name), and this package names neither.
 */
class LayeringTest {
    private static final Path MAIN = Path.of("src/main/java/io/ctxbench");

    private static List<String> references(String pkg, String... others) throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(MAIN.resolve(pkg))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                List<String> lines = Files.readAllLines(f);
                for (int i = 0; i < lines.size(); i++) {
                    for (String o : others) {
                        if (lines.get(i).contains("io.ctxbench." + o + ".") || lines.get(i).contains("io.ctxbench." + o + ";")) {
                            found.add(MAIN.relativize(f) + ":" + (i + 1) + ": " + lines.get(i).strip());
                        }
                    }
                }
            }
        }
        return found;
    }

    @Test
    void experimentAndSweepDoNotReferToEachOtherAndResultsToNeither() throws IOException {
        assertTrue(Files.isDirectory(MAIN), "run from the project root: " + MAIN.toAbsolutePath());
        assertEquals(List.of(), references("experiment", "sweep"));
        assertEquals(List.of(), references("sweep", "experiment"));
        assertEquals(List.of(), references("results", "experiment", "sweep", "report", "cli"));
    }
}
