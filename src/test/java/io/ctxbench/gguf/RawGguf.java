package io.ctxbench.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Builds raw (possibly corrupt) GGUF bytes for tests. */
final class RawGguf {
    private final ByteArrayOutputStream b = new ByteArrayOutputStream();

    RawGguf raw(byte... x) { b.writeBytes(x); return this; }

    RawGguf u8(int v) { b.write(v); return this; }

    RawGguf i32(int v) { for (int i = 0; i < 4; i++) b.write(v >>> (8 * i)); return this; }

    RawGguf i64(long v) { for (int i = 0; i < 8; i++) b.write((int) (v >>> (8 * i))); return this; }

    RawGguf str(String s) { byte[] x = s.getBytes(StandardCharsets.UTF_8); i64(x.length); b.writeBytes(x); return this; }

    /** "GGUF", version 3, counts. */
    RawGguf header(long nTensors, long nKv) { return raw((byte) 'G', (byte) 'G', (byte) 'U', (byte) 'F').i32(3).i64(nTensors).i64(nKv); }

    /** Pads with zeros to a multiple of {@code a}. */
    RawGguf pad(int a) { while (b.size() % a != 0) b.write(0); return this; }

    RawGguf zeros(int n) { b.writeBytes(new byte[n]); return this; }

    int size() { return b.size(); }

    byte[] bytes() { return b.toByteArray(); }
}
