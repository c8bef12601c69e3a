package io.smtpkit.server.internal;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The content of the message being received: held in memory up to the spool threshold (and the
 * server-wide memory budget), then written to a temporary file, so a large message never sits
 * on the heap (docs/ARCHITECTURE.md, Data flow). The event loop owns this object but never touches the file:
 * full 64 KiB buffers go to a {@link SerialLane} on the executor, and while more than a few are
 * in flight the connection stops reading ({@link #backlogged()}).
 */
final class Spool {

    /**
     * The smallest first array. The first is otherwise as large as the first chunk, so the common
     * small message (one chunk: the whole body in one read) takes one exact array, not 4 KiB.
     */
    private static final int INITIAL = 512;
    private static final int FILE_BUFFER = 64 * 1024;
    /** File buffers in flight per connection before it stops reading: 256 KiB. */
    private static final int MAX_IN_FLIGHT = 4;

    private final long threshold;
    private final Path directory;
    private final AtomicLong budget;
    private final Executor executor;
    private final Runnable drained;
    private final AtomicInteger inFlight = new AtomicInteger();

    private byte[] memory;
    private int memoryLength;
    private SerialLane lane;
    private SpoolFile file;
    private ByteBuffer fileBuffer;
    private long size;
    /** The executor refused a file write: the message is lost and will be answered 452. */
    private boolean lost;

    /**
     * @param budget heap octets all in-memory messages of the server may still take; a message
     *     that would go past it is spooled to a file even below the threshold, so that many
     *     clients sending messages just under the threshold at once cannot exhaust the heap
     * @param executor runs the file writes
     * @param drained called on a worker thread when the backlog falls below the limit again
     */
    Spool(long threshold, Path directory, AtomicLong budget, Executor executor, Runnable drained) {
        this.threshold = threshold;
        this.directory = directory;
        this.budget = budget;
        this.executor = executor;
        this.drained = drained;
    }

    long size() {
        return size;
    }

    /** True while too many file writes are in flight: stop feeding content until {@code drained}. */
    boolean backlogged() {
        return inFlight.get() >= MAX_IN_FLIGHT;
    }

    void write(ByteBuffer chunk) {
        int n = chunk.remaining();
        if (file == null && size + n <= threshold && (memory != null && memoryLength + n <= memory.length || grow(n))) {
            chunk.get(memory, memoryLength, n);
            memoryLength += n;
        } else {
            if (file == null) {
                spill();
            }
            while (chunk.hasRemaining()) {
                if (!fileBuffer.hasRemaining()) {
                    submitBuffer();
                }
                int take = Math.min(chunk.remaining(), fileBuffer.remaining());
                ByteBuffer part = chunk.duplicate();
                part.limit(part.position() + take);
                fileBuffer.put(part);
                chunk.position(chunk.position() + take);
            }
        }
        size += n;
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

    private void release(byte[] held) {
        if (held != null) {
            budget.addAndGet(held.length);
        }
    }

    /** From now on the content goes to a file; what memory holds is its beginning. */
    private void spill() {
        if (lane == null) {
            lane = new SerialLane(executor);
        }
        file = new SpoolFile(directory);
        fileBuffer = ByteBuffer.allocate(FILE_BUFFER);
        if (memoryLength > 0) {
            byte[] held = memory;
            int length = memoryLength;
            SpoolFile target = file;
            inFlight.incrementAndGet();
            submit(() -> {
                try {
                    target.write(ByteBuffer.wrap(held, 0, length));
                } finally {
                    release(held);
                    written();
                }
            }, () -> {
                release(held);
                inFlight.decrementAndGet();
            });
        } else {
            release(memory);
        }
        memory = null;
        memoryLength = 0;
    }

    private void submitBuffer() {
        ByteBuffer data = fileBuffer.flip();
        fileBuffer = ByteBuffer.allocate(FILE_BUFFER);
        SpoolFile target = file;
        inFlight.incrementAndGet();
        submit(() -> {
            try {
                target.write(data);
            } finally {
                written();
            }
        }, inFlight::decrementAndGet);
    }

    private void submit(Runnable task, Runnable undo) {
        if (lost) {
            undo.run();
            return;
        }
        try {
            lane.submit(task);
        } catch (RejectedExecutionException e) {
            lost = true;
            undo.run();
        }
    }

    private void written() {
        if (inFlight.decrementAndGet() == MAX_IN_FLIGHT - 1) {
            drained.run();
        }
    }

    /**
     * Hands the content over with {@code header} in front; the spool starts empty again. The
     * message is held in memory, or written to a file by tasks still queued on the lane.
     */
    Finished finish(byte[] header) {
        Finished finished;
        if (file != null && !lost && fileBuffer.position() > 0) {
            submitBuffer(); // may find the executor gone, and lose the message
        }
        if (lost) {
            if (file != null) {
                // The lane refused a task, so nothing runs on it any more: safe to delete here.
                file.delete();
            }
            file = null;
            fileBuffer = null;
            finished = new Lost();
        } else if (file != null) {
            finished = new OnFile(header, file, lane, size);
            file = null;
            fileBuffer = null;
        } else {
            byte[] held = memory;
            finished = new InMemory(new SpooledMessage(header, held == null ? new byte[0] : held, memoryLength,
                    null, size, () -> release(held)));
            memory = null;
        }
        reset();
        return finished;
    }

    /** Forgets the content; its file, if any, is deleted once the writes queued before are done. */
    void discard() {
        if (file != null) {
            SpoolFile doomed = file;
            try {
                lane.submit(doomed::delete);
            } catch (RejectedExecutionException e) {
                doomed.delete(); // the executor is gone; nothing else writes this file any more
            }
            file = null;
            fileBuffer = null;
        }
        reset();
    }

    private void reset() {
        lost = false;
        release(memory);
        memory = null;
        memoryLength = 0;
        size = 0;
    }

    /** What {@link #finish} hands over: one of the three records below. */
    sealed interface Finished permits InMemory, OnFile, Lost {}

    /** The whole message is on the heap, ready for the handler. */
    record InMemory(SpooledMessage message) implements Finished {}

    /**
     * The message is in a file that tasks queued on {@code lane} are still writing: run the
     * handler on that lane, after them, and {@link SpoolFile#finish} the file there first.
     */
    record OnFile(byte[] header, SpoolFile file, SerialLane lane, long size) implements Finished {}

    /** The executor refused a file write: the message is gone and is answered 452. */
    record Lost() implements Finished {}
}
