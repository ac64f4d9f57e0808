package io.ctxbench.engine;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The llama.cpp build in use never depends on the CPU that built it and has no AMX code: llama.cpp's AMX path
 * (selected on 4th-generation Xeons when compiled in) segfaults in its first matrix multiply at the pinned commit,
 * and a build tuned with -march=native on one machine may not run on another.
 */
class NativeBuildTest {

    @Test
    void buildFlagsFixTheInstructionSet() throws IOException {
        List<String> info = Files.readAllLines(TestFiles.nativeBuild().resolve("BUILD_INFO"));
        for (String flag : List.of("-DGGML_NATIVE=OFF", "-DGGML_AMX_TILE=OFF", "-DGGML_AMX_INT8=OFF", "-DGGML_AMX_BF16=OFF",
                "-DGGML_AVX512=OFF")) {
            assertTrue(info.contains("flag=" + flag), "BUILD_INFO of " + TestFiles.nativeBuild() + " lacks " + flag + ": " + info);
        }
    }

    @Test
    void cpuBackendReportsNoAmx() {
        BackendFeatures f = BackendFeatures.current();
        assertFalse(f.cpuFeatures().isEmpty(), "no CPU features parsed from: " + NativeLibrary.systemInfo());
        assertTrue(f.byBackend().get("CPU").keySet().stream().noneMatch(k -> k.startsWith("AMX")),
                "the CPU backend reports AMX: " + f.byBackend().get("CPU"));
    }

    /** No AMX tile instruction and no AVX-512 register anywhere in the CPU backend's machine code (x86-64). */
    @Test
    void cpuLibraryHasNoAmxOrAvx512Code() throws Exception {
        if (!System.getProperty("os.arch").equals("amd64")) {
            return;   // the instruction-set pins are x86-64 ones; other architectures build llama.cpp's generic variant
        }
        Path lib = TestFiles.nativeBuild().resolve("lib").resolve("libggml-cpu.so");
        Process p = new ProcessBuilder("objdump", "-d", "--no-show-raw-insn", lib.toRealPath().toString())
                .redirectErrorStream(true).start();
        Pattern banned = Pattern.compile("\\b(ldtilecfg|tileloadd\\w*|tilestored|tdpb\\w+)\\b|%zmm\\d+");
        String first = null;
        int instructions = 0;
        try (var in = p.inputReader(StandardCharsets.UTF_8)) {
            for (String line; (line = in.readLine()) != null; ) {
                if (line.contains(":\t")) {
                    instructions++;
                }
                Matcher m = banned.matcher(line);
                if (first == null && m.find()) {
                    first = line.strip();
                }
            }
        }
        assertEquals(0, p.waitFor(), "objdump failed on " + lib);
        assertTrue(instructions > 10_000, "objdump disassembled only " + instructions + " instructions of " + lib);
        assertEquals(null, first, "the CPU backend holds AMX or AVX-512 code, e.g.: " + first);
    }

    @Test
    void parsesBackendFeatures() {
        BackendFeatures f = BackendFeatures.parse("CPU : SSE3 = 1 | AVX2 = 1 | AMX_INT8 = 0 | LLAMAFILE = 1 | "
                + "CUDA : ARCHS = 900 | FA_QUANTS = q4_0-q4_0,q8_0-q4_0 | USE_GRAPHS = 1 | ");
        assertEquals(List.of("SSE3", "AVX2", "LLAMAFILE"), f.cpuFeatures());
        assertTrue(f.hasCuda());
        assertEquals(java.util.Set.of("f16-f16", "q4_0-q4_0", "q8_0-q4_0"), f.cudaFlashAttentionPairs());
        assertEquals(null, BackendFeatures.parse("CUDA : FA_QUANTS = all |").cudaFlashAttentionPairs());
        assertEquals(java.util.Set.of("f16-f16"), BackendFeatures.parse("CUDA : ARCHS = 900 |").cudaFlashAttentionPairs());
    }
}
