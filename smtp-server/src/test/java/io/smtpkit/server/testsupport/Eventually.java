package io.smtpkit.server.testsupport;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.junit.jupiter.api.Assertions;

/** Waits for a condition instead of sleeping for a guess: polls it every 10 ms up to a deadline. */
public final class Eventually {

    private Eventually() {}

    /** A value to poll; may throw (a file listing, say). */
    @FunctionalInterface
    public interface Probe<T> {
        T get() throws Exception;
    }

    /**
     * Polls {@code probe} until its value satisfies {@code done} or {@code deadline} passes, and
     * returns the last value either way, for the caller to assert on (so a failure shows it).
     */
    public static <T> T poll(Probe<T> probe, Predicate<? super T> done, Duration deadline) throws Exception {
        long end = System.nanoTime() + deadline.toNanos();
        T value = probe.get();
        while (!done.test(value) && System.nanoTime() - end < 0) {
            Thread.sleep(10);
            value = probe.get();
        }
        return value;
    }

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
