package io.smtpkit.protocol;

import static io.smtpkit.protocol.internal.Replies.*;

import io.smtpkit.protocol.internal.Ascii;
import io.smtpkit.protocol.internal.CommandText;
import io.smtpkit.protocol.internal.EncodedReplies;
import io.smtpkit.protocol.internal.LineReader;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;

/**
 * One SMTP server session, without I/O (RFC 5321 §3, §4): bytes from the client go in through
 * {@link #receive(ByteBuffer)}; replies and message content come out through the
 * {@link SessionOutput} given at construction, and the {@link Decision} it waits for is
 * {@link #awaiting()}, which the transport looks at after every call (decisions are pulled, not
 * pushed).
 *
 * <p>The life of a session:
 * <ol>
 *   <li>{@link #start()} asks {@link Decision.Connect}; the answer becomes the greeting.
 *   <li>{@link #receive(ByteBuffer)} consumes input until it needs a decision, the input runs out,
 *       STARTTLS is accepted, the session closes or message content ends (see
 *       {@link #isReceivingContent()}). Unconsumed bytes stay in the buffer (its position marks
 *       them): feed them again, after the decision if there is one.
 *   <li>While {@link #awaiting()} is non-null the session is paused and consumes nothing;
 *       {@link #resume(Reply)} gives the answer ({@code null} for the default).
 *   <li>After {@link SessionOutput#startTls()}, the transport does the handshake and reports
 *       {@link #tlsStarted(boolean)}.
 *   <li>{@link #timeout()}, {@link #terminate(Reply)} and {@link #connectionLost()} end it from
 *       the transport's side.
 * </ol>
 *
 * <p>A session is not thread-safe. It may be used from different threads one after another (a
 * decision is usually answered on another thread), provided the caller hands it over safely, for
 * example through an executor or a queue.
 *
 * <p>Rules from the RFCs can be found by section number: which command goes where in the verb
 * table ({@code Verb}, with its sequencing and line limits); each ESMTP extension's keyword,
 * parameters and line allowance in {@link io.smtpkit.protocol.internal.Extension}; the envelope
 * and the recipient limit in {@link io.smtpkit.protocol.internal.Transaction}; message content,
 * its size limit, dot-unstuffing and BDAT chunks in
 * {@link io.smtpkit.protocol.internal.MessageContent}; AUTH in
 * {@link io.smtpkit.protocol.internal.SaslExchange}.
 */
public final class SmtpSession implements SessionInfo {

    /**
     * What the answer to a decision does, chosen when it is asked (see {@link #ask}). Each is a
     * lambda that captures nothing (the session and the decision come as arguments), so asking
     * allocates no continuation.
     */
    interface Answer<D extends Decision> {
        void answer(SmtpSession session, D decision, Reply reply);
    }

    private static final Decision.Connect CONNECT = new Decision.Connect();

    private final SessionConfig config;
    private final SessionOutput out;
    private final LineReader lines;
    private final CommandText commandText;
    // The commands that keep state of their own; the verb table's rows call into them.
    final HelloCommand hello;
    final TransactionCommands tx; // MAIL, RCPT, DATA, BDAT and what they build
    final AuthCommand auth;

    private SessionState state = SessionState.CONNECTED;
    private Decision awaiting;
    private Answer<Decision> onAnswer;
    private boolean started;
    private boolean refused;
    private int errors;

    private boolean secure;

    /**
     * A session that writes to {@code out}. Nothing happens until {@link #start()}.
     */
    public SmtpSession(SessionConfig config, SessionOutput out) {
        this.config = Objects.requireNonNull(config, "config");
        this.out = Objects.requireNonNull(out, "out");
        this.lines = new LineReader(config.maxLineBuffer());
        this.commandText = new CommandText(config.smtpUtf8());
        this.hello = new HelloCommand(this);
        this.tx = new TransactionCommands(this, config, out);
        this.auth = new AuthCommand(this);
    }

    // ------------------------------------------------------------------------------------------
    // Driving the session

