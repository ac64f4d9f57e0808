package io.ctxbench.tasks.ruler;

import io.ctxbench.compress.TokenCounter;
import io.ctxbench.engine.LoadMode;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.TestFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RULER lengths in a real model's tokens (SmolLM2's tokenizer through llama.cpp), as the eval will count them. */
class RulerModelTokensTest {
    static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(new Model.Params(TestFiles.smolLm2(), 0, LoadMode.AUTO, true));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void samplesFitTheTargetInModelTokens() {
        TokenCounter smol = TokenCounter.of(model);
        RulerData data = RulerData.fromSharedData(Path.of(System.getProperty("ctxbench.shared.dir", "../shared")).resolve("data"));
        int chatTemplate = 40;
        RulerGenerator gen = new RulerGenerator(smol, data, chatTemplate);
        for (int length : new int[]{2048, 4096}) {
            for (RulerTask t : RulerTask.all()) {
                if (t.name().equals("qa_2") || t.name().equals("qa_1") && length < 4096) {
                    continue;   // no HotpotQA here; no qasper paper fits 2k tokens
                }
                for (RulerSample s : gen.generate(t, length, 4, 11)) {
                    int budget = length - chatTemplate;
                    String what = t.name() + " at " + length + ": " + s.length();
                    assertEquals(s.length(), smol.count(s.prompt()) + t.kind().tokensToGenerate, what);
                    // fwe steps by 1/32 of the budget as RULER does; the others by a unit (sentence, word, document)
                    double floor = t.kind() == RulerTask.Kind.FREQ_WORDS ? 0.92 : 0.95;
                    assertTrue(s.length() <= budget && s.length() >= floor * budget, what);
                }
            }
        }
    }
}
