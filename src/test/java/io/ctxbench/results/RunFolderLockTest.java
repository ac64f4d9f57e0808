package io.ctxbench.results;

import io.ctxbench.CtxbenchException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class RunFolderLockTest {
    @Test
    void aSecondProcessIsRefusedWithTheHoldersPidAndAKilledHolderLeavesNoLock(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("run");
        Process holder = HoldLock.start(dir, "eval");
        try {
            CtxbenchException e = assertThrows(CtxbenchException.class, () -> RunFolderLock.acquire(dir, "eval"));
            assertTrue(e.getMessage().startsWith(dir + " is in use by another ctxbench process (pid " + holder.pid() + " on "),
                    e.getMessage());
            assertTrue(e.getMessage().contains(", started 20"), e.getMessage());
            // another writer name in the same folder (e.g. another shard) is not blocked
            RunFolderLock.acquire(dir, "eval-shard-1-of-2").close();
        } finally {
            holder.destroyForcibly();   // kill -9: the OS drops the lock
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
        }
        assertTrue(Files.exists(dir.resolve(".ctxbench-eval.lock")));
        try (RunFolderLock lock = RunFolderLock.acquire(dir, "eval")) {
            String held = Files.readString(lock.file());
            assertTrue(held.startsWith("pid " + ProcessHandle.current().pid() + " on "), held);
        }
    }

    @Test
    void aSecondLockInTheSameProcessIsRefusedUntilTheFirstIsClosed(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("run");
        try (RunFolderLock first = RunFolderLock.acquire(dir, "eval")) {
            CtxbenchException e = assertThrows(CtxbenchException.class, () -> RunFolderLock.acquire(dir, "eval"));
            assertTrue(e.getMessage().contains("(pid " + ProcessHandle.current().pid() + " on "), e.getMessage());
            // the refused attempt did not release the first lock: another process still cannot take it
            Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), "-cp",
                    System.getProperty("java.class.path"), HoldLock.class.getName(), dir.toString(), "eval")
                    .redirectErrorStream(true).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("the second process took the lock the first still holds");
            }
            String out = new String(p.getInputStream().readAllBytes());
            assertEquals(1, p.exitValue(), out);
            assertTrue(out.contains("is in use by another ctxbench process"), out);
        }
        RunFolderLock.acquire(dir, "eval").close();
    }
}
