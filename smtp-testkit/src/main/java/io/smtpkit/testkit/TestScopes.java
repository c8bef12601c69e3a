package io.smtpkit.testkit;

import java.util.concurrent.Semaphore;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Who has the server during a test. Inside a class scope (a static field: the class and its
 * {@code @Nested} classes) the server is shared and tests take turns on it, one at a time, even
 * under parallel execution; otherwise the test has a server of its own, started and stopped with
 * it.
 *
 * <p>What a test holds is kept in that test's JUnit store, not in a field: JUnit calls every
 * extension's {@code afterEach} even when an earlier extension's {@code beforeEach} failed and
 * ours never ran, and giving back a turn that was never taken would let two later tests overlap.
 */
final class TestScopes {

    /** What one test holds. */
    enum Lease {
        /** The test's own server: it stops with the test. */
        OWN,
        /** A turn on the shared server: handed to the next test. */
        TURN
    }

    private final Semaphore turn = new Semaphore(1, true);
    private final ExtensionContext.Namespace namespace;
    private int classScopes;

    /** @param owner the extension instance, so that two servers in one test keep apart leases */
    TestScopes(Object owner) {
        this.namespace = ExtensionContext.Namespace.create(TestScopes.class, owner);
    }

    synchronized void enterClass() {
        classScopes++;
    }

    /** True when the last class scope (the outermost class) has ended. */
    synchronized boolean leaveClass() {
        return --classScopes == 0;
    }

    /** Waits for the turn if the server is shared; the lease the test now holds. */
    Lease beginTest(ExtensionContext context) throws InterruptedException {
        boolean shared;
        synchronized (this) {
            shared = classScopes > 0;
        }
        if (shared) {
            turn.acquire();
        }
        Lease lease = shared ? Lease.TURN : Lease.OWN;
        context.getStore(namespace).put(Lease.class, lease);
        return lease;
    }

    /**
     * The lease {@link #beginTest} gave this test, taken out of its store; {@code null} if it
     * never began here. The caller cleans up, then hands it to {@link #giveBack}: the next test
     * must not start before the last one's scripts are gone.
     */
    Lease endTest(ExtensionContext context) {
        return context.getStore(namespace).remove(Lease.class, Lease.class);
    }

    void giveBack(Lease lease) {
        if (lease == Lease.TURN) {
            turn.release();
        }
    }

    /** Free turns: 1 between tests, 0 during one; anything else is a bookkeeping bug. */
    int availableTurns() {
        return turn.availablePermits();
    }
}
