package io.smtpkit.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The failed-AUTH windows per client: the limit on both sides, expiry, and the bound on memory. */
class AuthFailuresTest {

    private static final long MINUTE = 60_000_000_000L;

    @Test
    void aClientIsBlockedAtItsLimitUntilItsWindowCloses() {
        AuthFailures failures = new AuthFailures(3, MINUTE, 100);
        long t0 = 1_000;
        assertEquals(1, failures.record("a", t0));
        assertEquals(2, failures.record("a", t0 + 1));
        assertFalse(failures.blocked("a", t0 + 2), "one below the limit");
        assertEquals(3, failures.record("a", t0 + 2));
        assertTrue(failures.blocked("a", t0 + 3), "at the limit");
        assertFalse(failures.blocked("b", t0 + 3), "others are not");
        assertTrue(failures.blocked("a", t0 + MINUTE - 1), "the window counts from the first failure");
        assertFalse(failures.blocked("a", t0 + MINUTE), "and closes a minute after it");
        assertEquals(1, failures.record("a", t0 + MINUTE), "a new window");
    }

    @Test
    void expiredWindowsAreDroppedAsTheMapIsUsed() {
        AuthFailures failures = new AuthFailures(3, MINUTE, 100);
        for (int i = 0; i < 50; i++) {
            failures.record("client " + i, i);
        }
        assertEquals(50, failures.size());
        failures.blocked("anyone", 24 + MINUTE); // the first 25 windows (opened at 0..24) are over
        assertEquals(25, failures.size());
        failures.record("late", 2 * MINUTE);
        assertEquals(1, failures.size());
    }

    @Test
    void theMapNeverHoldsMoreThanItsBoundAndForgetsTheOldestFirst() {
        AuthFailures failures = new AuthFailures(1, MINUTE, 10);
        for (int i = 0; i < 1000; i++) {
            failures.record("client " + i, i);
            assertTrue(failures.size() <= 10);
        }
        assertEquals(10, failures.size());
        assertTrue(failures.blocked("client 999", 1000), "the newest are remembered");
        assertTrue(failures.blocked("client 990", 1000));
        assertFalse(failures.blocked("client 989", 1000), "the oldest were forgotten");
    }
}
