package io.ctxbench.cli;

import io.ctxbench.CtxbenchException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
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

    /** The process's standard output (set by main), kept to say why a write to it failed. */
    private static Stdout stdout;

    public static void main(String[] args) {
        stdout = new Stdout();
        System.setOut(new PrintStream(new BufferedOutputStream(stdout, 8192), true, System.out.charset()));
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
        cl.setExecutionStrategy(Main::execute);
        return cl;
    }

    /**
     * Runs the command (picocli's RunLast), then checks that what it printed arrived: PrintStream and PrintWriter
     * never throw, so without this {@code ctxbench score ... > /dev/full} wrote nothing and exited 0. One check here
     * covers every command. An OutOfMemoryError is one line as well: once it has unwound to here, what the command
     * held is garbage, so there is room to print it.
     */
    private static int execute(CommandLine.ParseResult parsed) {
        CommandLine cl = parsed.asCommandLineList().getLast();
        String name = name(cl);
        int code;
        try {
            code = new CommandLine.RunLast().execute(parsed);
        } catch (OutOfMemoryError e) {
            cl.getErr().println(name + ": error: out of memory (" + e.getMessage() + "; this JVM may use "
                    + (Runtime.getRuntime().maxMemory() >> 20) + " MiB of heap): give it more, e.g. CTXBENCH_JAVA_OPTS=-Xmx16g "
                    + "scripts/ctxbench ... (java -Xmx16g -jar ... otherwise), or give it smaller input");
            return 1;
        }
        boolean failed = false;
        for (CommandLine c : parsed.asCommandLineList()) {
            failed |= c.getOut().checkError();   // flushes picocli's writer into System.out
        }
        failed |= System.out.checkError();
        if (failed) {
            IOException why = stdout == null ? null : stdout.failure;
            cl.getErr().println(name + ": error: cannot write to standard output: "
                    + (why != null ? why.getMessage() : "the write failed"));
            return code == 0 ? 1 : code;
        }
        return code;
    }

    /** The command as typed, e.g. "ctxbench models quantize" (also for a command run on its own, as tests do). */
    static String name(CommandLine cl) {
        String q = cl.getCommandSpec().qualifiedName();
        return q.equals("ctxbench") || q.startsWith("ctxbench ") ? q : "ctxbench " + q;
    }

    /** A usage error: picocli's message and where the help is; the whole help (up to 93 lines) buried the message. */
    static int onUsageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cl = e.getCommandLine();
        PrintWriter err = cl.getErr();
        String name = name(cl);
        err.println(name + ": " + e.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);   // "Did you mean: ..." when picocli has one
        err.println("Try '" + name + " --help' for more information.");
        return cl.getCommandSpec().exitCodeOnInvalidInput();
    }

    static int onError(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        PrintWriter err = cl.getErr();
        if (e instanceof CtxbenchException) {
            err.println(name(cl) + ": error: " + e.getMessage());
            return 1;
        }
        err.println(name(cl) + ": internal error (please report): " + e);
        e.printStackTrace(err);
        return 3;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** File descriptor 1, remembering the first write that failed (a PrintStream keeps only a flag). */
    private static final class Stdout extends FileOutputStream {
        volatile IOException failure;

        Stdout() {
            super(FileDescriptor.out);
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[]{(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                super.write(b, off, len);
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                }
                throw e;
            }
        }
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
