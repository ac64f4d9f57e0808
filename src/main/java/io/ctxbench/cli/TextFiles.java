package io.ctxbench.cli;

import io.ctxbench.CtxbenchException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Text files given on the command line (contexts, data sets, calibration text): read as UTF-8 with invalid bytes
 * replaced by U+FFFD, so a stray Latin-1 byte in a scraped corpus does not stop a run; a file that is not text at
 * all (NUL bytes, or mostly invalid UTF-8 or control characters) is refused, since feeding it to a model only
 * burns time on garbage.
 */
final class TextFiles {
    /** Above this share of replaced or control characters a file is taken for binary (Latin-1 prose stays far below). */
    static final double MAX_NON_TEXT = 0.10;

    private TextFiles() {
    }

    /** The whole file as text; {@code role} names it in errors, e.g. "context file". */
    static String read(Path f, String role) throws IOException {
        if (!Files.isRegularFile(f)) {
            throw new CtxbenchException(role + " not found or not a file: " + f);
        }
        byte[] b = Files.readAllBytes(f);
        for (byte x : b) {
            if (x == 0) {
                throw new CtxbenchException(role + " " + f + " does not look like text: it has NUL bytes (a binary file, or"
                        + " UTF-16 text); give UTF-8 text");
            }
        }
        String s = decoder().decode(ByteBuffer.wrap(b)).toString();
        long bad = s.chars().filter(c -> c == '\uFFFD' || c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f').count();
        if (bad > MAX_NON_TEXT * s.length()) {
            throw new CtxbenchException(String.format(Locale.ROOT, "%s %s does not look like text: %.0f%% of it is invalid"
                    + " UTF-8 or control characters (a binary file?); give UTF-8 text", role, f, 100.0 * bad / s.length()));
        }
        return s;
    }

    /** A line reader over UTF-8 that replaces invalid bytes with U+FFFD instead of failing. */
    static BufferedReader reader(Path f) throws IOException {
        return new BufferedReader(new InputStreamReader(Files.newInputStream(f), decoder()));
    }

    private static CharsetDecoder decoder() {
        return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
    }
}
