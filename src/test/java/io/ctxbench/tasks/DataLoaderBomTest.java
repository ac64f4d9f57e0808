package io.ctxbench.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A UTF-8 byte order mark (as some Windows editors save JSONL) opens the file; it is not part of line 1. */
class DataLoaderBomTest {
    @Test
    void aByteOrderMarkAtTheStartIsSkipped(@TempDir Path tmp) throws Exception {
        String line = "{\"input\": \"q?\", \"context\": \"some text\", \"answers\": [\"a\"], \"dataset\": \"qasper\", \"_id\": \"%s\"}\n";
        Path f = tmp.resolve("bom.jsonl");
        Files.write(f, ("\uFEFF" + line.formatted("first") + line.formatted("second")).getBytes(StandardCharsets.UTF_8));
        DataLoader.Result r = DataLoader.load(f, null);
        assertEquals(List.of(), r.issues());
        assertEquals(List.of("first", "second"), r.samples().stream().map(Sample::id).toList());
        // only at the start of the file: anywhere else it is text, and the line is not JSON
        Files.write(f, (line.formatted("first") + "\uFEFF" + line.formatted("second")).getBytes(StandardCharsets.UTF_8));
        r = DataLoader.load(f, null);
        assertEquals(List.of("first"), r.samples().stream().map(Sample::id).toList());
        assertEquals(List.of(2), r.issues().stream().map(DataIssue::line).toList());
    }
}
