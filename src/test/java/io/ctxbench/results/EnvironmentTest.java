package io.ctxbench.results;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctxbench.cli.Main;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one environment manifest: what it holds on this machine, and `ctxbench info --json` printing exactly it. */
class EnvironmentTest {
    @Test
    void itHoldsTheBuildTheMachineAndTheCommandLine() {
        Environment e = Environment.collect(List.of("ctxbench", "test"));
        assertEquals(Schema.CURRENT, e.schema());
        assertTrue(e.llamaCppCommit().startsWith("de3ff815"), e.llamaCppCommit());
        assertFalse(e.buildInfo().isEmpty(), "the native folder's BUILD_INFO (commit, flags)");
        assertTrue(e.systemInfo().contains("CPU :"), e.systemInfo());
        assertTrue(e.cpuFeatures().contains("AVX2"), e.cpuFeatures().toString());
        assertFalse(e.devices().isEmpty());
        assertTrue(e.devices().getFirst().totalBytes() > 0);
        assertTrue(e.cpuCoresAvailable() > 0 && e.cpuDefaultThreads() >= 1 && e.cpuDefaultThreads() <= e.cpuCoresAvailable() && !e.cpu().isBlank() && !e.java().isBlank() && !e.os().isBlank());
        assertEquals(List.of("ctxbench", "test"), e.commandLine());
        assertTrue(e.dateUtc().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"), e.dateUtc());
    }

    @Test
    void infoJsonPrintsTheEnvironment() throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.run(new String[]{"info", "--json"});
        } finally {
            System.setOut(old);
        }
        assertEquals(0, code);
        JsonNode printed = Json.MAPPER.readTree(out.toString(StandardCharsets.UTF_8));
        Set<String> names = new TreeSet<>();
        printed.fieldNames().forEachRemaining(names::add);
        Set<String> fields = new TreeSet<>();
        Json.MAPPER.valueToTree(Environment.collect(List.of())).fieldNames().forEachRemaining(fields::add);
        assertEquals(fields, names);
        assertTrue(names.containsAll(List.of("gpu", "gpu_driver", "cuda_driver_api", "nvcc", "build_info", "cpu_features",
                "command_line", "date_utc")), names.toString());
        assertEquals(List.of("ctxbench", "info", "--json"), Json.MAPPER.convertValue(printed.get("command_line"), List.class));
        assertEquals(Json.MAPPER.valueToTree(Environment.collect(List.of())).get("build_info"), printed.get("build_info"));
    }
}
