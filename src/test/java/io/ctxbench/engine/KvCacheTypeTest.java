package io.ctxbench.engine;

import io.ctxbench.CtxbenchException;
import io.ctxbench.llama.ffi.llama_h;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cache types: llama.cpp's list, ggml's enum values and block sizes, names. */
class KvCacheTypeTest {

    /** The types, in the order of kv_cache_types in the pinned llama.cpp's common/arg.cpp (what -ctk/-ctv take). */
    @Test
    void theTypesAreLlamaCppsList() throws Exception {
        String arg = Files.readString(TestFiles.llamaCppSource().resolve("common/arg.cpp"));
        Matcher list = Pattern.compile("kv_cache_types = \\{([^}]*)}").matcher(arg);
        assertTrue(list.find(), "kv_cache_types is gone from common/arg.cpp");
        List<String> names = new ArrayList<>();
        Matcher t = Pattern.compile("GGML_TYPE_(\\w+)").matcher(list.group(1));
        while (t.find()) {
            names.add(t.group(1));
        }
        assertEquals(names, java.util.Arrays.stream(KvCacheType.values()).map(Enum::name).toList());
    }

    /** ggml's own enum values and type sizes, asked through the bindings (ggml_type_size, ggml_blck_size, ggml_type_name). */
    @Test
    void enumValuesAndBlockSizesAreGgmls() {
        NativeLibrary.ensureLoaded();
        for (KvCacheType t : KvCacheType.values()) {
            assertEquals(t.label(), Devices.cString(llama_h.ggml_type_name(t.ggmlType)), t.name());
            assertEquals(t.blockSize, llama_h.ggml_blck_size(t.ggmlType), t.name());
            assertEquals(t.bytesPerBlock, llama_h.ggml_type_size(t.ggmlType), t.name());
        }
    }

    @Test
    void sizesParseAndLabels() {
        assertEquals(32.0, KvCacheType.F32.bitsPerValue());
        assertEquals(16.0, KvCacheType.BF16.bitsPerValue());
        assertEquals(8.5, KvCacheType.Q8_0.bitsPerValue());
        assertEquals(6.0, KvCacheType.Q5_1.bitsPerValue());
        assertEquals(5.5, KvCacheType.Q5_0.bitsPerValue());
        assertEquals(5.0, KvCacheType.Q4_1.bitsPerValue());
        assertEquals(4.5, KvCacheType.Q4_0.bitsPerValue());
        assertEquals(4.5, KvCacheType.IQ4_NL.bitsPerValue());
        assertEquals(192 / 32 * 24, KvCacheType.Q5_1.rowBytes(192));
        assertEquals(192 * 4, KvCacheType.F32.rowBytes(192));
        assertThrows(CtxbenchException.class, () -> KvCacheType.IQ4_NL.rowBytes(48));
        for (KvCacheType t : KvCacheType.values()) {
            assertEquals(t, KvCacheType.parse(" " + t.label().toUpperCase() + " "));
        }
        assertEquals("iq4_nl", KvCacheType.IQ4_NL.label());
        assertEquals("q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1", KvCacheType.labels(true));
        assertFalse(KvCacheType.F32.quantized() || KvCacheType.BF16.quantized());
        CtxbenchException e = assertThrows(CtxbenchException.class, () -> KvCacheType.parse("q3_k"));
        assertEquals("unknown KV cache type 'q3_k': use one of f32, f16, bf16, q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1",
                e.getMessage());
    }
}
