package io.ctxbench.engine;

/** Why a generation ended. */
public enum StopReason {
    /** The model produced an end-of-generation token (not kept in the output). */
    END_OF_GENERATION,
    /** A stop string appeared; the text is cut where it starts. */
    STOP_STRING,
    /** The token limit was reached. */
    MAX_TOKENS
}
