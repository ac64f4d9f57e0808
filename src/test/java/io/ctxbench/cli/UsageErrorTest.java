package io.ctxbench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** A usage error prints picocli's message and where to find help (not the whole help text), and exits 2. */
class UsageErrorTest {
    record Result(int code, List<String> err, String out) {
    }

    static Result run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter(), out = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(out, true));
        int code = cl.execute(args);
        return new Result(code, err.toString().lines().toList(), out.toString());
    }

    @Test
    void unknownOption() {
        Result r = run("score", "--bogus", "-i", "x.jsonl");
        assertEquals(2, r.code());
        assertEquals(List.of("ctxbench score: Unknown option: '--bogus'",
                "Try 'ctxbench score --help' for more information."), r.err());
        assertEquals("", r.out());
    }

    @Test
    void missingRequiredOption() {
        Result r = run("score");
        assertEquals(2, r.code());
        assertEquals(List.of("ctxbench score: Missing required option: '--input=FILE'",
                "Try 'ctxbench score --help' for more information."), r.err());
    }

    @Test
    void badValueOfANestedCommand() {
        Result r = run("models", "synth", "--threads", "many");
        assertEquals(2, r.code());
        assertEquals(2, r.err().size(), r.err().toString());
        assertEquals("ctxbench models synth: Invalid value for option '--threads': 'many' is not a whole number of threads", r.err().get(0));
        assertEquals("Try 'ctxbench models synth --help' for more information.", r.err().get(1));
    }

    @Test
    void unknownCommandKeepsTheSuggestion() {
        Result r = run("genrate", "-p", "hi");
        assertEquals(2, r.code());
        assertEquals(List.of("ctxbench: Unmatched arguments from index 0: 'genrate', '-p', 'hi'",
                "Did you mean: ctxbench generate or ctxbench data?",
                "Try 'ctxbench --help' for more information."), r.err());
    }
}
