package io.smtpkit.server.internal;

import io.smtpkit.protocol.Decision;
import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.SmtpSession;
import io.smtpkit.server.SmtpHandler;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.MDC;

/**
 * Answers one connection's decisions: from the envelope budget, the {@link Delivery}, the AUTH
 * checks, or the handler's hook where it belongs (the executor, or the loop for a
 * {@link SmtpHandler.NonBlocking} handler), each answer handed back to the loop; calls onClose
 * once, and never while another hook of the connection still runs.
 */
final class HookDispatcher {

    private static final Logger log = Transport.log;

    /**
     * Runs a {@link SmtpHandler.NonBlocking} handler's hook in place, on the event loop. The
     * hook's answer still goes through the task queue, exactly as from a worker. An Error the
     * hook threw has been answered (451) by then; it is logged, not let loose on the loop.
     */
    private static final Executor ON_LOOP = task -> {
        try {
            task.run();
        } catch (Error e) {
            log.error("handler hook failed on the event loop", Printable.exception(e));
        }
    };

    /** Bits of {@link #state}: a hook is out on a worker; the connection is closed. */
    private static final int HOOK_OUT = 1;
    private static final int CLOSED = 2;
    /** RFC 5321 §4.5.3.1.10 lets a server refuse recipients it has no room for; 4.3.1 is "mail system full". */
    private static final Reply ENVELOPE_FULL = Reply.of(452, "4.3.1", "Error: insufficient system storage, try again later");

    private final Loop t;
    private final Connection context;
    private final String id;
    private final SmtpSession session;
    private final MemoryShare memory;
    private final Object clientKey;
    /** Called on the loop with each hook's answer. */
    private final Consumer<Reply> answer;
    /** Called on the loop with a message's answer, one reply per recipient. */
    private final Consumer<List<Reply>> answerPerRecipient;
    private final SmtpHandler handler;
    /** The session waits for an answer (from a hook, or from the AUTH checks). */
    private boolean waiting;
    /**
     * {@link #HOOK_OUT} and {@link #CLOSED}, shared with the workers: whoever clears the last of
     * the two conditions calls onClose, so it comes once, and never while another hook of this
     * connection still runs (the connection can be closed under a hook: shutdown timeout,
     * client reset).
     */
    private final AtomicInteger state = new AtomicInteger();

    HookDispatcher(Loop t, Connection context, SmtpSession session, MemoryShare memory, Consumer<Reply> answer,
            Consumer<List<Reply>> answerPerRecipient) {
        this.t = t;
        this.context = context;
        this.id = context.id();
        this.session = session;
        this.memory = memory;
        this.clientKey = context.clientKey;
        this.answer = answer;
        this.answerPerRecipient = answerPerRecipient;
        this.handler = t.settings().handler;
    }

    /** True while the session waits for an answer: no other decision may go out meanwhile. */
    boolean waiting() {
        return waiting;
    }

    /** An answer is on its way from elsewhere (the AUTH checks), to come through {@code answer}. */
    private void expectAnswer() {
        waiting = true;
    }

    /** On the loop, when the answer has come. */
    void answered() {
        waiting = false;
    }

    /** Answers what the session asks: at once when the handler has no such hook, else through a hook. */
    void dispatch(Delivery delivery) {
        Decision decision;
        while (!waiting && (decision = session.awaiting()) != null) {
            if (decision instanceof Decision.Mail mail && !memory.reserveEnvelope(clientKey, mail.reversePath(), mail.parameters())
                    || decision instanceof Decision.Rcpt rcpt && !memory.reserveEnvelope(clientKey, rcpt.recipient(), rcpt.parameters())) {
                log.debug("[{}] envelope memory budget used up", id);
                session.resume(ENVELOPE_FULL);
            } else if (decision instanceof Decision.Message m) {
                delivery.deliver(m);
            } else if (decision instanceof Decision.Authenticate auth && t.auth() != null) {
                // Checked on the server's own pool, never the hook executor, within the per-client
                // limits on AUTH (see AuthGuard); answered like a hook, through the answer callback.
                Reply refused = t.auth().begin(t, clientKey, id, auth, answer);
                if (refused != null) {
                    session.resume(refused);
                } else {
                    expectAnswer();
                }
            } else {
                Callable<Reply> hook = hookFor(decision);
                if (hook == null) {
                    session.resume(null);
                } else {
                    run(decision, hook, null);
                }
            }
            if (context.isClosed()) {
                return;
            }
        }
    }

    /**
     * The handler's hook for a decision of the envelope (connect, HELO, MAIL, RCPT), or null when
     * the handler keeps the default and the loop may answer at once.
     */
    private Callable<Reply> hookFor(Decision decision) {
        Hooks hooks = t.hooks();
        if (decision instanceof Decision.Connect) {
            return hooks.connect ? () -> handler.onConnect(context) : null;
        } else if (decision instanceof Decision.Hello hello) {
            return hooks.hello ? () -> handler.onHello(context, hello.domain(), hello.extended()) : null;
        } else if (decision instanceof Decision.Mail mail) {
            return hooks.mail ? () -> handler.onMail(context, mail.reversePath(), mail.parameters()) : null;
        } else if (decision instanceof Decision.Rcpt rcpt) {
            return hooks.rcpt ? () -> handler.onRcpt(context, rcpt.recipient(), rcpt.parameters()) : null;
        }
        return null;
    }

