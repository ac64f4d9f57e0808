package io.ctxbench;

/**
 * The one exception type ctxbench throws for anything a user can fix: bad input, a missing file, a
 * configuration llama.cpp would reject, a native call that failed. The message says what went wrong and,
 * where possible, what to do about it; the CLI prints it without a stack trace and exits non-zero.
 */
public class CtxbenchException extends RuntimeException {
    public CtxbenchException(String message) {
        super(message);
    }

    public CtxbenchException(String message, Throwable cause) {
        super(message, cause);
    }
}
