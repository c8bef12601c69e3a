package io.smtpkit.testkit;

import io.smtpkit.protocol.Reply;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * Says when a {@link Script} acts and what it does; made by the {@code when…} methods of
 * {@link SmtpServerExtension}. Conditions first ({@link #from}, {@link #to}, {@link #attempt},
 * {@link #delay}), then one action, which registers the script:
 * <pre>{@code
 * smtp.whenRcpt("bounce@example.org").reply(550, "5.1.1", "No such user");
 * smtp.whenMail().from("alice@example.org").attempt(1).reply(421, "4.3.2", "Try again later");
 * smtp.whenMessage().delay(Duration.ofSeconds(3)).accept();
 * smtp.whenData().disconnectAfter(1000);
 * }</pre>
 */
public final class ScriptBuilder {

    final Stage stage;
    String sender;
    String recipient;
    int attempt;
    Duration delay = Duration.ZERO;
    private final Function<Script, Script> register;
    private final boolean testScoped;

    ScriptBuilder(Stage stage, Function<Script, Script> register, boolean testScoped) {
        this.stage = stage;
        this.register = register;
        this.testScoped = testScoped;
    }

    /** Only in transactions from this envelope sender (MAIL, RCPT, DATA, MESSAGE); case-insensitive; {@code ""} for {@code <>}. */
    public ScriptBuilder from(String sender) {
        requireTransaction("from");
        this.sender = Objects.requireNonNull(sender, "sender");
        return this;
    }

    /** Only for this recipient (RCPT), or transactions that have it among their recipients (DATA, MESSAGE); case-insensitive. */
    public ScriptBuilder to(String recipient) {
        if (stage != Stage.RCPT && stage != Stage.DATA && stage != Stage.MESSAGE) {
            throw new IllegalArgumentException("to(..) applies to RCPT, DATA and MESSAGE, not " + stage);
        }
        this.recipient = Objects.requireNonNull(recipient, "recipient");
        return this;
    }

    /**
     * Only on the {@code n}th time the stage is reached (and the other conditions match),
     * counted from the start of the test: {@code attempt(1)} refuses the first try and lets the
     * client's retry through.
     */
    public ScriptBuilder attempt(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("attempt counts from 1: " + n);
        }
        this.attempt = n;
        return this;
    }

    /** Waits this long before the action (a slow server); with {@link #accept()}, a delay and nothing else. */
    public ScriptBuilder delay(Duration delay) {
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay must not be negative: " + delay);
        }
        this.delay = delay;
        return this;
    }

    /**
     * Answers with this reply. A 4xx or 5xx refuses what was asked; a {@code 421} is sent and
     * then closes the connection (RFC 5321 §3.8). At DATA and QUIT only refusals can be scripted,
     * and a DATA refusal applies to the DATA command, not to BDAT (RFC 3030), whose chunk follows
     * it at once.
     *
     * @param enhanced the RFC 3463 code such as {@code 5.1.1}, or {@code null}
     */
    public Script reply(int code, String enhanced, String text) {
        return reply(Reply.of(code, enhanced, text));
    }

    /** A multi-line reply: one line of text per element. */
    public Script reply(int code, String enhanced, List<String> lines) {
        return reply(new Reply(code, enhanced, lines));
    }

    /** Answers with {@code reply}; see {@link #reply(int, String, String)}. */
    public Script reply(Reply reply) {
        Objects.requireNonNull(reply, "reply");
        if ((stage == Stage.DATA || stage == Stage.QUIT) && reply.code() < 400) {
            throw new IllegalArgumentException("at " + stage + " only a refusal (4xx/5xx) can be scripted: " + reply);
        }
        if ((stage == Stage.DATA || stage == Stage.QUIT) && !delay.isZero()) {
            throw new IllegalArgumentException("at " + stage + " a script delays or refuses, not both");
        }
        return add(Script.Action.REPLY, reply, 0);
    }

    /** Gives the server's normal answer: useful after {@link #delay(Duration)}. */
    public Script accept() {
        return add(Script.Action.ACCEPT, null, 0);
    }

    /** Closes the connection at once, without a reply: at CONNECT before the greeting, else before the command is read. */
    public Script disconnect() {
        requireSocketStage("disconnect()");
        return add(Script.Action.DISCONNECT, null, 0);
    }

    /**
     * DATA only: lets {@code octets} of the message content (as sent, dot-stuffing included)
     * through, then closes the connection in the middle of the message, which is not delivered.
     */
    public Script disconnectAfter(long octets) {
        if (stage != Stage.DATA) {
            throw new IllegalArgumentException("disconnectAfter(octets) applies to DATA, not " + stage);
        }
        if (octets < 0) {
            throw new IllegalArgumentException("octets must not be negative: " + octets);
        }
        return add(Script.Action.DISCONNECT_AFTER, null, octets);
    }

    /** Reads and answers nothing more, keeping the connection open: a hung server, for client timeouts. */
    public Script stall() {
        requireSocketStage("stall()");
        return add(Script.Action.STALL, null, 0);
    }

    /** From here on, reads at most {@code octetsPerSecond} from this client: a slow reader, for client write timeouts. */
    public Script throttle(int octetsPerSecond) {
        requireSocketStage("throttle()");
        if (octetsPerSecond < 1) {
            throw new IllegalArgumentException("octetsPerSecond must be at least 1: " + octetsPerSecond);
        }
        return add(Script.Action.THROTTLE, null, octetsPerSecond);
    }

    Script greylist() {
        return add(Script.Action.GREYLIST, SmtpServerExtension.GREYLISTED, 0);
    }

    private Script add(Script.Action action, Reply reply, long number) {
        if (!delay.isZero() && action != Script.Action.ACCEPT && action != Script.Action.REPLY) {
            throw new IllegalArgumentException("delay(..) goes with reply(..) or accept()");
        }
        return register.apply(new Script(this, action, reply, number, testScoped));
    }

    private void requireTransaction(String what) {
        if (stage != Stage.MAIL && stage != Stage.RCPT && stage != Stage.DATA && stage != Stage.MESSAGE) {
            throw new IllegalArgumentException(what + "(..) applies to MAIL, RCPT, DATA and MESSAGE, not " + stage);
        }
    }

    private void requireSocketStage(String what) {
        if (stage == Stage.MESSAGE) {
            throw new IllegalArgumentException(what + " cannot happen at the end of data (the content is all read): use "
                    + "whenData().disconnectAfter(octets) to cut a message, or reply(421, ...) to close after it");
        }
    }
}
