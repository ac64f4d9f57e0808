package io.ctxbench.models;

import io.ctxbench.CtxbenchException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HTTP(S) download with resume: bytes go to {@code <target>.part}; an interrupted transfer is continued with a
 * {@code Range: bytes=N-} request (by the next attempt, or the next run); the finished file's sha256 is checked (when
 * known) before it is renamed onto the target. A checksum mismatch deletes the .part file. Errors name the URL.
 */
public final class Downloader {

    public record Options(int attempts, PrintStream progress, Duration connectTimeout) {
        public static Options defaults() {
            return new Options(3, System.err, Duration.ofSeconds(20));
        }

        public Options withAttempts(int n) {
            return new Options(n, progress, connectTimeout);
        }

        public Options withProgress(PrintStream p) {
            return new Options(attempts, p, connectTimeout);
        }
    }

    public record Result(Path file, long bytes, String sha256, boolean verified, long resumedFrom) {
    }

    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

    private Downloader() {
    }

    public static Path partFile(Path target) {
        return target.resolveSibling(target.getFileName() + ".part");
    }

    /** @param sha256 expected lowercase hex digest, or null when not known (then reported, not checked) */
    public static Result download(URI url, Path target, String sha256, Options o) {
        Path part = partFile(target);
        try {
            Files.createDirectories(target.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new CtxbenchException("cannot create " + target.getParent() + ": " + e.getMessage(), e);
        }
        HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(o.connectTimeout()).build();
        long resumedFrom = -1;
        IOException last = null;
        for (int attempt = 1; attempt <= Math.max(1, o.attempts()); attempt++) {
            try {
                long have = Files.exists(part) ? Files.size(part) : 0;
                if (resumedFrom < 0 && have > 0) {
                    resumedFrom = have;
                }
                if (transfer(client, url, part, have, o.progress())) {
                    break;
                }
            } catch (ConnectException | UnknownHostException | HttpConnectTimeoutException e) {
                throw new CtxbenchException("cannot reach " + url + " (offline? " + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "); the partial download, if any, is kept in "
                        + part + " and resumes on the next try", e);
            } catch (IOException e) {
                last = e;
                if (o.progress() != null) {
                    o.progress().println("\ntransfer of " + url + " cut (" + e.getMessage() + "), attempt " + attempt
                            + " of " + o.attempts());
                }
                if (attempt == o.attempts()) {
                    throw new CtxbenchException("download of " + url + " failed after " + attempt + " attempt(s): " + e
                            + "; the partial file " + part + " is kept and resumes on the next run", e);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CtxbenchException("download of " + url + " interrupted; partial file kept in " + part, e);
            }
        }
        try {
            String got = PackagedModels.sha256(part);
            if (sha256 != null && !sha256.equalsIgnoreCase(got)) {
                Files.deleteIfExists(part);
                throw new CtxbenchException("checksum mismatch for " + url + ": expected sha256 " + sha256 + ", got " + got
                        + "; the download was deleted");
            }
            long size = Files.size(part);
            try {
                Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
            }
            return new Result(target, size, got, sha256 != null, Math.max(0, resumedFrom));
        } catch (IOException e) {
            throw new CtxbenchException("cannot finish " + target + ": " + e.getMessage() + (last != null ? " (after " + last + ")" : ""), e);
        }
    }

    /** One request; returns true when the .part file is complete. */
    private static boolean transfer(HttpClient client, URI url, Path part, long have, PrintStream progress)
            throws IOException, InterruptedException {
        HttpRequest.Builder rb = HttpRequest.newBuilder(url).GET();
        if (have > 0) {
            rb.header("Range", "bytes=" + have + "-");
        }
        HttpResponse<InputStream> r = client.send(rb.build(), HttpResponse.BodyHandlers.ofInputStream());
        int code = r.statusCode();
        long total;
        boolean append;
        if (code == 206) {
            Matcher m = CONTENT_RANGE.matcher(r.headers().firstValue("Content-Range").orElse(""));
            if (!m.find() || Long.parseLong(m.group(1)) != have) {
                r.body().close();
                throw new IOException("server sent an unexpected Content-Range for " + url + ": "
                        + r.headers().firstValue("Content-Range").orElse("(none)"));
            }
            total = m.group(3).equals("*") ? -1 : Long.parseLong(m.group(3));
            append = true;
        } else if (code == 416 && have > 0) {
            r.body().close();
            return true; // the .part file is already complete
        } else if (code == 200) {
            total = r.headers().firstValueAsLong("Content-Length").orElse(-1);
            append = false; // server ignored the range: start over
            have = 0;
        } else {
            r.body().close();
            throw new CtxbenchException("HTTP " + code + " from " + url);
        }
        long done = have;
        long t0 = System.nanoTime();
        long lastPrint = 0;
        try (InputStream in = r.body();
             OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                done += n;
                long now = System.nanoTime();
                if (progress != null && now - lastPrint > 250_000_000L) {
                    lastPrint = now;
                    progress.print("\r" + line(done, total, have, now - t0));
                    progress.flush();
                }
            }
        }
        if (progress != null) {
            progress.println("\r" + line(done, total, have, System.nanoTime() - t0));
        }
        if (total >= 0 && done != total) {
            throw new IOException("connection closed after " + done + " of " + total + " bytes");
        }
        return true;
    }

    private static String line(long done, long total, long start, long ns) {
        double mb = (done - start) / 1e6;
        double s = Math.max(1e-9, ns / 1e9);
        return total > 0
                ? String.format(Locale.ROOT, "downloading %5.1f%% %,d / %,d bytes %.1f MB/s", 100.0 * done / total, done, total, mb / s)
                : String.format(Locale.ROOT, "downloading %,d bytes %.1f MB/s", done, mb / s);
    }
}
