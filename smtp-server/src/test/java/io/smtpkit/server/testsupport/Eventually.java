package io.smtpkit.server.testsupport;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Assertions;

/** Waits for a condition instead of sleeping for a guess: polls it every 10 ms up to a deadline. */
public final class Eventually {

    private Eventually() {}

    /** Returns once {@code condition} holds; fails with {@code what} if it does not within {@code deadline}. */
    public static void await(BooleanSupplier condition, Duration deadline, String what) throws InterruptedException {
        long end = System.nanoTime() + deadline.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                Assertions.fail("not within " + deadline + ": " + what);
            }
            Thread.sleep(10);
        }
    }
}
