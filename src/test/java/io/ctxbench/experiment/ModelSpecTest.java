package io.ctxbench.experiment;

import io.ctxbench.gguf.GgufWriter;
import io.ctxbench.gguf.SyntheticModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What eval reads from a model file before it runs. */
class ModelSpecTest {

    private static Path gguf(Path out, Consumer<GgufWriter> keys) {
        GgufWriter w = new GgufWriter().putString("general.architecture", "llama");
        keys.accept(w);
        return w.write(out, (i, t, off, dst) -> { }, 1).path();
    }

    @Test
    void aSyntheticModelIsKnownByTheKeyItsWriterSetsAndNothingElse(@TempDir Path tmp) {
        Path synth = gguf(tmp.resolve("synth.gguf"), w -> w.putBool(SyntheticModel.MARKER, true));
        assertTrue(new ModelSpec("s", synth, Map.of(), false).synthetic());
        for (Path p : List.of(gguf(tmp.resolve("false.gguf"), w -> w.putBool(SyntheticModel.MARKER, false)),
                gguf(tmp.resolve("text.gguf"), w -> w.putString(SyntheticModel.MARKER, "true")),
                gguf(tmp.resolve("plain.gguf"), w -> w.putString("general.name", "synthetic, but only by name")))) {
            assertFalse(new ModelSpec("x", p, Map.of(), false).synthetic(), p.toString());
        }
    }
}
