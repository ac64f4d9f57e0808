package io.ctxbench.cli;

import io.ctxbench.CtxbenchException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** Entry point: {@code ctxbench <command>}. Commands are thin: parse, call the library, print. */
@Command(name = "ctxbench", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Measure what long-context inference optimizations cost and buy, on GGUF models run by "
                + "llama.cpp (CPU or CUDA) through Java's FFM API.", ""},
        subcommands = {InfoCommand.class, GenerateCommand.class, ModelsCommand.class, EvalCommand.class, ReportCommand.class,
                DataCommand.class, CompressCommand.class, SweepCommand.class, ScoreCommand.class,
                CommandLine.HelpCommand.class},
        footer = {"", "Run 'ctxbench help <command>' for a command's options."})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns the exit code (0 ok, 1 error the user can fix, 2 usage error, 3 internal error). */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setUsageHelpWidth(110);
        cl.setExecutionExceptionHandler(Main::onError);
        cl.setParameterExceptionHandler(Main::onUsageError);
        return cl;
    }

    /** A usage error: picocli's message and where the help is; the whole help (up to 93 lines) buried the message. */
    static int onUsageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cl = e.getCommandLine();
        PrintWriter err = cl.getErr();
        String name = cl.getCommandSpec().qualifiedName();
        err.println(name + ": " + e.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);   // "Did you mean: ..." when picocli has one
        err.println("Try '" + name + " --help' for more information.");
        return cl.getCommandSpec().exitCodeOnInvalidInput();
    }

    static int onError(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        PrintWriter err = cl.getErr();
        if (e instanceof CtxbenchException || e instanceof io.ctxbench.gguf.GgufException) {
            err.println("ctxbench " + cl.getCommandName() + ": error: " + e.getMessage());
            return 1;
        }
        err.println("ctxbench " + cl.getCommandName() + ": internal error (please report): " + e);
        e.printStackTrace(err);
        return 3;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[]{"ctxbench " + (v == null ? "dev" : v) + ", llama.cpp "
                    + io.ctxbench.engine.NativeLibrary.LLAMA_CPP_COMMIT.substring(0, 8) + ", Java " + Runtime.version()};
        }
    }
}
