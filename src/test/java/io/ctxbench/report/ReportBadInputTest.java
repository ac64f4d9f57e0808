package io.ctxbench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ctxbench.CtxbenchException;
import io.ctxbench.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Damaged or hand-edited run folders: a clear error naming file and line, never a silently wrong table. */
class ReportBadInputTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** A sample record as eval writes it (the fields the report reads), changed by {@code edit}. */
    private static String rec(String method, String id, double score, Consumer<ObjectNode> edit) {
        ObjectNode o = JSON.createObjectNode();
        o.put("key", "m|" + method + "|qasper|" + id).put("kind", "sample").put("model", "m").put("method", method)
                .put("level", 1).put("task", "qasper").put("metric", "qa_f1").put("id", id);
        o.putObject("scores").put("score", score).put("qa_f1", score);
        o.putObject("metrics").put("decode_tps", 10.0).put("e2e_ms", 1000).put("peak_device_bytes", -1)
                .put("process_peak_rss_bytes", 1_000_000_000L);
        edit.accept(o);
        return o.toString() + "\n";
    }

    private static String rec(String method, String id, double score) {
        return rec(method, id, score, o -> { });
    }

    private String loadFails(String results) throws Exception {
        Path f = Files.writeString(dir.resolve("results.jsonl"), results);
        CtxbenchException e = assertThrows(CtxbenchException.class, () -> Report.load(dir, null));
        assertTrue(e.getMessage().startsWith(f + ":"), e.getMessage());
        return e.getMessage();
    }

    @Test
    void unknownBaselineIsRefusedNamingTheMethods() throws Exception {
        Files.writeString(dir.resolve("results.jsonl"), rec("FP16", "a", 0.5) + rec("W4A16", "a", 0.2));
        CtxbenchException e = assertThrows(CtxbenchException.class, () -> Report.load(dir, "NOPE"));
        assertEquals("unknown baseline method 'NOPE': the records in " + dir + " hold FP16, W4A16", e.getMessage());
        assertEquals("W4A16", Report.load(dir, "W4A16").baseline());
    }

    @Test
    void aRecordWithoutARequiredFieldIsAnErrorWithFileAndLine() throws Exception {
        for (String field : new String[] {"key", "model", "method", "task", "metric"}) {
            String m = loadFails(rec("FP16", "a", 0.5) + rec("W4A16", "a", 0.2, o -> o.remove(field)));
            assertTrue(m.contains(":2: ") && m.contains("\"" + field + "\""), m);
            m = loadFails(rec("FP16", "a", 0.5) + rec("W4A16", "a", 0.2, o -> o.put(field, "")));
            assertTrue(m.contains(":2: ") && m.contains("\"" + field + "\""), m);
        }
    }

    @Test
    void aScoreThatIsNotANumberIsAnErrorNotAZero() throws Exception {
        String m = loadFails(rec("FP16", "a", 0.5) + rec("FP16", "b", 0, o -> ((ObjectNode) o.get("scores")).putNull("score")));
        assertTrue(m.contains(":2: ") && m.contains("score"), m);
        m = loadFails(rec("FP16", "a", 0.5) + rec("FP16", "b", 0, o -> ((ObjectNode) o.get("scores")).put("score", "0.9")));
        assertTrue(m.contains(":2: ") && m.contains("score"), m);
        m = loadFails(rec("FP16", "a", 0.5) + rec("FP16", "b", 0, o -> o.remove("scores")));
        assertTrue(m.contains(":2: ") && m.contains("score"), m);
    }

    @Test
    void twoRecordsGluedOnOneLineAreAnError() throws Exception {
        String m = loadFails(rec("FP16", "a", 0.5) + rec("FP16", "b", 0.1).strip() + rec("FP16", "c", 0.3));
        assertTrue(m.contains(":2: ") && m.contains("after the JSON object"), m);
        // also as the last line: a torn write leaves a prefix of one record, never a whole record and more
        m = loadFails(rec("FP16", "a", 0.5) + rec("FP16", "b", 0.1).strip() + rec("FP16", "c", 0.3).strip());
        assertTrue(m.contains(":2: ") && m.contains("after the JSON object"), m);
    }

    @Test
    void aDamagedLineBeforeOtherRecordsIsAnError() throws Exception {
        String m = loadFails(rec("FP16", "a", 0.5) + "{\"key\":\"m|FP16|qasper|b\",\"tru\n" + rec("FP16", "c", 0.3));
        assertTrue(m.contains(":2: "), m);
        Files.writeString(dir.resolve("results.jsonl"), rec("FP16", "a", 0.5) + "{\"key\":\"m|FP16|qasper|b\",\"tru");
        assertEquals(1, Report.load(dir, null).records());   // a torn last line: an interrupted run, noted
    }

    @Test
    void fidelityRecordsAreCheckedToo() throws Exception {
        Files.writeString(dir.resolve("results.jsonl"), rec("FP16", "a", 0.5));
        Path f = Files.writeString(dir.resolve("fidelity.jsonl"), "{\"key\":\"k\",\"model\":\"m\",\"task\":\"qasper\","
                + "\"kl_mean\":0.1}{\"key\":\"k2\"}\n");
        CtxbenchException e = assertThrows(CtxbenchException.class, () -> Report.load(dir, null));
        assertTrue(e.getMessage().startsWith(f + ":1: "), e.getMessage());
        Files.writeString(f, "{\"key\":\"k\",\"model\":\"m\",\"task\":\"qasper\",\"kl_mean\":0.1}\n");
        e = assertThrows(CtxbenchException.class, () -> Report.load(dir, null));
        assertTrue(e.getMessage().startsWith(f + ":1: ") && e.getMessage().contains("\"method\""), e.getMessage());
    }

    @Test
    void theCommandExitsOneWithOneLine() throws Exception {
        Files.writeString(dir.resolve("results.jsonl"), rec("FP16", "a", 0.5) + rec("W4A16", "a", 0.2, o -> o.remove("method")));
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        assertEquals(1, cl.execute("report", dir.toString(), "--out", dir.resolve("report").toString()), err.toString());
        assertEquals(1, err.toString().lines().count(), err.toString());
        assertTrue(err.toString().startsWith("ctxbench report: error: " + dir.resolve("results.jsonl") + ":2: "), err.toString());
        Files.writeString(dir.resolve("results.jsonl"), rec("FP16", "a", 0.5) + rec("W4A16", "a", 0.2));
        assertEquals(1, cl.execute("report", dir.toString(), "--baseline", "NOPE"), err.toString());
        assertTrue(err.toString().contains("unknown baseline method 'NOPE'"), err.toString());
        assertTrue(!Files.exists(dir.resolve("report")));
    }
}
