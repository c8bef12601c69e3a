package io.smtpkit.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RateLimitTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    private final long t0 = 1_000 * SECOND;

    @Test
    void theLimitHoldsWithinAMinuteAndPerClient() {
        RateLimit limit = new RateLimit(3);
        for (int i = 0; i < 3; i++) {
            assertTrue(limit.tryAcquire("a", t0 + i * SECOND));
        }
        assertFalse(limit.tryAcquire("a", t0 + 10 * SECOND));
        assertFalse(limit.tryAcquire("a", t0 + 59 * SECOND));
        assertTrue(limit.tryAcquire("b", t0 + 59 * SECOND));
    }

    @Test
    void thePreviousMinuteFadesOut() {
        RateLimit limit = new RateLimit(4);
        for (int i = 0; i < 4; i++) {
            assertTrue(limit.tryAcquire("a", t0));
        }
        // 30 s into the next minute, half of the previous minute's 4 still count: 2 more fit.
        assertTrue(limit.tryAcquire("a", t0 + 90 * SECOND));
        assertTrue(limit.tryAcquire("a", t0 + 90 * SECOND));
        assertFalse(limit.tryAcquire("a", t0 + 90 * SECOND));
        // Two quiet minutes later everything is forgotten.
        for (int i = 0; i < 4; i++) {
            assertTrue(limit.tryAcquire("a", t0 + 300 * SECOND));
        }
    }

    @Test
    void refusedAttemptsAreNotCounted() {
        RateLimit limit = new RateLimit(1);
        assertTrue(limit.tryAcquire("a", t0));
        for (int i = 0; i < 100; i++) {
            assertFalse(limit.tryAcquire("a", t0 + SECOND));
        }
        assertTrue(limit.tryAcquire("a", t0 + 121 * SECOND));
    }

    @Test
    void zeroMeansNoLimit() {
        RateLimit limit = new RateLimit(0);
        for (int i = 0; i < 10_000; i++) {
            assertTrue(limit.tryAcquire("a", t0));
        }
        assertEquals(0, limit.trackedClients());
    }

    @Test
    void silentClientsAreForgottenAndTheTableIsBounded() {
        RateLimit limit = new RateLimit(1);
        for (int i = 0; i < RateLimit.MAX_CLIENTS; i++) {
            assertTrue(limit.tryAcquire(i, t0));
        }
        // Full: a new client is let in uncounted rather than refused.
        assertTrue(limit.tryAcquire("new", t0));
        assertTrue(limit.tryAcquire("new", t0));
        assertEquals(RateLimit.MAX_CLIENTS, limit.trackedClients());
        // Past two minutes, the next event prunes everyone who went quiet.
        assertTrue(limit.tryAcquire("later", t0 + 130 * SECOND));
        assertEquals(1, limit.trackedClients());
    }
}
