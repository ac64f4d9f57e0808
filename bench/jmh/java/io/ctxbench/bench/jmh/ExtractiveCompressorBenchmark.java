package io.ctxbench.bench.jmh;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctxbench.compress.CompressionRequest;
import io.ctxbench.compress.CompressionTarget;
import io.ctxbench.compress.ExtractiveCompressor;
import io.ctxbench.compress.TokenCounter;
import io.ctxbench.engine.Model;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Words per second of the extractive compressor (2x, one thread = one core) over the 200 LongBench multi_news
 * contexts, cycling through them. The "words" counter (whitespace-separated words of the input, as the study
 * counts "5,400 words") is the figure to read: JMH reports it per second.
 *
 * <ul>
 *   <li>{@code counter=words}: budget measured in words, model-free (what any user can run anywhere);</li>
 *   <li>{@code counter=smollm2}: budget measured in the SmolLM2 tokenizer through llama.cpp (one tokenization
 *       of the context plus one of the result per call), as the evaluation uses it.</li>
 * </ul>
 * Run: {@code scripts/jmh ExtractiveCompressorBenchmark -f 1 -rf json -rff extractive.json} from the clone (data from
 * {@code -Dctxbench.data}, default {@code ../shared/data}; SmolLM2 from {@code -Dctxbench.smollm2}, else the models
 * cache {@code -Dctxbench.models.dir} or {@code ~/.cache/ctxbench/models}).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Threads(1)
@State(Scope.Thread)
public class ExtractiveCompressorBenchmark {

    @Param({"words", "smollm2"})
    public String counter;

    private List<String> contexts;
    private int[] words;
    private ExtractiveCompressor compressor;
    private Model vocab;
    private int next;

    /** Words compressed, reported by JMH as a rate. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Words {
        public long words;

        @Setup(Level.Iteration)
        public void reset() {
            words = 0;
        }
    }

    @Setup
    public void setup() throws IOException {
        Path data = Path.of(System.getProperty("ctxbench.data", "../shared/data")).resolve("longbench/multi_news.jsonl");
        ObjectMapper m = new ObjectMapper();
        contexts = Files.readAllLines(data).stream().filter(l -> !l.isBlank()).map(l -> {
            try {
                return m.readTree(l).get("context").asText();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }).toList();
        words = contexts.stream().mapToInt(c -> TokenCounter.words().count(c)).toArray();
        TokenCounter tc;
        if (counter.equals("smollm2")) {
            String dir = System.getProperty("ctxbench.models.dir", System.getProperty("user.home") + "/.cache/ctxbench/models");
            String p = System.getProperty("ctxbench.smollm2", dir + "/SmolLM2-135M-Instruct.Q4_1.gguf");
            vocab = Model.load(Model.Params.of(Path.of(p)).withVocabOnly(true));
            tc = TokenCounter.of(vocab);
        } else {
            tc = TokenCounter.words();
        }
        compressor = new ExtractiveCompressor(tc);
    }

    @TearDown
    public void tearDown() {
        if (vocab != null) {
            vocab.close();
        }
    }

    @Benchmark
    public int compress2x(Words w) {
        int i = next;
        next = (next + 1) % contexts.size();
        w.words += words[i];
        return compressor.compress(CompressionRequest.of("", contexts.get(i), "", CompressionTarget.rate(2))).compressedTokens();
    }
}