    /**
     * Begins a session on a connection that is already protected by TLS (implicit TLS,
     * RFC 8314 §3.3): the session is {@linkplain #isSecure() secure} from the first byte, so
     * STARTTLS is not offered and AUTH is. Otherwise as {@link #start()}. Call once, instead of it.
     */
    public void startSecure() {
        if (started) {
            throw new IllegalStateException("session already started");
        }
        secure = true;
        start();
    }

    /** Begins the session by asking {@link Decision.Connect}. Call once. */
    public void start() {
        if (started) {
            throw new IllegalStateException("session already started");
        }
        started = true;
        ask(CONNECT, (s, connect, reply) -> s.connected(reply));
    }

    /**
     * Consumes client bytes from {@code in}'s position. Returns when the input is used up, when
     * the session waits for a decision, after STARTTLS was accepted (the rest of the input is
     * discarded), once the session is closed, or right after the message content it was reading
     * has ended: the last octet of a BDAT chunk (RFC 3030 §2), kept or skipped, or the
     * end-of-data line of DATA (RFC 5321 §4.1.1.4). In all but the first case unconsumed bytes may
     * remain; call again to go on.
     *
     * <p>The last rule is for a transport that feeds command input in small slices, so that a
     * client pipelining thousands of commands cannot make it queue thousands of replies, and
     * content in whole buffers (see {@link #isReceivingContent()}): when a call returns with bytes
     * left while the session is open, not paused and not in STARTTLS, content has just ended and
     * those bytes are commands, which it can slice before calling again.
     */
    public void receive(ByteBuffer in) {
        while (in.hasRemaining() && canRead()) {
            if (tx.readsContent()) {
                if (tx.readContent(in)) {
                    return; // the chunk or the message is done: commands may follow
                }
            } else {
                switch (lines.read(in)) {
                    case LINE -> line(in);
                    // RFC 4954 §6: 500 5.5.6 for a SASL response longer than the session takes.
                    case TOO_LONG -> lineError(state == SessionState.AUTH ? SASL_LINE_TOO_LONG : LINE_TOO_LONG);
                    case MORE -> { }
                }
            }
        }
    }

    /**
     * True exactly when the next bytes given to {@link #receive} would be taken as message
     * content: after DATA's 354 until its end-of-data line (RFC 5321 §4.1.1.4), or inside a BDAT
     * chunk whose octets are still to come (RFC 3030 §2), a refused chunk that is being read
     * through and thrown away included. False when they would be parsed as command lines (or SASL
     * responses), while a decision is pending, during STARTTLS and once closed. A transport can
     * use it to feed content in whole buffers and commands in slices (see {@link #receive}).
     */
    public boolean isReceivingContent() {
        return canRead() && tx.expectsContent();
    }

    /** The decision the session waits for, or {@code null} when it is not paused. */
    public Decision awaiting() {
        return awaiting;
    }

    /** True once the session takes no more input. */
    public boolean isClosed() {
        return state == SessionState.CLOSED;
    }

    /**
     * Answers the pending decision. {@code null} means the default answer of that decision
     * (see {@link Decision}). Then feed the rest of the input to {@link #receive} again.
     * A closed session ignores the answer: a handler may still be running when the connection
     * is lost or timed out.
     *
     * @throws IllegalStateException if the session is open and no decision is pending
     */
    public void resume(Reply reply) {
        if (state == SessionState.CLOSED) {
            awaiting = null;
            onAnswer = null;
            return;
        }
        Decision decision = awaiting;
        if (decision == null) {
            throw new IllegalStateException("no decision is pending");
        }
        Answer<Decision> then = onAnswer;
        awaiting = null;
        onAnswer = null;
        then.answer(this, decision, reply);
        if (reply != null && reply.code() == 421 && state != SessionState.CLOSED) {
            // RFC 5321 §3.8: a 421 announces that the server closes the channel, whatever it answers.
            close();
        }
    }

