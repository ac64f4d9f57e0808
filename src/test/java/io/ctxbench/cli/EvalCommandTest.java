package io.ctxbench.cli;

import io.ctxbench.engine.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Command-line errors of `ctxbench eval` that must stop it before anything runs. */
class EvalCommandTest {

    private static int run(StringWriter err, String... args) {
        CommandLine cl = new CommandLine(new EvalCommand()).setExecutionExceptionHandler(Main::onError);
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        return cl.execute(args);
    }

    @Test
    void unknownCompressorsAndCompressorSuffixesOnPlainMethodsAreUserErrors(@TempDir Path tmp) {
        String model = TestFiles.smolLm2().toString();
        Path out = tmp.resolve("run");
        StringWriter err = new StringWriter();
        assertEquals(1, run(err, "-m", model, "--synthetic", "needle_qa", "--compressor", "lingua9", "-o", out.toString()));
        assertTrue(err.toString().contains("unknown compressor 'lingua9': available are extractive, perplexity"), err.toString());

        err = new StringWriter();
        assertEquals(1, run(err, "-m", model, "--synthetic", "needle_qa", "--methods", "FP16,FP16_c:lingua9", "-o", out.toString()));
        assertTrue(err.toString().contains("unknown compressor 'lingua9'"), err.toString());

        err = new StringWriter();
        assertEquals(1, run(err, "-m", model, "--synthetic", "needle_qa", "--methods", "FP16:perplexity", "-o", out.toString()));
        assertTrue(err.toString().contains("method FP16 does not compress"), err.toString());
        assertFalse(Files.exists(out));

        String help = new CommandLine(new EvalCommand()).getUsageMessage().replaceAll("\\s+", " ");
        assertTrue(help.contains("--compressor") && help.contains("extractive (the built-in methods' default")
                && help.contains("FP16_c:perplexity") && help.contains("--[no-]make-variants"), help);
        assertFalse(help.contains("placeholder"), help);
    }
}
