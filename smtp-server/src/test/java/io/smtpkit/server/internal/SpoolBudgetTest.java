package io.smtpkit.server.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
        Spool first = new Spool(8192, dir, budget);
        Spool second = new Spool(8192, dir, budget);
        byte[] content = new byte[6000];
        content[5999] = 42;
        first.write(ByteBuffer.wrap(content));
        second.write(ByteBuffer.wrap(content));
        SpooledMessage a = first.finish(new byte[0]);
        SpooledMessage b = second.finish(new byte[0]);
        assertNull(a.file(), "the first fits the budget");
        assertNotNull(b.file(), "the second does not");
        assertArrayEquals(content, b.bytes());
        a.delete();
        b.delete();
        assertEquals(10_000, budget.get(), "all memory given back");
        assertEquals(0, Files.list(dir).count());
    }

    @Test
    void discardGivesTheMemoryBack() {
        AtomicLong budget = new AtomicLong(1 << 20);
        Spool spool = new Spool(1 << 20, dir, budget);
        spool.write(ByteBuffer.wrap(new byte[100_000]));
        spool.discard();
        assertEquals(1 << 20, budget.get());
    }
}
