package io.ctxbench.engine;

import io.ctxbench.CtxbenchException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ContextMemoryTest {
    @Test
    void theEstimateMatchesWhatTheSessionAllocatesAndRefusesWhatCannotFit() {
        try (Model m = Model.load(Model.Params.of(TestFiles.smolLm2()).withGpuLayers(0))) {
            Model.Info info = m.info();
            // SmolLM2-135M: 30 layers, 3 KV heads of 64, so one f16 K or V row is 192 x 2 bytes
            assertEquals(1024L * 30 * (384 + 384), ContextMemory.kvBytes(info, 1000, KvCacheType.F16, KvCacheType.F16));
            long compute = 512L * 49152 * 4 + 512L * 576 * 4 * 8;
            assertEquals(1024L * 30 * 768 + compute,
                    ContextMemory.estimateBytes(info, 1000, 512, KvCacheType.F16, KvCacheType.F16, true));
            assertEquals(1024L * 30 * 768 + compute + 512L * 1024 * 9 * 4,
                    ContextMemory.estimateBytes(info, 1000, 512, KvCacheType.F16, KvCacheType.F16, false));
            try (Session s = Session.open(m, Session.Params.of(1000).withKv(KvCacheType.Q8_0, KvCacheType.F16))) {
                assertEquals(s.kvBytesK() + s.kvBytesV(), ContextMemory.kvBytes(info, 1000, KvCacheType.Q8_0, KvCacheType.F16));
            }
            CtxbenchException e = assertThrows(CtxbenchException.class, () -> Session.open(m, Session.Params.of(1_000_000_000)));
            assertTrue(e.getMessage().contains("host memory has"), e.getMessage());
        }
        assertTrue(ContextMemory.hostAvailableBytes() > 0);
    }
}
