package io.smtpkit.server.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The content of the message being received: held in memory up to the spool threshold, then
 * written to a temporary file, so a large message never sits on the heap (DESIGN.md, Message).
 * Used by the event loop only.
 */
final class Spool {

    private static final int INITIAL = 4096;
    private static final int FILE_BUFFER = 64 * 1024;

    private final long threshold;
    private final Path directory;
    private final AtomicLong budget;

    private byte[] memory;
    private int memoryLength;
    private Path file;
    private FileChannel channel;
    private ByteBuffer fileBuffer;
    private long size;
    private IOException failure;

    /**
     * @param budget heap octets all in-memory messages of the server may still take; a message
     *     that would go past it is spooled to a file even below the threshold, so that many
     *     clients sending messages just under the threshold at once cannot exhaust the heap
     */
    Spool(long threshold, Path directory, AtomicLong budget) {
        this.threshold = threshold;
        this.directory = directory;
        this.budget = budget;
    }

    /** True when some content has been handed in since the last reset. */
    boolean isOpen() {
        return size > 0 || failure != null;
    }

    long size() {
        return size;
    }

    /** The first write error, or {@code null}. After one, the rest of the message is dropped. */
    IOException failure() {
        return failure;
    }

    void write(ByteBuffer chunk) {
        if (failure != null) {
            return;
        }
        int n = chunk.remaining();
        try {
            if (channel == null && size + n <= threshold && (memory != null && memoryLength + n <= memory.length || grow(n))) {
                chunk.get(memory, memoryLength, n);
                memoryLength += n;
            } else {
                if (channel == null) {
                    spill();
                }
                if (n > fileBuffer.remaining()) {
                    drain();
                }
                if (n > fileBuffer.remaining()) {
                    while (chunk.hasRemaining()) {
                        channel.write(chunk);
                    }
                } else {
                    fileBuffer.put(chunk);
                }
            }
            size += n;
        } catch (IOException e) {
            failure = e;
            deleteFile();
            release(memory);
            memory = null;
        }
    }

    /** Makes room for {@code n} more octets in memory, if the budget allows. */
    private boolean grow(int n) {
        int old = memory == null ? 0 : memory.length;
        long wanted = Math.max(old == 0 ? INITIAL : old * 2L, memoryLength + (long) n);
        int capacity = (int) Math.min(wanted, threshold);
        long extra = capacity - old;
        if (budget.addAndGet(-extra) < 0) {
            budget.addAndGet(extra);
            return false;
        }
        memory = memory == null ? new byte[capacity] : Arrays.copyOf(memory, capacity);
        return true;
    }

    /** Gives the memory of {@code held} octets back to the budget. */
    private void release(byte[] held) {
        if (held != null) {
            budget.addAndGet(held.length);
        }
    }

    private void spill() throws IOException {
        file = directory == null
                ? Files.createTempFile("smtpkit-", ".eml")
                : Files.createTempFile(directory, "smtpkit-", ".eml");
        channel = FileChannel.open(file, StandardOpenOption.WRITE);
        fileBuffer = ByteBuffer.allocate(FILE_BUFFER);
        if (memoryLength > 0) {
            ByteBuffer held = ByteBuffer.wrap(memory, 0, memoryLength);
            while (held.hasRemaining()) {
                channel.write(held);
            }
        }
        release(memory);
        memory = null;
        memoryLength = 0;
    }

    private void drain() throws IOException {
        fileBuffer.flip();
        while (fileBuffer.hasRemaining()) {
            channel.write(fileBuffer);
        }
        fileBuffer.clear();
    }

    /**
     * Hands the content over as a message with {@code header} in front; the spool starts empty
     * again. The caller must {@link SpooledMessage#delete()} the message.
     */
    SpooledMessage finish(byte[] header) throws IOException {
        try {
            if (failure != null) {
                throw failure;
            }
            if (channel != null) {
                drain();
                channel.close();
                channel = null;
                SpooledMessage message = new SpooledMessage(header, null, 0, file, size, () -> { });
                file = null;
                return message;
            }
            byte[] held = memory;
            SpooledMessage message = new SpooledMessage(header, held == null ? new byte[0] : held, memoryLength, null, size,
                    () -> release(held));
            memory = null;
            return message;
        } finally {
            reset();
        }
    }

    /** Forgets the content and deletes its file, if any. */
    void discard() {
        reset();
    }

    private void reset() {
        deleteFile();
        release(memory);
        memory = null;
        memoryLength = 0;
        size = 0;
        failure = null;
        fileBuffer = null;
    }

    private void deleteFile() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // the file is deleted next; nothing else to do
            }
            channel = null;
        }
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a temporary file left behind; the OS cleans its temp directory
            }
            file = null;
        }
    }
}
