package io.ctxbench.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Old option spellings, kept for one release after the options took llama.cpp's names (docs/options.md lists them).
 * A command declares an old spelling as a hidden option of its own, with no default, and takes its value through
 * {@link #take}: a value given the old way is used, with a note on stderr that names the new spelling; the old and the
 * new spelling together are a usage error. An old spelling whose letter now means something else in the command
 * (models quantize's -t) is not kept: its description says so.
 */
final class OldSpelling {
    private OldSpelling() {
    }

    /**
     * {@code oldValue} when the hidden option {@code old} was given, else {@code value} (the option {@code now}'s;
     * "A and B" when the old spelling stood for two options).
     *
     * @throws CommandLine.ParameterException (exit 2) when both were given
     */
    static <T> T take(CommandSpec spec, String now, T value, String old, T oldValue) {
        CommandLine cl = spec.commandLine();
        CommandLine.ParseResult parsed = cl.getParseResult();
        OptionSpec o = parsed.matchedOption(old);
        if (o == null) {
            return value;
        }
        String was = String.join(", ", o.names());
        for (String n : now.split(" and ")) {
            if (parsed.hasMatchedOption(n)) {
                throw new CommandLine.ParameterException(cl, "give " + n + " or the old spelling " + was + ", not both");
            }
        }
        cl.getErr().println(Main.name(cl) + ": note: " + was + " is now " + now + "; the old spelling goes in the next release");
        cl.getErr().flush();
        return oldValue;
    }

    /**
     * {@link #take} for an option that must be given: picocli cannot require it, its old spelling may stand in for it.
     * Neither given is picocli's own usage error.
     */
    static <T> T takeRequired(CommandSpec spec, String now, T value, String old, T oldValue) {
        T v = take(spec, now, value, old, oldValue);
        if (v == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Missing required option: '" + now + "="
                    + spec.findOption(now).paramLabel() + "'");
        }
        return v;
    }
}
