package io.ctxbench.experiment;

import io.ctxbench.CtxbenchException;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RulerSpecTest {
    private static RulerSpec spec(List<String> tasks, List<Integer> lengths) {
        return new RulerSpec(tasks, lengths, 1, null, 2, Path.of("."));
    }

    @Test
    void defaultLengthsArePowersOfTwoFrom4kUpToTheTrainedContextAtMost32k() {
        assertEquals(List.of(4096, 8192), RulerSpec.defaultLengths("m", 8192));
        assertEquals(List.of(4096, 8192, 16384, 32768), RulerSpec.defaultLengths("m", 131072));
        assertEquals(List.of(4096, 8192, 16384), RulerSpec.defaultLengths("m", 30000));
        assertEquals(List.of(2048), RulerSpec.defaultLengths("m", 4000));
        assertThrows(CtxbenchException.class, () -> RulerSpec.defaultLengths("m", 0));
        assertEquals(List.of(4096, 8192), spec(List.of("vt"), List.of()).lengthsFor("m", 8192));
        assertEquals(List.of(512, 8192), spec(List.of("vt"), List.of(512, 8192)).lengthsFor("m", 8192));
        CtxbenchException e = assertThrows(CtxbenchException.class,
                () -> spec(List.of("vt"), List.of(512, 8193)).lengthsFor("m", 8192));
        assertTrue(e.getMessage().startsWith("RULER length 8193 does not fit m, trained for a context of 8192 tokens"));
    }

    @Test
    void allIsThe13InRulersOrderAndNamesAreChecked() {
        assertEquals(13, spec(List.of("vt", "all"), List.of()).resolvedTasks().size());
        assertEquals("niah_single_1", spec(List.of("all"), List.of()).resolvedTasks().getFirst().name());
        assertEquals(List.of("vt", "cwe"), spec(List.of("vt", "cwe", "vt"), List.of()).resolvedTasks().stream()
                .map(t -> t.name()).toList());
        assertThrows(CtxbenchException.class, () -> spec(List.of("needle_qa"), List.of()));
        assertThrows(CtxbenchException.class, () -> spec(List.of("vt"), List.of(0)));
        assertThrows(CtxbenchException.class, () -> new RulerSpec(List.of(), List.of(), 1, "niah_single_2", 1, Path.of(".")));
        assertEquals(List.of(0, 50, 100), new RulerSpec(List.of(), List.of(), 1, "niah_single_2", 3, Path.of(".")).depthList());
    }
}
