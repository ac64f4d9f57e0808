package io.ctxbench.results;

import io.ctxbench.CtxbenchException;

/**
 * The version of the records' layout, written as {@code "schema"} in every record and results document. Version 0
 * is what was written before records carried one (no {@code schema} field: the same field names, with NaN as the
 * string "NaN"); version 1 writes NaN as null; version 2 adds {@code chat_format}, {@code target_length} and {@code depth}; version 3 adds {@code pass}; version 4 adds {@code kv_rotation}; version 5 adds {@code kv_evict} and {@code kv_kept}. A reader takes every version up to {@link #CURRENT} and refuses a
 * newer one rather than misread it.
 */
public final class Schema {
    public static final int CURRENT = 5;

    private Schema() {
    }

    /** Refuses a record written by a newer ctxbench; {@code where} is "FILE:LINE: " or the like. */
    public static void check(int schema, String where) {
        if (schema > CURRENT || schema < 0) {
            throw new CtxbenchException(where + "the record has schema " + schema + ", and this ctxbench reads schemas 0 to "
                    + CURRENT + ": read it with the ctxbench that wrote it (or a newer one)");
        }
    }
}
