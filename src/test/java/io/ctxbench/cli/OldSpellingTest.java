package io.ctxbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctxbench.engine.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The old option spellings stay for one release, hidden: each still carries its value (seen here in the error or the
 * output it leads to, before any model loads), says on stderr what it is now, and is refused together with the new
 * spelling. Models quantize's -t, which was the type, is threads now, as in every command.
 */
class OldSpellingTest {
    @TempDir
    Path tmp;

    record Result(int code, String out, String err) {
    }

    static Result run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter(), out = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(out, true));
        return new Result(cl.execute(args), out.toString(), err.toString());
    }

    private static void assertNote(Result r, String old, String now) {
        assertTrue(r.err().contains(": note: " + old + " is now " + now + "; the old spelling goes in the next release"),
                r.err());
    }

    @Test
    void oldSpellingsStillCarryTheirValue() throws Exception {
        String nope = tmp.resolve("nope.gguf").toString();
        Result r = run("generate", "-m", nope, "-p", "x", "--kv-type", "q3_x");
        assertEquals(1, r.code(), r.err());
        assertNote(r, "--kv-type", "--cache-type-k and --cache-type-v");
        assertTrue(r.err().contains("unknown KV cache type 'q3_x'"), r.err());

        r = run("generate", "-m", nope, "-p", "x", "--max-tokens", "0");
        assertNote(r, "--max-tokens", "--n-predict");
        assertTrue(r.code() == 1 && r.err().contains("--n-predict must be positive, got 0"), r.err());

        r = run("generate", "-m", nope, "--repeat", "0");
        assertNote(r, "--repeat", "--repetitions");
        assertTrue(r.code() == 1 && r.err().contains("--repetitions must be positive, got 0"), r.err());

        r = run("generate", "-m", nope, "--prompt-file", tmp.resolve("p.txt").toString());
        assertNote(r, "--prompt-file", "--file");
        assertTrue(r.code() == 1 && r.err().contains("prompt file not found: " + tmp.resolve("p.txt")), r.err());

        r = run("eval", "-m", TestFiles.smolLm2().toString(), "--kv-quant", "f16");
        assertNote(r, "--kv-quant", "--kvq-cache-type");
        assertTrue(r.code() == 1 && r.err().contains("--kvq-cache-type must be a quantized type (q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1), got f16"), r.err());

        Path ctx = Files.writeString(tmp.resolve("ctx.txt"), "Some context.");
        r = run("compress", "--method", "extractive", "-f", ctx.toString(), "-r", "0.5");
        assertNote(r, "--method", "--compressor");
        assertNote(r, "-r", "--rate");
        assertTrue(r.code() == 1 && r.err().contains("got 0.5"), r.err());

        r = run("compress", "--method", "zip", "-f", ctx.toString());
        assertTrue(r.code() == 1 && r.err().contains("unknown --compressor 'zip'"), r.err());

        Path in = Files.writeString(tmp.resolve("in.jsonl"), "{\"id\": 1, \"prediction\": \"a\", \"answers\": [\"a\"]}\n");
        r = run("score", "-i", in.toString(), "-o", in.toString());
        assertNote(r, "-o, --output", "--out");
        assertTrue(r.code() == 1 && r.err().contains("is the input file"), r.err());

        r = run("models", "inspect", "--shape", "tiny", "--weights", "q4_0", "--context", "100", "--new-tokens", "5",
                "--kv", "q8_0", "--json");
        assertEquals(0, r.code(), r.err());
        assertNote(r, "--context", "--ctx-size");
        JsonNode j = Json.MAPPER.readTree(r.out());
        assertEquals(100, j.at("/memory_estimate/context_tokens").asInt(), r.out());
        assertEquals(5, j.at("/memory_estimate/new_tokens").asInt(), r.out());
        assertEquals("q8_0", j.at("/memory_estimate/kv_type").asText(), r.out());
        assertEquals(j.at("/model/kv_bytes_per_token/q8_0").asLong() * 105, j.at("/memory_estimate/kv_bytes").asLong(), r.out());
        assertTrue(j.at("/model/tensor_bytes_by_type").has("Q4_0"), r.out());
    }

    @Test
    void oldAndNewSpellingTogetherAreAUsageError() {
        String nope = tmp.resolve("nope.gguf").toString();
        Result r = run("sweep", "-m", nope, "--kv", "q8_0/q4_0", "-ctk", "q8_0");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("give --cache-type-k or the old spelling --kv, -kv, not both"), r.err());
        r = run("eval", "-m", nope, "-d", "a.jsonl", "--data", "b.jsonl");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("give --data or the old spelling -d, not both"), r.err());
        r = run("models", "quantize", "-m", nope, "--type", "q4_0", "-o", "a.gguf", "--out", "b.gguf");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("give --out or the old spelling -o, --output, not both"), r.err());
    }

    @Test
    void anOldSpellingThatStandsInForARequiredOptionIsEnough() {
        String nope = tmp.resolve("nope.gguf").toString();
        Result r = run("models", "quantize", "-m", nope, "--type", "q4_0", "-o", tmp.resolve("q.gguf").toString());
        assertNote(r, "-o, --output", "--out");
        assertEquals(1, r.code(), r.err());   // the missing model, after the options were taken
        r = run("models", "quantize", "-m", nope, "--type", "q4_0");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("ctxbench models quantize: Missing required option: '--out=FILE'"), r.err());
    }

    @Test
    void quantizeTakesTheTypeOnlyAsTypeNow() {
        Result r = run("models", "quantize", "-m", tmp.resolve("nope.gguf").toString(), "--out",
                tmp.resolve("q.gguf").toString(), "-t", "q4_0");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("'q4_0' is not a whole number of threads"), r.err());
    }

    @Test
    void theSweepReadsItsOldKvPairsAndDepths() {
        // the model does not exist: the sweep stops there, after the options were taken
        Result r = run("sweep", "-m", tmp.resolve("nope.gguf").toString(), "--kv", "f16,q8_0/q4_0", "--depth", "0,1k");
        assertNote(r, "--kv, -kv", "--cache-type-k and --cache-type-v");
        assertNote(r, "--depth", "--n-depth");
        assertEquals(1, r.code(), r.err());
    }
}
