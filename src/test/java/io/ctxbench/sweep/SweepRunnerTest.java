package io.ctxbench.sweep;

import io.ctxbench.engine.Model;
import io.ctxbench.engine.TestFiles;
import io.ctxbench.gguf.ModelCatalog;
import io.ctxbench.gguf.SyntheticModel;
import io.ctxbench.results.CellResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With --compare-llama-bench the sweep frees its model before llama-bench runs on the same file: a 70B Q4_K_M
 * (40 GiB) loaded twice does not fit an 80 GB GPU. A stand-in llama-bench looks into the mappings of its parent,
 * the JVM, for the model file (llama.cpp maps it while the model is loaded), refuses to run while it is there, and
 * otherwise prints llama-bench's JSON.
 */
class SweepRunnerTest {
    @TempDir
    Path tmp;

    private static final String FAKE_LLAMA_BENCH = """
            #!/usr/bin/env bash
            # stand-in llama-bench: fails while the parent process (the JVM) still maps the model file
            model=
            while [ $# -gt 0 ]; do [ "$1" = -m ] && model=$2; shift; done
            maps=/proc/$PPID/maps
            grep -q libllama "$maps" || { echo "cannot see the mappings of the parent $PPID (no libllama there)" >&2; exit 4; }
            if grep -qF "$model" "$maps"; then echo "the model is still loaded in the parent $PPID" >&2; exit 3; fi
            echo '[{"n_prompt":8,"n_gen":0,"n_depth":0,"avg_ts":100.0,"stddev_ts":0.0,"samples_ts":[100.0]},'
            echo ' {"n_prompt":0,"n_gen":4,"n_depth":0,"avg_ts":50.0,"stddev_ts":0.0,"samples_ts":[50.0]}]'
            """;

