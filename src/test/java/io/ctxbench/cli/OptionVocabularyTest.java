package io.ctxbench.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One option vocabulary across commands (llama.cpp's names where the concept exists there), read from picocli's model
 * of every command under {@link Main#commandLine()}: a concept has the same names and the same default wherever it
 * appears, no letter or long name means two things, and every example in a command's help uses its visible options.
 * Old spellings are hidden options (kept for one release) and are not part of the vocabulary.
 */
class OptionVocabularyTest {

    /** A concept: its names, its default, and the commands that must offer it. */
    record Concept(String what, List<String> names, String defaultValue, Set<String> commands) {
    }

    private static final List<Concept> CONCEPTS = List.of(
            new Concept("threads", List.of("-t", "--threads"), "0", Set.of("generate", "sweep", "eval", "compress",
                    "models synth", "models prune", "models quantize", "models imatrix")),
            new Concept("GPU layers", List.of("-ngl", "--n-gpu-layers", "--gpu-layers"), "-1",
                    Set.of("generate", "sweep", "eval", "compress")),
            new Concept("batch", List.of("-b", "--batch-size"), "2048", Set.of("generate", "sweep", "eval")),
            new Concept("micro-batch", List.of("-ub", "--ubatch-size"), "512", Set.of("generate", "sweep", "eval")),
            new Concept("flash attention", List.of("-fa", "--flash-attn"), "auto", Set.of("generate", "sweep")),
            new Concept("context size", List.of("-c", "--ctx-size"), null, Set.of("generate", "compress", "models inspect",
                    "models imatrix")),
            new Concept("K cache type", List.of("-ctk", "--cache-type-k"), "f16", Set.of("generate", "sweep", "models inspect")),
            new Concept("V cache type", List.of("-ctv", "--cache-type-v"), "f16", Set.of("generate", "sweep", "models inspect")),
            new Concept("KV rotation", List.of("--kv-rotation"), "on", Set.of("generate", "sweep")),
            new Concept("model", List.of("-m", "--model"), null, Set.of("generate", "sweep", "eval", "compress",
                    "models inspect", "models prune", "models quantize")),
            new Concept("chat template", List.of("--chat"), "true", Set.of("generate", "eval")),
            new Concept("Jinja chat template", List.of("--jinja"), "true", Set.of("generate", "eval")),
            new Concept("chat template date", List.of("--chat-date"), null, Set.of("generate", "eval")),
            new Concept("output format", List.of("-o", "--output"), "md", Set.of("sweep")),
            new Concept("where results go", List.of("--out"), null, Set.of("sweep", "eval", "report", "score",
                    "models synth", "models prune", "models quantize", "models imatrix")));

    /** The two letters llama.cpp's own tools use for two things: generate follows llama-cli, sweep llama-bench. */
    private static final Map<String, Set<String>> LLAMA_CPP_PAIRS = Map.of(
            "-p", Set.of("--prompt", "--n-prompt"),
            "-n", Set.of("--n-predict", "--n-gen"));

    /** Every command below ctxbench (qualified name without "ctxbench "), the built-in help command left out. */
    static Map<String, CommandSpec> commands() {
        Map<String, CommandSpec> out = new LinkedHashMap<>();
        walk(Main.commandLine(), out);
        return out;
    }

    private static void walk(CommandLine cl, Map<String, CommandSpec> out) {
        for (CommandLine sub : cl.getSubcommands().values()) {
            CommandSpec s = sub.getCommandSpec();
            if (s.userObject() instanceof CommandLine.HelpCommand || out.containsValue(s)) {
                continue;
            }
            out.put(s.qualifiedName().substring("ctxbench ".length()), s);
            walk(sub, out);
        }
    }

    /** The options a user sees (--help and --version left out: picocli's own, the same everywhere). */
    static List<OptionSpec> visible(CommandSpec c) {
        return c.options().stream().filter(o -> !o.hidden() && !o.usageHelp() && !o.versionHelp()).toList();
    }

    @Test
    void everyConceptHasOneSpellingAndOneDefault() {
        List<String> wrong = new ArrayList<>();
        for (Concept k : CONCEPTS) {
            Set<String> seenIn = new TreeSet<>();
            commands().forEach((name, c) -> {
                for (OptionSpec o : visible(c)) {
                    if (Arrays.stream(o.names()).noneMatch(k.names()::contains)) {
                        continue;
                    }
                    seenIn.add(name);
                    if (!List.of(o.names()).equals(k.names())) {
                        wrong.add(k.what() + " in '" + name + "' is " + List.of(o.names()) + ", not " + k.names());
                    }
                    if (!java.util.Objects.equals(o.defaultValue(), k.defaultValue())) {
                        wrong.add(k.what() + " in '" + name + "' defaults to " + o.defaultValue() + ", not " + k.defaultValue());
                    }
                }
            });
            if (!seenIn.containsAll(k.commands())) {
                Set<String> missing = new TreeSet<>(k.commands());
                missing.removeAll(seenIn);
                wrong.add(k.what() + " (" + k.names() + ") is missing from " + missing);
            }
        }
        assertEquals(List.of(), wrong);
    }

    @Test
    void noNameMeansTwoThings() {
        Map<String, Set<String>> longOfShort = new TreeMap<>(), shortOfLong = new TreeMap<>(), arity = new TreeMap<>();
        commands().forEach((name, c) -> {
            for (OptionSpec o : visible(c)) {
                List<String> shorts = Arrays.stream(o.names()).filter(n -> !n.startsWith("--")).toList();
                List<String> longs = Arrays.stream(o.names()).filter(n -> n.startsWith("--")).toList();
                String kind = o.arity().max() == 0 ? "a flag" : "takes a value";
                for (String s : shorts) {
                    longOfShort.computeIfAbsent(s, x -> new TreeSet<>()).add(String.join(" ", longs));
                }
                for (String l : longs) {
                    shortOfLong.computeIfAbsent(l, x -> new TreeSet<>()).add(String.join(" ", shorts));
                    arity.computeIfAbsent(l, x -> new TreeSet<>()).add(kind);
                }
            }
        });
        List<String> wrong = new ArrayList<>();
        longOfShort.forEach((s, longs) -> {
            if (longs.size() > 1 && !longs.equals(LLAMA_CPP_PAIRS.get(s))) {
                wrong.add(s + " means " + longs);
            }
        });
        shortOfLong.forEach((l, shorts) -> {
            if (shorts.size() > 1) {
                wrong.add(l + " has the short names " + shorts);
            }
        });
        arity.forEach((l, kinds) -> {
            if (kinds.size() > 1) {
                wrong.add(l + " " + kinds);
            }
        });
        assertEquals(List.of(), wrong);
    }

    private static final Pattern OPTION = Pattern.compile("(?<=\\s)(--?[A-Za-z][A-Za-z0-9-]*)");

    @Test
    void everyExampleInTheHelpUsesVisibleOptions() {
        Map<String, CommandSpec> all = commands();
        // longest names first, so that "ctxbench models pull" is not read as "ctxbench models"
        List<String> names = all.keySet().stream().sorted((a, b) -> b.length() - a.length()).toList();
        List<String> wrong = new ArrayList<>();
        int examples = 0;
        for (Map.Entry<String, CommandSpec> e : all.entrySet()) {
            String help = e.getValue().commandLine().getUsageMessage(CommandLine.Help.Ansi.OFF);
            for (String line : help.lines().toList()) {
                // each "ctxbench CMD ..." on the line, up to the next "ctxbench"
                for (String part : line.split("(?=\\bctxbench )")) {
                    if (!part.startsWith("ctxbench ")) {
                        continue;
                    }
                    String rest = part.substring("ctxbench ".length());
                    String cmd = names.stream().filter(n -> rest.equals(n) || rest.startsWith(n + " ")).findFirst().orElse(null);
                    if (cmd == null) {
                        continue;
                    }
                    examples++;
                    Set<String> known = new TreeSet<>();
                    for (OptionSpec o : visible(all.get(cmd))) {
                        known.addAll(List.of(o.names()));
                        if (o.negatable()) {
                            for (String n : o.names()) {
                                known.add(all.get(cmd).commandLine().getNegatableOptionTransformer()
                                        .makeNegative(n, all.get(cmd)));
                            }
                        }
                    }
                    known.addAll(List.of("-h", "--help", "-V", "--version"));
                    Matcher m = OPTION.matcher(" " + rest.substring(cmd.length()));
                    while (m.find()) {
                        if (!known.contains(m.group(1))) {
                            wrong.add("'" + e.getKey() + "' --help: '" + part.strip() + "' uses " + m.group(1)
                                    + ", not an option of ctxbench " + cmd);
                        }
                    }
                }
            }
        }
        assertTrue(examples >= 15, "found only " + examples + " examples in the help texts");
        assertEquals(List.of(), wrong);
    }
}
