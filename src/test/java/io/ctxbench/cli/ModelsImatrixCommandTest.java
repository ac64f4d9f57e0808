package io.ctxbench.cli;

import io.ctxbench.engine.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ctxbench models imatrix}: bad input ends in one clear line; a short run writes a file quantize reads. */
class ModelsImatrixCommandTest {
    @Test
    void badInputIsOneLine(@TempDir Path tmp) throws Exception {
        String m = TestFiles.smolLm2().toString();
        GenerateBadInputTest.assertFails("name the file .gguf (the legacy .dat format is not written)",
                "models", "imatrix", "-m", m, "--out", tmp.resolve("x.dat").toString());
        Path shortText = Files.writeString(tmp.resolve("short.txt"), "A short calibration text.");
        GenerateBadInputTest.assertFails("the calibration text tokenizes to only",
                "models", "imatrix", "-m", m, "-f", shortText.toString(), "--out", tmp.resolve("x.gguf").toString());
        Path exists = Files.writeString(tmp.resolve("exists.gguf"), "x");
        GenerateBadInputTest.assertFails("exists; use --force to overwrite it",
                "models", "imatrix", "-m", m, "--out", exists.toString());
        GenerateBadInputTest.assertFails("IQ2_XS needs an importance matrix: pass --imatrix FILE",
                "models", "quantize", "-m", m, "--type", "iq2_xs", "--allow-requantize", "--out", tmp.resolve("q.gguf").toString());
        assertFalse(Files.exists(tmp.resolve("q.gguf")));
    }

    @Test
    void writesAnImatrixThatQuantizeReads(@TempDir Path tmp) {
        String m = TestFiles.smolLm2().toString();
        Path im = tmp.resolve("smol.imatrix.gguf");
        GenerateBadInputTest.Result r = GenerateBadInputTest.run("models", "imatrix", "-m", m, "-c", "32", "--chunks", "2",
                "-t", "2", "--no-progress", "--out", im.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isRegularFile(im));
        Path q = tmp.resolve("smol-q2_k.gguf");
        r = GenerateBadInputTest.run("models", "quantize", "-m", m, "--type", "q2_k", "--allow-requantize", "--imatrix",
                im.toString(), "-t", "2", "--no-progress", "--out", q.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isRegularFile(q));
    }
}
