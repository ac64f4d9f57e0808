package io.ctxbench.results;

import java.nio.file.Path;

/** A second process for the lock tests: takes the lock of DIR/NAME, says "locked", holds it until stdin closes. */
public final class HoldLock {
    private HoldLock() {
    }

    public static void main(String[] args) throws Exception {
        try (RunFolderLock lock = RunFolderLock.acquire(Path.of(args[0]), args[1])) {
            System.out.println("locked " + lock.file());
            System.out.flush();
            while (System.in.read() >= 0) {
                // hold until the parent closes our stdin or kills us
            }
        }
    }

    /** Starts a JVM holding the lock and waits until it has it. */
    public static Process start(Path dir, String name) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), HoldLock.class.getName(),
                dir.toString(), name).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String line = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream())).readLine();
        if (line == null || !line.startsWith("locked")) {
            p.destroyForcibly();
            throw new IllegalStateException("the lock-holding process did not take the lock: " + line);
        }
        return p;
    }
}