    @Test
    void theModelIsFreedBeforeLlamaBenchRuns() throws Exception {
        Path model = tmp.resolve("tiny.gguf");
        SyntheticModel.write(ModelCatalog.load().require("tiny"), SyntheticModel.WeightType.F16,
                TestFiles.llamaCppSource().resolve("models").resolve("ggml-vocab-llama-bpe.gguf"), model, 1, 1);
        Path fake = tmp.resolve("llama-bench");
        Files.writeString(fake, FAKE_LLAMA_BENCH, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        TestFiles.nativeBuild();   // libllama loaded

        // the probe sees a loaded model: it refuses while one is open in this process
        try (Model m = Model.load(Model.Params.of(model))) {
            Process p = new ProcessBuilder(fake.toString(), "-m", model.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(3, p.exitValue(), out);
        }

        Path second = tmp.resolve("tiny-copy.gguf");
        Files.copy(model, second);
        SweepSpec spec = new SweepSpec(List.of(model.toString(), second.toString()), List.of(-1), List.of("f16"), List.of("on"), List.of("on"), List.of(8),
                List.of(4), List.of(0), List.of(2048), List.of(512), 1, 1, true, 0, 42, false);
        Path log = tmp.resolve("llama-bench.log");
        Path raw = Files.createDirectories(tmp.resolve("raw"));
        List<CellResult> streamed = new java.util.ArrayList<>();
        List<CellResult> res = new SweepRunner(spec, new LlamaBench(fake, log, raw, 60), null).run(streamed::add);
        assertEquals(2, res.size());
        // each cell is streamed when it is done, then again once llama-bench's figures are attached
        assertEquals(List.of(0, 0, 1, 1), streamed.stream().map(r -> r.cell().index()).toList());
        assertNull(streamed.get(0).llamaBench());
        assertEquals(res.get(0), streamed.get(1));
        assertNull(streamed.get(2).llamaBench());
        assertEquals(res.get(1), streamed.get(3));
        for (CellResult r : res) {
            assertTrue(r.ok(), r.toString());
            CellResult.NativeResult nat = r.llamaBench();
            assertNull(nat.error(), nat.error() + "\n" + Files.readString(log));
            assertEquals(50.0, nat.decodeTokensPerSecond().mean());
            assertEquals(r.decodeTokensPerSecond().mean() / 50.0, nat.decodeRatio(), 1e-12);
        }
        // one raw JSON per llama-bench run, numbered across the models (the second no longer overwrites the first)
        assertTrue(Files.exists(raw.resolve("llama-bench-0.json")) && Files.exists(raw.resolve("llama-bench-1.json")));
    }

    /**
     * Any cache type llama.cpp takes, mixed pairs, and KV rotation as an axis: each pair runs with rotation on and off
     * (llama-bench gets LLAMA_ATTN_ROT_DISABLE=1 for the off cells only), an f16 cache with rotation off is rejected.
     */
    @Test
    void kvTypesAndRotationAreAxes() throws Exception {
        Path envLog = tmp.resolve("env.log");
        Path fake = tmp.resolve("env-llama-bench");
        Files.writeString(fake, "#!/usr/bin/env bash\necho \"${LLAMA_ATTN_ROT_DISABLE:-unset} $*\" >> " + envLog + "\n"
                + "echo '[{\"n_prompt\":0,\"n_gen\":4,\"n_depth\":0,\"avg_ts\":50.0,\"stddev_ts\":0.0,\"samples_ts\":[50.0]}]'\n",
                StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        String model = TestFiles.smolLm2().toString();
        SweepSpec spec = new SweepSpec(List.of(model), List.of(0), List.of("q5_1/q4_0", "f16/q4_0"),
                List.of("on", "off"), List.of("on"), List.of(0), List.of(4), List.of(0), List.of(2048), List.of(512), 1, 1,
                false, 0, 42, false);
        List<CellResult> res = new SweepRunner(spec, new LlamaBench(fake, null, null, 60), null).run(r -> { });
        assertEquals(List.of("q5_1/q4_0 on", "q5_1/q4_0 off", "f16/q4_0 on", "f16/q4_0 off"),
                res.stream().map(r -> r.cell().typeK() + "/" + r.cell().typeV() + " " + r.cell().kvRotation()).toList());
        for (CellResult r : res) {
            assertTrue(r.ok(), r.toString());
            assertEquals(50.0, r.llamaBench().decodeTokensPerSecond().mean());
        }
        assertTrue(res.get(1).configuration().contains("kv q5_1/q4_0 norot"), res.get(1).configuration());
        List<String> calls = Files.readAllLines(envLog);
        assertEquals(4, calls.size(), String.join("\n", calls));
        assertTrue(calls.get(0).startsWith("unset ") && calls.get(0).contains("-ctk q5_1 -ctv q4_0"), calls.get(0));
        assertTrue(calls.get(1).startsWith("1 ") && calls.get(1).contains("-ctk q5_1 -ctv q4_0"), calls.get(1));
        // llama-bench parses no f32 K/V: the cell runs, llama-bench is not called, the reason is given
        Files.delete(envLog);
        SweepSpec f32 = new SweepSpec(List.of(model), List.of(0), List.of("f32/q4_0"), List.of("on"), List.of("on"), List.of(0),
                List.of(4), List.of(0), List.of(2048), List.of(512), 1, 1, false, 0, 42, false);
        CellResult noBench = new SweepRunner(f32, new LlamaBench(fake, null, null, 60), null).run(r -> { }).getFirst();
        assertTrue(noBench.ok(), noBench.toString());
        assertTrue(noBench.llamaBench().error().contains("take only f16, bf16, q8_0"), noBench.llamaBench().error());
        assertFalse(Files.exists(envLog));
        // both unquantized: rotation off means nothing
        SweepSpec f16 = new SweepSpec(List.of(model), List.of(0), List.of("f16"), List.of("off"), List.of("on"), List.of(0),
                List.of(4), List.of(0), List.of(2048), List.of(512), 1, 1, false, 0, 42, false);
        CellResult rejected = new SweepRunner(f16, null, null).run(r -> { }).getFirst();
        assertEquals(CellResult.REJECTED, rejected.status());
        assertTrue(rejected.reason().contains("KV rotation off means nothing for an unquantized cache"), rejected.reason());
    }

    /** A llama-bench past its timeout is killed with everything it started (here a child that would run for minutes). */
    @Test
    void aTimedOutLlamaBenchIsKilledWithItsChildren() throws Exception {
        Path pidFile = tmp.resolve("child.pid");
        Path fake = tmp.resolve("slow-llama-bench");
        Files.writeString(fake, "#!/usr/bin/env bash\nsleep 300 &\necho $! > " + pidFile + "\nwait\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        LlamaBench lb = new LlamaBench(fake, null, null, 1);
        long t0 = System.nanoTime();
        io.ctxbench.CtxbenchException e = org.junit.jupiter.api.Assertions.assertThrows(io.ctxbench.CtxbenchException.class,
                () -> lb.run(List.of(), false, 0));
        assertTrue(e.getMessage().contains("did not finish within 1 s"), e.getMessage());
        assertTrue(System.nanoTime() - t0 < 30_000_000_000L);
        long child = Long.parseLong(Files.readString(pidFile).strip());
        var h = ProcessHandle.of(child);
        if (h.isPresent()) {
            h.get().onExit().get(10, TimeUnit.SECONDS);   // killed: it ends at once (a live one would time out here)
        }
        assertTrue(ProcessHandle.of(child).map(x -> !x.isAlive()).orElse(true), "llama-bench's child " + child + " still runs");
    }
}
