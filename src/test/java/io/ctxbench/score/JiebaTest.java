package io.ctxbench.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * {@link Jieba#cut} against Python jieba 0.42.1's {@code jieba.cut(text, cut_all=False)} on
 * score/longbench/jieba_cases.jsonl (how it was made: the README there): jieba's own test sentences, sentences
 * written for this test (mixed scripts, numbers with '.' and '%', full-width letters, "\r\n", emoji, characters
 * outside jieba's Han range) and 400 seeded random mixtures of dictionary words, rare characters, punctuation
 * and whitespace.
 */
class JiebaTest {

    @Test
    void segmentsExactlyAsPythonJieba() throws IOException {
        List<JsonNode> cases = LongBenchCases.read("jieba_cases.jsonl");
        assertTrue(cases.size() >= 450, "expected the full file, got " + cases.size());
        List<String> failures = new ArrayList<>();
        for (JsonNode c : cases) {
            String text = c.get("text").textValue();
            List<String> want = ScoreTestData.strings(c.get("tokens"));
            List<String> got = Jieba.cut(text);
            if (!want.equals(got)) failures.add(ScoreTestData.JSON.valueToTree(text) + "\n  want " + want + "\n  got  " + got);
        }
        assertTrue(failures.isEmpty(), failures.size() + " mismatches:\n" + String.join("\n", failures));
    }

    /**
     * A few cases spelled out, with what com.huaban:jieba-analysis 1.0.2 gives for them (it differs from Python jieba on
     * 337 of the 467 cases of jieba_cases.jsonl, checked once by hand on 2026-12-02).
     */
    @Test
    void casesWhereTheHuabanPortDiffers() {
        assertEquals(List.of("Hello", "世界"), Jieba.cut("Hello世界"));                        // huaban: hello
        assertEquals(List.of("Ａ", "Ｂ", "Ｃ", "全角字", "母"), Jieba.cut("ＡＢＣ全角字母"));   // huaban: ABC
        assertEquals(List.of("增长", "12.5%", "左右"), Jieba.cut("增长12.5%左右"));             // huaban: 12.5, %
        assertEquals(List.of("吉林省", "长春市"), Jieba.cut("吉林省长春市"));
        assertEquals(List.of(), Jieba.cut(""));
    }

    /** The shipped tables are jieba 0.42.1's files, byte for byte (sha256 of the uncompressed files, README). */
    @Test
    void dataFilesAreJiebas() throws IOException, NoSuchAlgorithmException {
        assertEquals("7197c3211ddd98962b036cdf40324d1ea2bfaa12bd028e68faa70111a88e12a8", sha256("dict.txt.gz"));
        assertEquals("27d46b1c9efe4dd148fde8be042a21be40e3562d0c7f1273f9de7abae12ebb8d", sha256("prob_emit.py.gz"));
    }

    /**
     * The route compares sums of Math.log(freq): equal to CPython's math.log (glibc) for every frequency in the
     * dictionary and its total, or ties between routes could fall differently. The digest is of the 5089 distinct
     * values' IEEE bits (big-endian, ascending frequency), computed with CPython 3.11.7's math.log.
     */
    @Test
    void javaLogEqualsPythonLogOnEveryDictionaryFrequency() throws IOException, NoSuchAlgorithmException {
        java.util.TreeSet<Long> freqs = new java.util.TreeSet<>(List.of(1L, 60101967L));
        try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(new GZIPInputStream(resource("dict.txt.gz")),
                java.nio.charset.StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) freqs.add(Long.parseLong(line.split(" ")[1]));
        }
        assertEquals(5089, freqs.size());
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8);
        for (long f : freqs) {
            md.update(b.clear().putLong(Double.doubleToRawLongBits(Math.log(f))).array());
        }
        assertEquals(PYTHON_LOG_DIGEST, HexFormat.of().formatHex(md.digest()));
    }

    private static final String PYTHON_LOG_DIGEST = "0f45ca39c405a13528734e59b63ca89c453ad9f8987c64e62bd85b1af3215158";

    private static String sha256(String name) throws IOException, NoSuchAlgorithmException {
        try (InputStream in = new GZIPInputStream(resource(name))) {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(in.readAllBytes()));
        }
    }

    private static InputStream resource(String name) throws IOException {
        InputStream in = Jieba.class.getResourceAsStream("jieba/" + name);
        if (in == null) throw new IOException("missing resource jieba/" + name);
        return in;
    }
}
