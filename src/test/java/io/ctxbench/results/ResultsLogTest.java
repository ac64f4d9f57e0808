package io.ctxbench.results;

import io.ctxbench.CtxbenchException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ResultsLogTest {
    /** Every log is opened under its folder's lock; the tests take it on the temporary folder. */
    private RunFolderLock lock;

    private ResultsLog open(Path f) {
        return open(f, UnaryOperator.identity());
    }

    private ResultsLog open(Path f, UnaryOperator<FileChannel> wrap) {
        if (lock == null) {
            lock = RunFolderLock.acquire(f.getParent(), "test");
        }
        return ResultsLog.open(lock, f, ResultsLog.Keys.RECORD_KEY, wrap);
    }

    @AfterEach
    void unlock() {
        if (lock != null) {
            lock.close();
        }
    }
    @Test
    void aTornLastLineIsDroppedAndRewrittenOnceNeverDuplicated(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("results.jsonl");
        try (ResultsLog log = open(f)) {
            log.append("a", "{\"key\":\"a\",\"v\":1}");
            log.append("b", "{\"key\":\"b\",\"v\":2}");
        }
        // simulate kill -9 in the middle of writing record c
        Files.writeString(f, "{\"key\":\"c\",\"v\":", StandardOpenOption.APPEND);
        try (ResultsLog log = open(f)) {
            assertEquals("{\"key\":\"c\",\"v\":".length(), log.droppedBytes());
            assertTrue(log.done("a") && log.done("b"));
            assertFalse(log.done("c"));
            log.append("c", "{\"key\":\"c\",\"v\":3}");
            assertThrows(IllegalStateException.class, () -> log.append("c", "{\"key\":\"c\",\"v\":3}"));
        }
        List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        assertEquals(List.of("{\"key\":\"a\",\"v\":1}", "{\"key\":\"b\",\"v\":2}", "{\"key\":\"c\",\"v\":3}"), lines);
        // a complete but garbled last line (e.g. zeros after a crash) is dropped too
        Files.writeString(f, "\u0000\u0000\n", StandardOpenOption.APPEND);
        try (ResultsLog log = open(f)) {
            assertEquals(3, log.size());
            assertEquals(3, log.droppedBytes());
        }
        assertEquals(3, Files.readAllLines(f).size());
    }

    @Test
    void aDamagedLineInTheMiddleIsAnErrorNotASilentLoss(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("results.jsonl");
        Files.writeString(f, "{\"key\":\"a\"}\nnot json\n{\"key\":\"b\"}\n");
        CtxbenchException e = assertThrows(CtxbenchException.class, () -> open(f));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        assertEquals(3, Files.readAllLines(f).size());
    }

    @Test
    void aFailedWriteOrFsyncCutsTheFileBackToCompleteLinesAndNothingIsAppendedAfterIt(@TempDir Path tmp) throws Exception {
        for (boolean fsync : new boolean[]{false, true}) {
            Path f = tmp.resolve("results-" + fsync + ".jsonl");
            String a = "{\"key\":\"a\",\"v\":1}", b = "{\"key\":\"b\",\"v\":2}", c = "{\"key\":\"c\",\"v\":3}";
            try (ResultsLog log = open(f, ch -> new FaultyChannel(ch, 2, fsync))) {
                log.append("a", a);
                CtxbenchException e = assertThrows(CtxbenchException.class, () -> log.append("b", b));
                assertTrue(e.getMessage().contains("cannot write to results file " + f) && e.getMessage().contains("--resume"),
                        e.getMessage());
                assertFalse(log.done("b"));
                assertThrows(CtxbenchException.class, () -> log.append("c", c));
            }
            assertEquals(a + "\n", Files.readString(f), "fsync failure: " + fsync);
            try (ResultsLog log = open(f)) {
                assertEquals(0, log.droppedBytes());
                assertEquals(1, log.size());
                log.append("b", b);
                log.append("c", c);
            }
            assertEquals(List.of(a, b, c), Files.readAllLines(f));
        }
    }

    @Test
    void aLineWithTextAfterItsObjectIsDamagedNotReadAsItsFirstObject(@TempDir Path tmp) throws Exception {
        // what two writers interleaving on one file produce
        String two = "{\"key\":\"b\",\"model\":\"m\",\"method\":\"FP16\",\"generated_token_ids\":[1,2]}{\"key\":\"c\"}";
        Path f = tmp.resolve("results.jsonl");
        Files.writeString(f, "{\"key\":\"a\"}\n" + two + "\n{\"key\":\"d\"}\n");
        CtxbenchException e = assertThrows(CtxbenchException.class, () -> open(f));
        assertTrue(e.getMessage().contains("damaged at line 2"), e.getMessage());
        e = assertThrows(CtxbenchException.class, () -> ResultsLog.read(f, SampleRecord.class));   // the fidelity pass's reader
        assertTrue(e.getMessage().contains(f + " is damaged at line 2"), e.getMessage());

        // as the last line it is a torn write: dropped and redone
        Files.writeString(f, "{\"key\":\"a\"}\n" + two + "\n");
        try (ResultsLog log = open(f)) {
            assertEquals(1, log.size());
            assertFalse(log.done("b"));
            assertEquals(two.length() + 1, log.droppedBytes());
        }
        assertEquals(List.of("{\"key\":\"a\"}"), Files.readAllLines(f));
    }
}
