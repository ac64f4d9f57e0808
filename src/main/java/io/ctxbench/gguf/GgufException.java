package io.ctxbench.gguf;

/**
 * Any problem reading, validating or writing a GGUF file. The message always says what is wrong and where
 * (key, tensor name, byte offset and/or file path).
 */
public class GgufException extends RuntimeException {
    public GgufException(String message) {
        super(message);
    }

    public GgufException(String message, Throwable cause) {
        super(message, cause);
    }
}