    /**
     * Answers the pending {@link Decision.Message} recipient by recipient: {@code replies} holds
     * one reply per entry of its {@code envelope().recipients()}, in that order (a recipient given
     * twice has two entries); a {@code null} entry is the default, {@code 250 2.0.0 OK}. Then
     * feed the rest of the input to {@link #receive} again, as after {@link #resume(Reply)}.
     *
     * <p>Under {@link SessionConfig#lmtp() LMTP} each reply is sent, in order (RFC 2033 §4.2).
     * Under SMTP one reply answers the whole message (RFC 5321 §4.1.1.4), so the session sends
     * one of them: the first if every recipient was accepted; otherwise the first temporary
     * refusal, or failing one, the first permanent one. A message that some recipients took and
     * others refused is thus never reported delivered: the client keeps the responsibility and
     * retries (or bounces) it, and the recipients that took it may see it twice rather than
     * anyone losing it. A handler that would rather accept and report the refusals itself (with a
     * delivery status notification) answers with {@link #resume(Reply)} instead.
     *
     * <p>A reply with code 421 among them closes the session once they are all sent
     * (RFC 5321 §3.8). A closed session ignores the answer, as {@link #resume(Reply)} does.
     *
     * @throws IllegalStateException if the session is open and does not wait for a {@link Decision.Message}
     * @throws IllegalArgumentException if there are more or fewer replies than recipients
     */
    public void resumePerRecipient(List<Reply> replies) {
        Objects.requireNonNull(replies, "replies");
        if (state == SessionState.CLOSED) {
            awaiting = null;
            onAnswer = null;
            return;
        }
        if (!(awaiting instanceof Decision.Message message)) {
            throw new IllegalStateException(awaiting == null ? "no decision is pending"
                    : "per-recipient replies answer a message, not " + awaiting);
        }
        int recipients = message.envelope().recipients().size();
        if (replies.size() != recipients) {
            throw new IllegalArgumentException(replies.size() + " replies for " + recipients + " recipients");
        }
        awaiting = null;
        onAnswer = null;
        tx.messageDecided(replies);
        if (state != SessionState.CLOSED && anyClosing(replies)) {
            close(); // RFC 5321 §3.8
        }
    }

    /** A loop, not a stream: this runs for every message. */
    private static boolean anyClosing(List<Reply> replies) {
        for (int i = 0; i < replies.size(); i++) {
            Reply r = replies.get(i);
            if (r != null && r.code() == 421) {
                return true;
            }
        }
        return false;
    }

    /**
     * The transport finished the TLS handshake that {@link SessionOutput#startTls()} asked for.
     * On success the session forgets everything the client said before (RFC 3207 §4.2) and
     * waits for a new EHLO; on failure it closes.
     */
    public void tlsStarted(boolean success) {
        if (state != SessionState.TLS) {
            throw new IllegalStateException("STARTTLS was not accepted");
        }
        if (!success) {
            close();
            return;
        }
        secure = true;
        hello.forget();
        auth.forget();
        errors = 0;
        resetTransaction();
        lines.reset();
        state = SessionState.CONNECTED;
    }

    /** The client was idle too long: answers {@link Reply#TIMEOUT} and closes. */
    public void timeout() {
        terminate(Reply.TIMEOUT);
    }

    /** Sends {@code reply} (normally a 421) and closes, whatever the session was doing. */
    public void terminate(Reply reply) {
        if (state == SessionState.CLOSED) {
            return;
        }
        send(reply);
        close();
    }

    /** The connection is gone: drops any partial message. No output but {@link SessionOutput#discardContent()}. */
    public void connectionLost() {
        if (state != SessionState.CLOSED) {
            tx.discardContent();
            state = SessionState.CLOSED;
            awaiting = null;
            onAnswer = null;
        }
    }

    // ------------------------------------------------------------------------------------------
    // SessionInfo

    @Override
    public SessionState state() {
        return state;
    }

    @Override
    public String heloName() {
        return hello.name();
    }

    @Override
    public boolean isExtended() {
        return hello.extended();
    }

