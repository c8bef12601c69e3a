package io.smtpkit.server.internal;

import io.smtpkit.protocol.Decision;
import io.smtpkit.protocol.Reply;
import io.smtpkit.server.Authenticator;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.MDC;

/**
 * Where AUTH credentials are checked, and how much of that one client may have. A password check
 * is meant to be slow ({@code {PBKDF2}} entries cost 210,000 iterations, unknown users too), so
 * left on the hook executor a few clients guessing passwords would take every core and hold up
 * everybody's mail. Here:
 * <ul>
 *   <li>checks run on their own small pool with a bounded queue; a check that finds the queue
 *       full is answered {@link #BUSY} at once and is no failure of the client's;
 *   <li>the answer to a failed check is held back for the failure delay on a timer (no thread
 *       sleeps); the session waits for it, so the connection reads nothing meanwhile;
 *   <li>a client (see {@link ClientKeys}) may have a few exchanges in check or in failure delay
 *       at once; one more is answered {@link #TOO_MANY_AT_ONCE}. The place is held through the
 *       delay even if the client hangs up, or hanging up and reconnecting would skip it;
 *   <li>a client with too many failures in a minute is answered {@link #TOO_MANY_FAILURES}, which
 *       closes the connection, in place of any further check until the minute is over.
 * </ul>
 * One guard serves every event loop of a server, so the per-client counts are exact however the
 * client's connections are spread over loops: the counts are taken under this object's lock, at
 * AUTH and when a check ends (never per octet). {@link #begin} is called on a connection's loop, and
 * the workers and the timer hand the answer back to that loop with {@link Loop#execute}.
 */
final class AuthGuard {

    private static final Logger log = Transport.log;

    static final Reply BUSY = Reply.of(454, "4.7.0", "Temporary authentication failure, try again later");
    static final Reply TOO_MANY_AT_ONCE = Reply.of(454, "4.7.0",
            "Too many authentications at once from your address, try again later");
    static final Reply TOO_MANY_FAILURES = Reply.of(421, "4.7.0",
            "Too many failed authentications from your address, try again later");
    /** As before this class: an authenticator that throws is the server's trouble, not a failure. */
    private static final Reply UNAVAILABLE = Reply.of(454, "4.7.0", "Temporary authentication failure");

    /** Checks that may wait for a thread, per thread: a few checks' time, not a backlog. */
    static final int QUEUE_PER_THREAD = 8;
    /** The window in which failures count against {@link AuthLimits#maxFailuresPerClient()}. */
    private static final long FAILURE_WINDOW_NANOS = TimeUnit.MINUTES.toNanos(1);
    /** Clients whose failures are remembered at once: each costs some 100 octets. */
    static final int MAX_CLIENTS_REMEMBERED = 10_000;

    private final Authenticator authenticator;
    private final AuthLimits limits;
    private final ThreadPoolExecutor checks;
    /** For failure delays; null when there are none. */
    private final ScheduledThreadPoolExecutor timer;
    /** Exchanges in check or in failure delay, per client; only clients with some are in it. Guarded by this. */
    private final Map<Object, Integer> inFlight = new HashMap<>();
    /** Null when failures are not limited. Guarded by this. */
    private final AuthFailures failures;

