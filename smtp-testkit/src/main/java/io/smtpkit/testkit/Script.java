package io.smtpkit.testkit;

import io.smtpkit.protocol.Reply;
import java.time.Duration;
import java.util.Locale;

/**
 * One scripted behaviour of the test server, as registered by a {@link ScriptBuilder}: it acts
 * every time its stage is reached and its conditions match, unless limited with {@link #once()}
 * or {@link #times(int)}. When several scripts match, the one registered first acts.
 *
 * <p>A script registered during a test belongs to that test: if it never acted by the end of the
 * test, the test fails (the client never got where the test meant to exercise), unless the script
 * is {@link #optional()} or the server was built with
 * {@link SmtpServerExtension.Builder#failOnUnfiredScripts(boolean) failOnUnfiredScripts(false)}.
 * Scripts registered outside a test ({@code @BeforeAll}, or before the server starts) last for
 * the whole server. Thread-safe.
 */
public final class Script {

    enum Action { REPLY, ACCEPT, DISCONNECT, DISCONNECT_AFTER, STALL, THROTTLE, GREYLIST }

    final Stage stage;
    final String sender;
    final String recipient;
    final int attempt;
    final Duration delay;
    final Action action;
    final Reply reply;
    final long number; // octets for DISCONNECT_AFTER, octets per second for THROTTLE
    final boolean testScoped;

    private int remaining = Integer.MAX_VALUE;
    private int fired;
    private int matched;
    private boolean optional;

    Script(ScriptBuilder b, Action action, Reply reply, long number, boolean testScoped) {
        this.stage = b.stage;
        this.sender = lower(b.sender);
        this.recipient = lower(b.recipient);
        this.attempt = b.attempt;
        this.delay = b.delay;
        this.action = action;
        this.reply = reply;
        this.number = number;
        this.testScoped = testScoped;
    }

    /** Acts the first time it matches only. */
    public Script once() {
        return times(1);
    }

    /**
     * Acts the first {@code n} times it matches, then steps aside (the server answers as it
     * would without it, or a later script acts).
     */
    public synchronized Script times(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("times must be at least 1: " + n);
        }
        remaining = n - fired;
        return this;
    }

    /** Does not fail the test if it never acts. */
    public synchronized Script optional() {
        optional = true;
        return this;
    }

    /** How many times it acted so far. */
    public synchronized int fired() {
        return fired;
    }

    synchronized boolean isOptional() {
        return optional;
    }

    /** Hook or tap: which part of the server carries this script out. */
    boolean inHook() {
        return switch (action) {
            case REPLY, ACCEPT, GREYLIST -> stage != Stage.DATA && stage != Stage.QUIT;
            default -> false;
        };
    }

    /** Whether the filters (sender, recipient) match; recipients of a whole transaction count when any matches. */
    boolean matches(String txSender, Iterable<String> recipients) {
        if (sender != null && (txSender == null || !sender.equals(txSender.toLowerCase(Locale.ROOT)))) {
            return false;
        }
        if (recipient != null) {
            if (recipients == null) {
                return false;
            }
            for (String r : recipients) {
                if (recipient.equals(r.toLowerCase(Locale.ROOT))) {
                    return true;
                }
            }
            return false;
        }
        return true;
    }

    /** Counts one matching occurrence of the stage; true if this script is to act on it. */
    synchronized boolean count() {
        matched++;
        return (attempt == 0 || matched == attempt) && remaining > 0;
    }

    synchronized void fire() {
        fired++;
        if (remaining != Integer.MAX_VALUE) {
            remaining--;
        }
    }

    private static String lower(String s) {
        return s == null ? null : s.toLowerCase(Locale.ROOT);
    }

    /** What the script does, as it was written: {@code whenRcpt(to bounce@example.org).reply(550 5.1.1 No such user)}. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("when").append(switch (stage) {
            case CONNECT -> "Connect";
            case HELLO -> "Hello";
            case MAIL -> "Mail";
            case RCPT -> "Rcpt";
            case DATA -> "Data";
            case MESSAGE -> "Message";
            case QUIT -> "Quit";
        }).append('(');
        String sep = "";
        if (sender != null) {
            s.append("from ").append(sender);
            sep = ", ";
        }
        if (recipient != null) {
            s.append(sep).append("to ").append(recipient);
            sep = ", ";
        }
        if (attempt != 0) {
            s.append(sep).append("attempt ").append(attempt);
        }
        s.append(')');
        if (!delay.isZero()) {
            s.append(".delay(").append(delay).append(')');
        }
        s.append('.').append(switch (action) {
            case REPLY -> "reply(" + reply + ")";
            case ACCEPT -> "accept()";
            case DISCONNECT -> "disconnect()";
            case DISCONNECT_AFTER -> "disconnectAfter(" + number + " octets)";
            case STALL -> "stall()";
            case THROTTLE -> "throttle(" + number + " octets/s)";
            case GREYLIST -> "greylist()";
        });
        return s.toString();
    }
}
