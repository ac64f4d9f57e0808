package io.ctxbench.results;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A file channel that fails like a full disk: the {@code failingWrite}-th write (1-based) writes half its bytes and
 * then throws, or, with {@code failForce}, that write succeeds and the fsync after it throws. Everything else goes
 * to the real channel.
 */
public final class FaultyChannel extends FileChannel {
    private final FileChannel real;
    private final int failingWrite;
    private final boolean failForce;
    private int writes;
    private boolean forceFails;

    public FaultyChannel(FileChannel real, int failingWrite, boolean failForce) {
        this.real = real;
        this.failingWrite = failingWrite;
        this.failForce = failForce;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        if (++writes == failingWrite) {
            if (failForce) {
                forceFails = true;
                return real.write(src);
            }
            ByteBuffer half = src.slice(src.position(), src.remaining() / 2);
            int n = real.write(half);
            src.position(src.position() + n);
            throw new IOException("No space left on device");
        }
        return real.write(src);
    }

    @Override
    public void force(boolean metaData) throws IOException {
        if (forceFails) {
            forceFails = false;
            throw new IOException("Input/output error");
        }
        real.force(metaData);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return real.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        return real.read(dsts, offset, length);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) {
        throw new UnsupportedOperationException();
    }

    @Override
    public long position() throws IOException {
        return real.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        real.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        return real.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        real.truncate(size);
        return this;
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        return real.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) {
        throw new UnsupportedOperationException();
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return real.read(dst, position);
    }

    @Override
    public int write(ByteBuffer src, long position) {
        throw new UnsupportedOperationException();
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) {
        throw new UnsupportedOperationException();
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) {
        throw new UnsupportedOperationException();
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) {
        throw new UnsupportedOperationException();
    }

    @Override
    protected void implCloseChannel() throws IOException {
        real.close();
    }
}