    AuthGuard(Authenticator authenticator, AuthLimits limits) {
        this.authenticator = authenticator;
        this.limits = limits;
        int threads = limits.threads();
        checks = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(QUEUE_PER_THREAD * threads), Transport.daemonThreads("smtpkit-auth-"));
        checks.allowCoreThreadTimeOut(true); // no threads while nobody authenticates
        if (limits.failureDelay().isZero()) {
            timer = null;
        } else {
            timer = new ScheduledThreadPoolExecutor(1, r -> {
                Thread thread = new Thread(r, "smtpkit-auth-timer");
                thread.setDaemon(true);
                return thread;
            });
            timer.setRemoveOnCancelPolicy(true);
        }
        failures = limits.maxFailuresPerClient() > 0
                ? new AuthFailures(limits.maxFailuresPerClient(), FAILURE_WINDOW_NANOS, MAX_CLIENTS_REMEMBERED)
                : null;
    }

    /**
     * On {@code t}, the connection's loop: starts checking {@code auth} for {@code client}. Returns
     * the reply to answer at once if the check is refused, or null if it went out: then
     * {@code answer} is called on {@code t} with the reply, once, even if the connection has
     * closed meanwhile.
     */
    Reply begin(Loop t, Object client, String session, Decision.Authenticate auth, Consumer<Reply> answer) {
        synchronized (this) {
            if (failures != null && failures.blocked(client, System.nanoTime())) {
                log.debug("[{}] AUTH refused: too many failures from {}", session, ClientKeys.describe(client));
                return TOO_MANY_FAILURES;
            }
            int running = inFlight.getOrDefault(client, 0);
            if (limits.maxConcurrentPerClient() > 0 && running >= limits.maxConcurrentPerClient()) {
                log.debug("[{}] AUTH refused: {} already in progress from {}", session, running, ClientKeys.describe(client));
                return TOO_MANY_AT_ONCE;
            }
            inFlight.put(client, running + 1);
        }
        try {
            checks.execute(() -> check(t, client, session, auth, answer));
        } catch (RejectedExecutionException e) {
            release(client);
            log.debug("[{}] AUTH refused: the password checks are all busy", session);
            return BUSY;
        }
        return null;
    }

    /** On a check thread. */
    private void check(Loop t, Object client, String session, Decision.Authenticate auth, Consumer<Reply> answer) {
        boolean accepted;
        MDC.put("session", session);
        Transport.HOOK_OWNER.set(t); // an authenticator that closes the server must not wait for itself
        try {
            // RFC 4616 §2: acting as another identity (an authorization id that is not the
            // user's own) needs a proxy right an Authenticator cannot grant: refused, after
            // the same password check so the answer takes the same time.
            String actAs = auth.authorizationId();
            boolean self = actAs == null || actAs.isEmpty() || actAs.equals(auth.username());
            accepted = authenticator.authenticate(auth.username(), auth.password()) && self;
        } catch (Throwable e) {
            // Neither the exception's text nor the credentials go to the log.
            log.warn("[{}] authenticator failed: {}", session, e.getClass().getName());
            t.execute(() -> finish(client, UNAVAILABLE, answer));
            if (e instanceof Error && !(e instanceof StackOverflowError) && !(e instanceof AssertionError)) {
                throw (Error) e;
            }
            return;
        } finally {
            Transport.HOOK_OWNER.remove();
            MDC.remove("session");
        }
        t.execute(() -> checked(t, client, session, accepted, answer));
    }

    /** On the loop: a check is over. */
    private void checked(Loop t, Object client, String session, boolean accepted, Consumer<Reply> answer) {
        if (accepted) {
            finish(client, Reply.AUTHENTICATION_SUCCEEDED, answer);
            return;
        }
        Reply reply = Reply.AUTHENTICATION_FAILED;
        if (failures != null) {
            int failed;
            synchronized (this) {
                failed = failures.record(client, System.nanoTime());
            }
            if (failed == limits.maxFailuresPerClient()) {
                log.info("[{}] {} failed AUTH from {} within a minute: refusing its AUTH for the rest of the minute",
                        session, failed, ClientKeys.describe(client));
            } else if (failed > limits.maxFailuresPerClient()) {
                // Checks of the same client that were under way when it reached the limit.
                reply = TOO_MANY_FAILURES;
            }
        }
        if (timer != null) {
            Reply delayed = reply;
            try {
                timer.schedule(() -> t.execute(() -> finish(client, delayed, answer)),
                        limits.failureDelay().toNanos(), TimeUnit.NANOSECONDS);
                return;
            } catch (RejectedExecutionException e) {
                // The server is closing: nothing left to slow down.
            }
        }
        finish(client, reply, answer);
    }

    /** On the loop: the exchange is over, its place is free. */
    private void finish(Object client, Reply reply, Consumer<Reply> answer) {
        release(client);
        answer.accept(reply);
    }

    private synchronized void release(Object client) {
        inFlight.computeIfPresent(client, (k, n) -> n > 1 ? n - 1 : null);
    }

    /**
     * After the loop has stopped: drops the checks not started and waits a little for the running
     * ones, so the authenticator is not called after the server's close returns.
     */
    void shutdown() {
        if (timer != null) {
            timer.shutdownNow();
        }
        checks.shutdownNow();
        try {
            checks.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