    @Override
    public boolean isSecure() {
        return secure;
    }

    @Override
    public String authenticatedUser() {
        return auth.user();
    }

    @Override
    public MailPath reversePath() {
        return tx.transaction().reversePath();
    }

    @Override
    public List<MailPath> recipients() {
        return tx.transaction().recipients();
    }

    @Override
    public SessionConfig config() {
        return config;
    }

    /** The envelope of the open transaction, or {@code null} when none is open. */
    public Envelope envelope() {
        return tx.transaction().envelope();
    }

    // ------------------------------------------------------------------------------------------
    // Command lines

    private boolean canRead() {
        return awaiting == null && state != SessionState.CLOSED && state != SessionState.TLS;
    }

    private void line(ByteBuffer in) {
        byte[] bytes = lines.bytes();
        int length = lines.length();
        boolean bareLf = lines.bareLf();
        lines.clear();
        if (bareLf && config.bareLineEndings() == BareLineEndings.REJECT) {
            lineError(BARE_LF);
            return;
        }
        String text = commandText.decode(bytes, length);
        if (text == null) {
            lineError(commandText.problem());
            return;
        }
        if (state == SessionState.AUTH) {
            auth.respond(text);
        } else {
            command(text, in);
        }
    }

    private void command(String text, ByteBuffer in) {
        int space = text.indexOf(' ');
        String verbText = Ascii.upper(space < 0 ? text : text.substring(0, space));
        String argument = space < 0 ? "" : text.substring(space + 1);
        if (verbText.isEmpty()) {
            refuse(BAD_SYNTAX);
            return;
        }
        if (refused && !verbText.equals("QUIT")) {
            refuse(REFUSED_SESSION);
            return;
        }
        for (CommandExtension extension : config.extensions()) {
            if (Ascii.equalsIgnoreCase(extension.verb(), verbText)) {
                Reply reply = extension.handle(argument, this);
                send(Objects.requireNonNull(reply, () -> "extension " + verbText + " returned no reply"));
                if (reply.code() == 421) {
                    close(); // RFC 5321 §3.8
                }
                return;
            }
        }
        Verb verb = Verb.of(verbText);
        if (verb == null || !verb.isKnown(config)) {
            refuse(notRecognized(verbText));
            return;
        }
        if (CommandText.octets(text) + 2 > verb.maxLine(config)) {
            refuse(LINE_TOO_LONG);
            return;
        }
        if (!verb.isOffered(config)) {
            refuse(notImplemented(verb.name()));
            if (verb == Verb.BDAT) {
                tx.skipChunk(argument);
            }
            return;
        }
        Reply outOfSequence = verb.outOfSequence(state, tx.transaction().triedRecipients(), config);
        if (outOfSequence != null) {
            if (verb == Verb.BDAT) {
                tx.refuseChunk(argument, outOfSequence);
            } else {
                refuse(outOfSequence);
            }
            return;
        }
        verb.handler.handle(this, argument, in);
    }

    /** Answers a known verb whose arguments are wrong, quoting its row of {@link Verb}. */
    void refuseSyntax(Verb verb) {
        refuse(syntax(verb.syntax));
    }

    /** The verb succeeded: the session moves to the state its row names. */
    void enter(Verb verb) {
        state = verb.next;
    }

    /** The AUTH exchange ended, answered or not (see {@link AuthCommand}). */
    void authEnded() {
        state = SessionState.GREETED;
    }

    // ------------------------------------------------------------------------------------------
    // RSET, QUIT, HELP, VRFY (RFC 5321 §4.1.1.5-4.1.1.10)

    void rset(String argument) {
        if (!argument.isEmpty()) {
            refuseSyntax(Verb.RSET);
            return;
        }
        resetTransaction();
        send(Reply.OK);
    }

    void quit() {
        send(BYE);
        close();
    }

    void help(String argument) {
        Reply reply = Verb.help(argument, config);
        if (reply.isPositive()) {
            send(reply);
        } else {
            refuse(reply);
        }
    }

