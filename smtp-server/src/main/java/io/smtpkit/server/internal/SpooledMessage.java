package io.smtpkit.server.internal;

import io.smtpkit.server.Message;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** A received message: the trace header, then the body from memory or from a spool file. */
public final class SpooledMessage implements Message {

    private final byte[] header;
    private final byte[] memory;
    private final int memoryLength;
    private final Path file;
    private final long bodySize;

    private final Runnable release;

    SpooledMessage(byte[] header, byte[] memory, int memoryLength, Path file, long bodySize, Runnable release) {
        this.release = release;
        this.header = header;
        this.memory = memory;
        this.memoryLength = memoryLength;
        this.file = file;
        this.bodySize = bodySize;
    }

    @Override
    public long size() {
        return header.length + bodySize;
    }

    /** The spool file, or {@code null} when the message is held in memory. */
    public Path file() {
        return file;
    }

    @Override
    public InputStream openStream() throws IOException {
        InputStream body = file != null ? Files.newInputStream(file) : new ByteArrayInputStream(memory, 0, memoryLength);
        return header.length == 0 ? body : new SequenceInputStream(new ByteArrayInputStream(header), body);
    }

    @Override
    public byte[] bytes() throws IOException {
        if (file != null) {
            return Message.super.bytes();
        }
        byte[] all = Arrays.copyOf(header, header.length + memoryLength);
        System.arraycopy(memory, 0, all, header.length, memoryLength);
        return all;
    }

    @Override
    public void writeTo(OutputStream out) throws IOException {
        if (file != null) {
            Message.super.writeTo(out);
            return;
        }
        out.write(header);
        out.write(memory, 0, memoryLength);
    }

    /** Deletes the spool file, or gives the memory back; called once the handler has returned. */
    void delete() {
        release.run();
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // left in the temporary directory
            }
        }
    }
}
