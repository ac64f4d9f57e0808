package io.ctxbench.experiment;

import io.ctxbench.engine.FlashAttention;
import io.ctxbench.engine.KvCacheType;
import io.ctxbench.engine.Model;
import io.ctxbench.engine.Session;
import io.ctxbench.engine.TestFiles;
import io.ctxbench.engine.chat.ChatFormat;
import io.ctxbench.score.Fidelity;
import io.ctxbench.compress.TokenCounter;
import io.ctxbench.tasks.Prompts;
import io.ctxbench.tasks.Sample;
import io.ctxbench.tasks.ruler.RulerData;
import io.ctxbench.tasks.ruler.RulerGenerator;
import io.ctxbench.tasks.ruler.RulerTask;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FidelityTest {
    @Test
    void klMath() {
        double[] p = {1, 2, 3}, q = {1, 2, 3}, r = {3, 2, 1};
        Fidelity.logSoftmax(p);
        Fidelity.logSoftmax(q);
        Fidelity.logSoftmax(r);
        assertEquals(0.0, Fidelity.kl(p, q, 3));
        // KL(p||r) by hand: p = softmax(1,2,3)
        double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
        double[] pp = {Math.exp(1) / z, Math.exp(2) / z, Math.exp(3) / z};
        double expected = pp[0] * Math.log(pp[0] / pp[2]) + pp[1] * Math.log(pp[1] / pp[1]) + pp[2] * Math.log(pp[2] / pp[0]);
        assertEquals(expected, Fidelity.kl(p, r, 3), 1e-12);
    }

    @Test
    void selfKlIsZeroAndQ4KvAgainstF16IsPositive() {
        try (Model m = Model.load(Model.Params.of(TestFiles.smolLm2()).withGpuLayers(0))) {
            ChatFormat.Formatter chat = ChatFormat.JINJA.formatter(m, null);
            RulerGenerator gen = new RulerGenerator(TokenCounter.of(m), RulerData.builtin(), Prompts.generatedOverhead(m, chat));
            Sample s = gen.generate(RulerTask.byName("niah_single_1"), 512, 1, 5).getFirst().toSample();
            int[] prompt = Prompts.generated(m, chat, s, s.context()).tokens();
            int[] cont = m.tokenize(" " + s.answers().getFirst() + ".", false, false);
            Session.Params f16 = Session.Params.of(1024).withThreads(1);
            Session.Params q4 = f16.withKv(KvCacheType.Q4_0, KvCacheType.Q4_0).withFlashAttention(FlashAttention.ON);
            try (Session a = Session.open(m, f16); Session b = Session.open(m, f16); Session c = Session.open(m, q4)) {
                Fidelity.Accumulator self = FidelityPass.compare(a, prompt, b, prompt, cont, 64);
                assertEquals(cont.length, self.positions());
                assertEquals(0.0, self.meanKl());
                assertEquals(1.0, self.top1Agreement());
                Fidelity.Accumulator kvq = FidelityPass.compare(a, prompt, c, prompt, cont, 64);
                System.out.printf("fidelity q4_0 KV vs f16 KV: mean KL %.5f, max %.5f, top-1 %.3f over %d positions%n",
                        kvq.meanKl(), kvq.maxKl(), kvq.top1Agreement(), kvq.positions());
                assertTrue(kvq.meanKl() > 0, "KL " + kvq.meanKl());
                assertTrue(kvq.meanKl() < 1.0, "KL " + kvq.meanKl());
            }
        }
    }
}
