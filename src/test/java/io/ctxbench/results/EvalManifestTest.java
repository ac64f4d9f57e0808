package io.ctxbench.results;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

class EvalManifestTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void differencesNameEachChangedSettingOnceAndSkipWhatMayDifferOrWasNotRecorded() throws Exception {
        ObjectNode first = (ObjectNode) JSON.readTree("{\"max_length\":4096,\"threads\":2,\"data\":[\"a.jsonl\"],"
                + "\"methods\":[{\"name\":\"FP16\",\"kv_k\":\"f16\"}],\"chat_template\":true}");
        ObjectNode now = (ObjectNode) JSON.readTree("{\"max_length\":2048,\"threads\":1,\"data\":[],\"seed\":3,"
                + "\"methods\":[{\"name\":\"FP16\",\"kv_k\":\"q8_0\"},{\"name\":\"KV-Q\",\"kv_k\":\"q4_0\"}],\"chat_template\":true}");
        assertEquals(List.of("max_length 4096 -> 2048", "data[0] a.jsonl -> (none)", "methods[0].kv_k f16 -> q8_0",
                "methods[1] (none) -> KV-Q"), EvalManifest.differences(first, now, Set.of("threads")));
        assertEquals(List.of(), EvalManifest.differences(first, first.deepCopy(), Set.of()));
        // a long seed written to the manifest reads back as an int: the same value
        ObjectNode seed = JSON.createObjectNode().put("seed", 1L);
        assertEquals(List.of(), EvalManifest.differences((ObjectNode) JSON.readTree(seed.toString()), seed, Set.of()));
    }
}