    void vrfy(String argument) {
        if (argument.isBlank()) {
            refuseSyntax(Verb.VRFY);
        } else {
            send(CANNOT_VRFY);
        }
    }

    // ------------------------------------------------------------------------------------------
    // STARTTLS (RFC 3207)

    void startTls(String argument, ByteBuffer in) {
        if (secure) {
            refuse(TLS_ALREADY_ACTIVE);
            return;
        }
        if (!argument.isEmpty()) {
            refuseSyntax(Verb.STARTTLS);
            return;
        }
        send(READY_FOR_TLS);
        // RFC 3207 §4.2 and CVE-2011-0411: whatever was pipelined after STARTTLS arrived in
        // plaintext and must not be executed inside the TLS session.
        in.position(in.limit());
        lines.reset();
        enter(Verb.STARTTLS);
        out.startTls();
    }

    private void connected(Reply reply) {
        if (reply == null) {
            send(greeting(config.greeting()));
            return;
        }
        send(reply);
        if (reply.code() == 554) {
            refused = true; // RFC 5321 §3.1: wait for QUIT, answer 503 to everything else
        } else if (!reply.isPositive()) {
            close();
        }
    }

    // ------------------------------------------------------------------------------------------
    // Helpers

    /** Pauses on {@code decision}; {@code then} is what its answer does (see {@link #resume}). */
    @SuppressWarnings("unchecked") // then is only ever called with the decision it was given with
    <D extends Decision> void ask(D decision, Answer<D> then) {
        awaiting = decision;
        onAnswer = (Answer<Decision>) (Answer<?>) then; // the transport sees awaiting() after the call returns
    }

    void send(Reply reply) {
        out.send(EncodedReplies.of(reply, hello.enhancedCodes()));
    }

    /**
     * Answers a client error and counts it; once the errors exceed {@link SessionConfig#maxErrors()}
     * the answer is a 421 and the session closes, which stops a client that only probes or floods
     * (Postfix's {@code smtpd_hard_error_limit} counts the same way).
     */
    void refuse(Reply reply) {
        errors++;
        if (config.maxErrors() > 0 && errors > config.maxErrors()) {
            terminate(TOO_MANY_ERRORS);
        } else {
            send(reply);
        }
    }

    /** The handler accepted {@code verb}: the session moves on and sends its answer, or {@code byDefault}. */
    void accepted(Verb verb, Reply reply, Reply byDefault) {
        enter(verb);
        send(reply != null ? reply : byDefault);
    }

    /**
     * True, once it is answered, when the handler refused a greeting, sender or recipient: a
     * permanent refusal counts as a client error (see {@link SessionConfig#maxErrors()}), a
     * temporary one is only sent. False for {@code null} (the default) and positive answers.
     */
    boolean refusedBy(Reply reply) {
        if (reply == null || reply.isPositive()) {
            return false;
        }
        if (reply.code() >= 500) {
            refuse(reply);
        } else {
            send(reply);
        }
        return true;
    }

    /**
     * A client that delivers mail is no prober: its earlier errors are forgiven, as Postfix
     * forgives them (see {@link SessionConfig#maxErrors()}).
     */
    void forgiveErrors() {
        errors = 0;
    }

    /** Ends the mail transaction (RFC 5321 §4.1.1.5); content received so far is dropped. */
    void resetTransaction() {
        tx.reset();
        if (state == SessionState.MAIL || state == SessionState.RCPT || state == SessionState.BDAT
                || state == SessionState.DATA) {
            state = SessionState.GREETED;
        }
    }

    /** Answers a line that is no command at all; inside an AUTH exchange it also ends the exchange. */
    private void lineError(Reply reply) {
        if (state == SessionState.AUTH) {
            auth.end();
        }
        refuse(reply);
    }

    private void close() {
        tx.discardContent();
        awaiting = null;
        onAnswer = null;
        state = SessionState.CLOSED;
        out.close();
    }
}
