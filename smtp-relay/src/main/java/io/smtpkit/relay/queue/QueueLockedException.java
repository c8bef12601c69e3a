package io.smtpkit.relay.queue;

import java.io.IOException;
import java.nio.file.Path;

/** A disk queue is open in another process (a running server) or already in this one. */
public final class QueueLockedException extends IOException {

    private static final long serialVersionUID = 1L;

    /** The queue in {@code dir} is locked. */
    public QueueLockedException(Path dir) {
        super("the queue in " + dir + " is in use by another process (" + dir.resolve("lock") + " is locked)");
    }
}
