package io.ctxbench.cli;

import io.ctxbench.engine.Threads;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The converter of every thread-count option ({@code converter = ThreadCount.class}): a count llama.cpp cannot run
 * is a usage error (exit 2) while the command line is parsed, before any model is read.
 */
final class ThreadCount implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
        int n;
        try {
            n = Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + value + "' is not a whole number of threads");
        }
        String why = Threads.problem(n);
        if (why != null) {
            throw new TypeConversionException(why);
        }
        return n;
    }
}
