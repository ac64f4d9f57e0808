package io.ctxbench.experiment;

import io.ctxbench.CtxbenchException;
import io.ctxbench.models.PackagedModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FileHashesTest {
    @Test
    void damagedCacheLinesAreDroppedOnceAndNeverServedAsAHash(@TempDir Path tmp) throws Exception {
        Path model = tmp.resolve("model.gguf");
        Files.writeString(model, "weights");
        String real = PackagedModels.sha256(model);
        Path abs = model.toAbsolutePath().normalize();
        String key = abs + "\t" + Files.size(abs) + "\t" + Files.getLastModifiedTime(abs).toMillis() + "\t";
        String other = "/elsewhere/x.gguf\t10\t20\t" + "ab".repeat(32);
        Path cache = tmp.resolve("hashes.tsv");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.write((other + "\n").getBytes(StandardCharsets.UTF_8));
        bytes.write(new byte[]{(byte) 0xff, (byte) 0xfe, 0x01, '\n'});                               // not UTF-8
        bytes.write("hello\n".getBytes(StandardCharsets.UTF_8));                                        // no fields
        bytes.write((key + "z".repeat(64) + "\n").getBytes(StandardCharsets.UTF_8));                   // not a hash
        bytes.write((key + real.substring(0, 20)).getBytes(StandardCharsets.UTF_8));                   // torn last line
        Files.write(cache, bytes.toByteArray());

        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(err, true, StandardCharsets.UTF_8);
        assertEquals(real, FileHashes.sha256(model, cache, ps));
        assertEquals("note: " + cache + " had 4 damaged line(s); they were dropped (it only caches file hashes)",
                err.toString(StandardCharsets.UTF_8).strip());
        assertEquals(List.of(other, key + real), Files.readAllLines(cache));
        assertEquals(real, FileHashes.sha256(model, cache, ps));
        assertEquals(1, err.toString(StandardCharsets.UTF_8).lines().count(), "said once");
        assertEquals(2, Files.readAllLines(cache).size());
    }

    @Test
    void anUnreadableCacheIsAnErrorNamingIt(@TempDir Path tmp) throws Exception {
        Path model = tmp.resolve("model.gguf");
        Files.writeString(model, "weights");
        Path cache = Files.createDirectories(tmp.resolve("hashes.tsv"));
        CtxbenchException e = assertThrows(CtxbenchException.class,
                () -> FileHashes.sha256(model, cache, new PrintStream(new ByteArrayOutputStream())));
        assertTrue(e.getMessage().contains(cache.toString()), e.getMessage());
    }
}