    /** Runs {@code hook} on the executor, or in place for a non-blocking handler. */
    void run(Decision decision, Callable<Reply> hook, SpooledMessage message) {
        run(decision, hook, message, where(), answer, Reply.LOCAL_ERROR);
    }

    /**
     * Runs a message's hook, which answers per recipient (see
     * {@link SmtpHandler#onMessagePerRecipient}), on {@code where}, as {@link #run} does. An
     * answer that does not fit the envelope is the handler's bug: logged, and each recipient gets
     * {@code 451 4.3.0}, as when the hook throws.
     */
    void runMessage(Decision.Message message, Callable<List<Reply>> hook, SpooledMessage content, Executor where) {
        int recipients = message.envelope().recipients().size();
        List<Reply> failed = Collections.nCopies(recipients, Reply.LOCAL_ERROR);
        run(message, () -> {
            List<Reply> replies = hook.call();
            if (replies == null) {
                return Collections.nCopies(recipients, null);
            }
            if (replies.size() != recipients) {
                log.warn("[{}] handler onMessagePerRecipient answered {} replies for {} recipients", id,
                        replies.size(), recipients);
                return failed;
            }
            return replies;
        }, content, where, answerPerRecipient, failed);
    }

    /** Where hooks run: the executor, or in place for a non-blocking handler. */
    Executor where() {
        return t.hooks().inline ? ON_LOOP : t.executor();
    }

    /**
     * Runs {@code hook} on {@code where}; {@code message}, if any, is deleted once the hook is
     * over. Its answer, or {@code failed} if it throws or cannot run, goes to {@code then} through
     * the loop's task queue in every case, refusal included.
     */
    <T> void run(Decision decision, Callable<T> hook, SpooledMessage message, Executor where, Consumer<T> then, T failed) {
        waiting = true;
        state.getAndUpdate(s -> s | HOOK_OUT);
        String name = hookName(decision);
        ServerMetrics metrics = t.settings().metrics;
        ServerMetrics.Hook timed = metrics == null ? null : ServerMetrics.Hook.of(decision);
        try {
            where.execute(() -> {
                T reply;
                enter();
                long started = timed == null ? 0 : System.nanoTime();
                try {
                    reply = hook.call();
                } catch (Throwable e) {
                    log.warn("[{}] handler {} failed", id, name, Printable.exception(e));
                    reply = failed;
                    if (e instanceof Error && !(e instanceof StackOverflowError) && !(e instanceof AssertionError)) {
                        hookAnswered(reply, message, then);
                        throw (Error) e;
                    }
                } finally {
                    if (timed != null) {
                        metrics.handled(timed, System.nanoTime() - started);
                    }
                    leave();
                    hookReturned();
                }
                hookAnswered(reply, message, then);
            });
        } catch (RuntimeException e) {
            // RejectedExecutionException, or whatever else an executor throws: the hook will
            // not run, and nothing thrown here may reach the event loop.
            log.warn("[{}] executor refused the {} hook: {}", id, name, e.toString());
            state.getAndUpdate(s -> s & ~HOOK_OUT); // still open: this runs on the loop
            if (message != null) {
                message.delete();
            }
            // Answered through the task queue like any hook, not from inside the caller.
            t.execute(() -> then.accept(failed));
        }
    }

    /** On the loop, once the connection is closed: onClose now, or when the hook still out returns. */
    void closed() {
        if ((state.getAndUpdate(s -> s | CLOSED) & HOOK_OUT) != 0) {
            return; // a hook still runs: the worker calls onClose once it returns
        }
        if (t.hooks().close) {
            try {
                t.executor().execute(this::callOnClose);
            } catch (RuntimeException e) { // refused, however the executor says it
                log.debug("[{}] onClose not run: executor refused it", id);
            }
        }
    }

    /** On the worker, when a hook is over: if the connection closed meanwhile, its onClose is due now. */
    private void hookReturned() {
        if ((state.getAndUpdate(s -> s & ~HOOK_OUT) & CLOSED) != 0) {
            callOnClose();
        }
    }

    /** On the worker: the message is no longer needed; hand the answer to the loop. */
    private <T> void hookAnswered(T reply, SpooledMessage message, Consumer<T> then) {
        if (message != null) {
            message.delete();
        }
        t.execute(() -> then.accept(reply));
    }

    /** On a worker. */
    private void callOnClose() {
        if (!t.hooks().close) {
            return;
        }
        enter();
        try {
            handler.onClose(context);
        } catch (RuntimeException e) {
            log.warn("[{}] handler onClose failed", id, Printable.exception(e));
        } finally {
            leave();
        }
    }

    /** What a hook's thread carries while it runs: the session id for the logs, the owner for close(). */
    private void enter() {
        MDC.put("session", id);
        Transport.HOOK_OWNER.set(t);
    }

    private void leave() {
        Transport.HOOK_OWNER.remove();
        MDC.remove("session");
    }

    private static String hookName(Decision decision) {
        if (decision instanceof Decision.Connect) {
            return "onConnect";
        } else if (decision instanceof Decision.Hello) {
            return "onHello";
        } else if (decision instanceof Decision.Mail) {
            return "onMail";
        } else if (decision instanceof Decision.Rcpt) {
            return "onRcpt";
        } else if (decision instanceof Decision.Message) {
            return "onMessage";
        }
        return "authenticate";
    }
}
