package io.smtpkit.server.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server-wide memory budget for messages below the spool threshold. */
class SpoolBudgetTest {

    @TempDir
    Path dir;

    @Test
    void aMessageThatWouldExceedTheBudgetGoesToAFile() throws Exception {
        AtomicLong budget = new AtomicLong(10_000);
        Spool first = new Spool(8192, dir, budget, Runnable::run, () -> { });
        Spool second = new Spool(8192, dir, budget, Runnable::run, () -> { });
        byte[] content = new byte[6000];
        content[5999] = 42;
        first.write(ByteBuffer.wrap(content));
        second.write(ByteBuffer.wrap(content));
        Spool.InMemory fa = assertInstanceOf(Spool.InMemory.class, first.finish(new byte[0]), "the first fits the budget");
        Spool.OnFile fb = assertInstanceOf(Spool.OnFile.class, second.finish(new byte[0]), "the second does not");
        SpooledMessage a = fa.message();
        SpooledMessage b = fb.file().finish(new byte[0], fb.size());
        assertNull(a.file());
        assertNotNull(b.file());
        assertArrayEquals(content, b.bytes());
        a.delete();
        b.delete();
        assertEquals(10_000, budget.get(), "all memory given back");
        assertEquals(0, Files.list(dir).count());
    }

    @Test
    void writesQueueOnTheLaneAndBackPressureReleasesWhenTheyDrain() throws Exception {
        java.util.List<Runnable> queued = new java.util.ArrayList<>();
        int[] drained = {0};
        Spool spool = new Spool(0, dir, new AtomicLong(0), queued::add, () -> drained[0]++);
        byte[] chunk = new byte[64 * 1024];
        for (int i = 0; i < 5; i++) {
            spool.write(ByteBuffer.wrap(chunk));
        }
        // Four full buffers handed to the lane (one task runs them in order), none written yet.
        assertEquals(true, spool.backlogged());
        assertEquals(0, Files.list(dir).count(), "the loop itself creates no file");
        queued.remove(0).run();
        assertEquals(false, spool.backlogged());
        assertEquals(1, drained[0]);
        Spool.OnFile finished = assertInstanceOf(Spool.OnFile.class, spool.finish(new byte[] {'H'}));
        queued.forEach(Runnable::run);
        SpooledMessage message = finished.file().finish(finished.header(), finished.size());
        assertEquals(1 + 5 * chunk.length, message.size());
        assertEquals(5L * chunk.length, Files.size(message.file()));
        message.delete();
        assertEquals(0, Files.list(dir).count());
    }

    @Test
    void aFileWhoseLastWriteIsRefusedIsDeleted() throws Exception {
        boolean[] refuse = {false};
        java.util.concurrent.Executor executor = task -> {
            if (refuse[0]) {
                throw new java.util.concurrent.RejectedExecutionException("shut down");
            }
            task.run();
        };
        Spool spool = new Spool(0, dir, new AtomicLong(0), executor, () -> { });
        spool.write(ByteBuffer.wrap(new byte[70_000])); // one 64 KiB buffer written, the rest held
        assertEquals(1, Files.list(dir).count());
        refuse[0] = true; // the executor shuts down before the end of data
        assertInstanceOf(Spool.Lost.class, spool.finish(new byte[0]));
        assertEquals(0, Files.list(dir).count(), "the lost message left its spool file behind");
    }

    @Test
    void discardGivesTheMemoryBack() {
        AtomicLong budget = new AtomicLong(1 << 20);
        Spool spool = new Spool(1 << 20, dir, budget, Runnable::run, () -> { });
        spool.write(ByteBuffer.wrap(new byte[100_000]));
        spool.discard();
        assertEquals(1 << 20, budget.get());
    }
}
