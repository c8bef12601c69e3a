package io.smtpkit.protocol.client;

import io.smtpkit.protocol.Reply;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * One SMTP or LMTP client connection as a state machine without I/O: the server side's
 * {@code SmtpSession} with the roles swapped. The transport feeds it what the server sent
 * ({@link #receive(ByteBuffer)}), writes what it produced ({@link #takeOutput()}, one gathering
 * write per batch, so a pipelined group leaves in one write as RFC 2920 §3.1 wants), and acts on
 * its {@linkplain #next() events}: {@link ClientEvent.Ready} (send a {@link Transaction} or
 * {@link #quit()}), {@link ClientEvent.StartTls} (handshake, then {@link #tlsStarted(boolean)}),
 * {@link ClientEvent.SendContent} (stream the message with {@link #content(ByteBuffer)} and
 * {@link #endContent()}), {@link ClientEvent.Delivered} (a transaction's outcome) and
 * {@link ClientEvent.Closed}. It keeps no clock: {@link #waiting()} names the RFC 5321 §4.5.3.2
 * timeout to arm, and {@link #timeout()} says it ran out.
 *
 * <p>The flow: the greeting (RFC 5321 §3.1); EHLO, or HELO when EHLO gets a 5xx, or LHLO in LMTP
 * mode (RFC 2033 §4.1); STARTTLS as configured, and EHLO again after the handshake (RFC 3207
 * §4.2); AUTH PLAIN or LOGIN when configured (RFC 4954 §4, RFC 4616); then per transaction MAIL
 * with SIZE, BODY, SMTPUTF8 and DSN parameters (RFC 1870, 6152, 3030, 6531, 3461), the RCPTs, and
 * DATA with dot-stuffing (RFC 5321 §4.5.2) or, for BINARYMIME, BDAT (RFC 3030); RSET after a
 * transaction that did not reach the end of its data; QUIT.
 *
 * <p>With PIPELINING (RFC 2920 §3.1) MAIL, every RCPT and DATA go in one write and the replies are
 * matched back in order; every one is checked, and when DATA gets its 354 although no recipient
 * was accepted the client sends the lone "." the RFC asks for, then RSET. Without it, each
 * command waits for its reply.
 *
 * <p>Nothing the server sends throws: garbage, a reply line over 512 octets (RFC 5321
 * §4.5.3.1.5), a reply nothing asked for, a 421, a timeout or a lost connection end the session
 * with a {@link ClientFailure}, after a {@link ClientEvent.Delivered} for a transaction under way
 * in which every recipient has a verdict. A message that needs an extension the server lacks is
 * refused before anything is sent ({@code 553 5.6.7} for SMTPUTF8, {@code 554 5.6.3} for 8-bit or
 * binary content, {@code 552 5.3.4} over SIZE). Exceptions are kept for the caller's mistakes
 * (calling a method in a state that does not allow it).
 *
 * <p>Not thread-safe: one transport thread drives a session at a time. Credentials never appear in
 * {@link #toString()} or in a failure's text.
 */
public final class ClientSession {

    /** The most server bytes kept unread while an event waits to be taken. */
    public static final int MAX_HELD = 65536;

    private final ClientConfig config;
    private final ClientOutput out = new ClientOutput();
    private final Inbound inbound;
    private final Opening opening;
    private final TransactionCommands transactions;
    private ClientState state = ClientState.GREETING;
    private ClientFailure failure;

    /** A session waiting for the server's greeting. */
    public ClientSession(ClientConfig config) {
        this.config = config;
        this.inbound = new Inbound(this, out, config.maxReplyLines());
        this.opening = new Opening(this, out, config);
        this.transactions = new TransactionCommands(this, out);
        out.expect(Outstanding.GREETING);
    }

    /**
     * Marks the connection as TLS from the start (implicit TLS, RFC 8314 §3): no STARTTLS, and
     * AUTH is allowed. Call before feeding the greeting.
     */
    public void startSecure() {
        if (state != ClientState.GREETING) {
            throw new IllegalStateException("startSecure() before the greeting, not in " + state);
        }
        opening.startSecure();
    }

    // ------------------------------------------------------------------------------------------
    // Input

    /**
     * Takes bytes the server sent, from {@code in}'s position to its limit, however they were
     * split; all of them are consumed. Like h11, the session reads replies only while no event is
     * waiting to be taken: bytes that arrive behind a reply that produced an event are kept (up
     * to {@value #MAX_HELD} octets, more is a protocol error) and read on the next
     * {@link #next()}, so an event is always current when the caller gets it. Bytes after a
     * STARTTLS 220 and before {@link #tlsStarted(boolean)}, and after the session closed, are
     * dropped.
     */
    public void receive(ByteBuffer in) {
        inbound.receive(in);
    }

    /**
     * The server closed the connection (or it broke). After QUIT that is the normal end. Takes
     * effect once the bytes received before it have been read.
     */
    public void connectionLost() {
        inbound.connectionLost();
    }

    /** The connection is gone and everything received before it has been read. */
    void lost() {
        if (state == ClientState.CLOSED) {
            return;
        }
        if (state == ClientState.QUIT) {
            close();
            return;
        }
        fail(ClientFailure.Kind.CONNECTION_LOST, "the server closed the connection in " + state, null);
    }

    /** True while server bytes mean nothing: closed, or cleartext after STARTTLS's 220. */
    boolean dropsInput() {
        return state == ClientState.CLOSED || state == ClientState.TLS_HANDSHAKE;
    }

    /** The timer the transport armed for {@link #waiting()} ran out. */
    public void timeout() {
        Wait wait = waiting();
        if (wait == null) {
            return;
        }
        if (state == ClientState.QUIT) {
            close(); // RFC 5321 §4.1.1.10: the transaction results are known; no 221 is needed
            return;
        }
        fail(ClientFailure.Kind.TIMEOUT, "no reply within the " + wait + " timeout (RFC 5321 §" + wait.rfcSection() + ")", null);
    }

    /**
     * The TLS handshake the session asked for ({@link ClientEvent.StartTls}) is done: on success
     * everything learnt in clear is forgotten and EHLO (or LHLO) is sent again (RFC 3207 §4.2); on
     * failure the session is closed, the connection being unusable.
     */
    public void tlsStarted(boolean success) {
        if (state != ClientState.TLS_HANDSHAKE) {
            throw new IllegalStateException("tlsStarted() after StartTls only, not in " + state);
        }
        if (!success) {
            fail(ClientFailure.Kind.TLS_FAILED, "the TLS handshake failed", null);
            return;
        }
        inbound.tlsStarted();
        opening.tlsStarted();
    }

    // ------------------------------------------------------------------------------------------
    // What the caller asks

    /**
     * Starts a transaction; allowed only after {@link ClientEvent.Ready}. A message that needs an
     * extension the server does not offer, or is larger than its SIZE, is refused at once: a
     * {@link ClientEvent.Delivered} with a local {@link ClientFailure}, nothing sent, and the
     * session is ready again. On a session that has failed meanwhile, the outcome is a
     * {@link ClientEvent.Delivered} with that failure.
     *
     * @throws IllegalStateException when the session is neither {@link ClientState#READY} nor failed
     */
    public void send(Transaction transaction) {
        if (state == ClientState.CLOSED && failure != null) {
            // Closed by input read after Ready was taken: the transaction still gets its outcome.
            transactions.sendFailed(transaction, failure);
            return;
        }
        if (state != ClientState.READY) {
            throw new IllegalStateException("send() when ready only, not in " + state);
        }
        if (transaction.recipients().isEmpty()) {
            throw new IllegalArgumentException("send() needs a recipient; mail() starts a transaction without one");
        }
        transactions.send(transaction);
    }

    /**
     * The next piece of content, after {@link ClientEvent.SendContent}. With DATA it is
     * dot-stuffed (RFC 5321 §4.5.2), with BDAT it becomes one chunk (RFC 3030 §2). The output
     * holds views of {@code chunk}, not copies: leave its bytes alone until that output is
     * written. Its position does not move. Content after a refused BDAT chunk, or once the session
     * has closed, is dropped.
     *
     * @throws IllegalStateException outside {@link ClientState#CONTENT}, or before a BDAT chunk's
     *     reply came when the server does not pipeline
     */
    public void content(ByteBuffer chunk) {
        if (takesContent("content()")) {
            transactions.content(chunk);
        }
    }

    /** Ends the content: CRLF "." CRLF after DATA (RFC 5321 §4.1.1.4), {@code BDAT 0 LAST} after chunks. */
    public void endContent() {
        if (takesContent("endContent()")) {
            transactions.endContent();
        }
    }

    /** False when content is dropped (after a refused BDAT chunk, or closed). */
    private boolean takesContent(String what) {
        if (transactions.dropsContent() || state == ClientState.CLOSED) {
            return false;
        }
        if (!acceptsContent()) {
            throw new IllegalStateException(what + " after SendContent only, not in " + state);
        }
        return true;
    }

    /** Sends QUIT (RFC 5321 §4.1.1.10); allowed when ready. Does nothing once closing or closed. */
    public void quit() {
        if (state == ClientState.QUIT || state == ClientState.CLOSED) {
            return;
        }
        if (state != ClientState.READY) {
            throw new IllegalStateException("quit() when ready only, not in " + state);
        }
        out.command("QUIT", Outstanding.QUIT);
        state = ClientState.QUIT;
    }

    // ------------------------------------------------------------------------------------------
    // Stepwise: one command at a time, for a relay that answers its own client live

    /**
     * Starts a stepwise transaction: sends MAIL now (RFC 5321 §4.1.1.2) and nothing else, for a
     * relay that must give its own client the next hop's verdict on each command as it comes
     * (the recipients of {@code envelope} are ignored; build it without any). The session answers
     * with {@link ClientEvent.Replied} holding the reply to MAIL; when that is a refusal the
     * session is {@linkplain ClientEvent.Ready ready} again (nothing to reset). A message that
     * needs an extension the server lacks, or whose declared size exceeds the server's SIZE, is
     * refused the same way without sending anything: a {@code Replied} with the local refusal
     * ({@code 553 5.6.7}, {@code 554 5.6.3}, {@code 552 5.3.4}), then {@code Ready}.
     *
     * <p>Then {@link #rcpt(Transaction.Recipient)} for each recipient (each gets its
     * {@code Replied}), and {@link #data()} to send the content, or {@link #reset()} to give up.
     * Stepwise commands are never pipelined: each waits for its reply.
     *
     * @throws IllegalStateException when the session is not {@link ClientState#READY}
     */
    public void mail(Transaction envelope) {
        if (state == ClientState.CLOSED && failure != null) {
            out.emit(new ClientEvent.Replied(failure.reply()));
            return;
        }
        if (state != ClientState.READY) {
            throw new IllegalStateException("mail() when ready only, not in " + state);
        }
        transactions.mail(envelope);
    }

    /**
     * Sends one RCPT in a stepwise transaction whose MAIL was accepted (RFC 5321 §4.1.1.3); its
     * reply comes as {@link ClientEvent.Replied}.
     *
     * @throws IllegalStateException outside a stepwise transaction, or while a reply is outstanding
     */
    public void rcpt(Transaction.Recipient recipient) {
        requireStepwise("rcpt()");
        transactions.rcpt(recipient);
    }

    /**
     * Asks for the content in a stepwise transaction with at least one accepted recipient: DATA
     * (or, for BINARYMIME, straight to BDAT chunks). Then as for {@link #send(Transaction)}:
     * {@link ClientEvent.SendContent}, or a {@link ClientEvent.Delivered} when DATA is refused,
     * and the {@link ClientEvent.Delivered} after the end of the data.
     *
     * @throws IllegalStateException outside a stepwise transaction, while a reply is outstanding,
     *     or when no recipient was accepted
     */
    public void data() {
        requireStepwise("data()");
        transactions.data();
    }

    /**
     * Abandons a stepwise transaction before its data (RSET, RFC 5321 §4.1.1.5); the session is
     * {@linkplain ClientEvent.Ready ready} again once the server agreed.
     *
     * @throws IllegalStateException outside a stepwise transaction, or while a reply is outstanding
     */
    public void reset() {
        requireStepwise("reset()");
        transactions.reset();
    }

    /** True while a stepwise transaction waits for its caller's next command. */
    public boolean inStepwiseTransaction() {
        return state == ClientState.ENVELOPE && transactions.stepwise() && !out.awaitsReply();
    }

    private void requireStepwise(String what) {
        if (!inStepwiseTransaction()) {
            throw new IllegalStateException(what + " in a stepwise transaction waiting for its caller only, not in " + state);
        }
    }

    // ------------------------------------------------------------------------------------------
    // What the transport reads

    /**
     * The next event, {@link ClientEvent.NeedData} when the session waits for the server, or
     * {@link ClientEvent.Paused} when it waits for its caller (or is closed). A transport keeps
     * reading while paused too, so that a 421 or a close is noticed.
     */
    public ClientEvent next() {
        if (!out.hasEvents()) {
            inbound.pump();
        }
        ClientEvent event = out.nextEvent();
        if (event != null) {
            return event;
        }
        boolean waitsForServer = state != ClientState.CLOSED && state != ClientState.TLS_HANDSHAKE
                && out.awaitsReply() && !acceptsContent();
        return waitsForServer ? ClientEvent.NeedData.INSTANCE : ClientEvent.Paused.INSTANCE;
    }

    /** True if {@link #takeOutput()} has bytes to give without reading held input first. */
    public boolean hasOutput() {
        return out.hasOutput();
    }

    /**
     * The bytes to write, in order, for one gathering write; the session forgets them. Content
     * buffers are views of the caller's chunks. Output that arose after a pending event comes
     * only once that event has been taken with {@link #next()}: a transport loops
     * {@code write(takeOutput()); event = next();} until {@code next()} says NeedData or Paused,
     * and writes what {@code takeOutput()} gives after Closed and StartTls before acting on them.
     */
    public List<ByteBuffer> takeOutput() {
        if (!out.hasEvents()) {
            inbound.pump(); // held replies may produce output before their event: hand both out in order
        }
        return out.take();
    }

    /**
     * The timeout that applies now: the reply the session waits for (the oldest outstanding
     * command's), {@link Wait#DATA_BLOCK} while it takes content, {@link Wait#COMMAND} during the
     * TLS handshake, or {@code null} when nothing is timed (ready, closed).
     */
    public Wait waiting() {
        if (state == ClientState.CLOSED) {
            return null;
        }
        if (state == ClientState.TLS_HANDSHAKE) {
            return Wait.COMMAND; // the handshake is the transport's, but it must not hang either
        }
        if (acceptsContent()) {
            return Wait.DATA_BLOCK;
        }
        Outstanding e = out.expecting();
        return e == null ? null : e.wait;
    }

    /** True while {@link #content(ByteBuffer)} and {@link #endContent()} may be called. */
    public boolean acceptsContent() {
        return state == ClientState.CONTENT && !transactions.chunkOutstanding();
    }

    /** Where the session stands. */
    public ClientState state() {
        return state;
    }

    /** What the server offers; {@link Capabilities#NONE} before EHLO's reply and after HELO. */
    public Capabilities capabilities() {
        return opening.capabilities();
    }

    /** True once TLS is on (STARTTLS done, or {@link #startSecure()}). */
    public boolean isSecure() {
        return opening.secure();
    }

    /** True once AUTH succeeded. */
    public boolean isAuthenticated() {
        return opening.authenticated();
    }

    /** Why the session failed, or {@code null}. */
    public ClientFailure failure() {
        return failure;
    }

    /** The settings. */
    public ClientConfig config() {
        return config;
    }

    /** The state, without credentials. */
    @Override
    public String toString() {
        return "ClientSession[" + state + (isSecure() ? ", TLS" : "") + (isAuthenticated() ? ", authenticated" : "")
                + (failure != null ? ", " + failure.kind() : "") + "]";
    }

    // ------------------------------------------------------------------------------------------
    // The replies: one case per command the reply answers, handled by the part that sent it

    void onReply(Reply r) {
        Outstanding e = out.expecting();
        // RFC 5321 §3.8: a 421 may come in place of any reply; the server then closes.
        if (r.code() == 421 && e != Outstanding.QUIT) {
            fail(ClientFailure.Kind.SERVICE_CLOSING, "the server is closing: " + r, r);
            return;
        }
        if (e == null) {
            transactions.unasked(r);
            fail(ClientFailure.Kind.PROTOCOL_ERROR, "a reply nothing asked for: " + r, r);
            return;
        }
        out.answered();
        int kind = r.code() / 100; // 2 done, 3 go on, 4 and 5 refused
        switch (e) {
            case GREETING -> opening.onGreeting(r, kind);
            case EHLO, HELO -> opening.onHello(r, kind, e);
            case STARTTLS -> opening.onStartTls(r, kind);
            case AUTH -> opening.onAuth(r, kind);
            case MAIL -> transactions.onMail(r, kind);
            case RCPT -> transactions.onRcpt(r, kind);
            case DATA -> transactions.onData(r, kind);
            case EMPTY_MESSAGE -> transactions.onEmptyMessage(r, kind);
            case BDAT -> transactions.onBdat(r, kind);
            case END_OF_DATA -> transactions.onEndOfData(r, kind);
            case RSET -> transactions.onRset(r, kind);
            case QUIT -> close();
        }
    }

    // ------------------------------------------------------------------------------------------
    // What the parts call

    /** True for a reply that is a verdict (2xx, 4xx, 5xx), not a 3xx go-ahead. */
    static boolean verdict(int kind) {
        return kind == 2 || kind == 4 || kind == 5;
    }

    /** The parts move the session; only it reports where it stands. */
    void enter(ClientState next) {
        state = next;
    }

    void ready() {
        state = ClientState.READY;
        out.emit(new ClientEvent.Ready(capabilities()));
    }

    void unexpected(Outstanding e, Reply r) {
        fail(ClientFailure.Kind.PROTOCOL_ERROR, "a reply that does not fit " + e + ": " + r, r);
    }

    /** Ends the session at once: the connection cannot be used any more. */
    void fail(ClientFailure.Kind kind, String detail, Reply serverReply) {
        failure = new ClientFailure(kind, hint(kind, serverReply), serverReply, detail);
        transactions.failed(failure);
        // Output already produced stays: the transport writes it before closing, whatever the
        // cut of the input that led here, so the bytes on the wire do not depend on it.
        out.forgetReplies();
        state = ClientState.CLOSED;
        out.emit(new ClientEvent.Closed(failure));
    }

    private static Reply hint(ClientFailure.Kind kind, Reply serverReply) {
        return switch (kind) {
            case TIMEOUT -> Reply.of(451, "4.4.1", "The next hop did not answer in time");
            case CONNECTION_LOST -> Reply.of(451, "4.4.2", "The connection to the next hop was lost");
            case TLS_FAILED -> Reply.of(451, "4.7.5", "TLS with the next hop failed");
            case SERVICE_CLOSING -> Reply.of(451, "4.3.0", "The next hop is closing: " + serverReply.text());
            default -> Reply.of(451, "4.5.0", "The next hop broke the protocol");
        };
    }

    /** Ends the session with QUIT: the server is sane but the session cannot go on as configured. */
    void politeFail(ClientFailure.Kind kind, Reply reply, String detail, Reply serverReply) {
        failure = new ClientFailure(kind, reply, serverReply, detail);
        out.forgetReplies();
        out.command("QUIT", Outstanding.QUIT);
        state = ClientState.QUIT;
    }

    private void close() {
        out.forgetReplies();
        state = ClientState.CLOSED;
        out.emit(new ClientEvent.Closed(failure));
    }
}
