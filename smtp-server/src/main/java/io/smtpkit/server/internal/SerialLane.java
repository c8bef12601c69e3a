package io.smtpkit.server.internal;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Runs tasks one after another, in submission order, on an executor: the spool file of one
 * message is written, closed, handed to the handler and deleted in exactly that order, off the
 * event loop. If the executor refuses a task, {@link #submit} throws and the lane forgets what
 * was queued.
 */
final class SerialLane {

    private final Executor executor;
    private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
    private boolean running;

    SerialLane(Executor executor) {
        this.executor = executor;
    }

    void submit(Runnable task) {
        synchronized (this) {
            queue.add(task);
            if (running) {
                return;
            }
            running = true;
        }
        try {
            executor.execute(this::drain);
        } catch (RuntimeException e) {
            synchronized (this) {
                queue.clear();
                running = false;
            }
            // One kind of refusal for the callers, whatever this executor throws.
            throw e instanceof RejectedExecutionException r ? r : new RejectedExecutionException(e);
        }
    }

    private void drain() {
        while (true) {
            Runnable task;
            synchronized (this) {
                task = queue.poll();
                if (task == null) {
                    running = false;
                    return;
                }
            }
            try {
                task.run();
            } catch (RuntimeException e) {
                Transport.log.warn("spool task failed", Printable.exception(e));
            }
        }
    }
}
