package io.smtpkit.protocol.client;

import io.smtpkit.protocol.BodyType;
import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.internal.DotStuffer;
import io.smtpkit.protocol.internal.ReplyReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
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

    // What each outstanding command waits for, oldest first; the replies come back in this order.
    private enum Expect {
        GREETING(Wait.GREETING), EHLO(Wait.COMMAND), HELO(Wait.COMMAND), STARTTLS(Wait.COMMAND), AUTH(Wait.COMMAND),
        MAIL(Wait.MAIL), RCPT(Wait.RCPT), DATA(Wait.DATA_INITIATION), EMPTY_MESSAGE(Wait.DATA_TERMINATION),
        BDAT(Wait.DATA_BLOCK), END_OF_DATA(Wait.DATA_TERMINATION), RSET(Wait.COMMAND), QUIT(Wait.COMMAND);

        final Wait wait;

        Expect(Wait wait) {
            this.wait = wait;
        }
    }

    private static final Reply LOCAL_SMTPUTF8 = Reply.of(553, "5.6.7", "The next hop does not support SMTPUTF8 (RFC 6531)");
    private static final Reply LOCAL_8BIT = Reply.of(554, "5.6.3", "The next hop does not support 8BITMIME (RFC 6152)");
    private static final Reply LOCAL_BINARY = Reply.of(554, "5.6.3", "The next hop does not support BINARYMIME with CHUNKING (RFC 3030)");
    private static final Reply LOCAL_TOO_BIG = Reply.of(552, "5.3.4", "Message size exceeds the next hop's fixed maximum message size");

    /** The most server bytes kept unread while an event waits to be taken. */
    public static final int MAX_HELD = 65536;

    private final ClientConfig config;
    private final ReplyReader reader;
    private final ArrayDeque<Expect> expected = new ArrayDeque<>();
    // Each event remembers how much output came before it, so that takeOutput() and next()
    // together hand out bytes and events in the order they arose, however the input was cut.
    private final ArrayDeque<Pending> events = new ArrayDeque<>();
    private final List<ByteBuffer> output = new ArrayList<>();
    private final DotStuffer stuffer = new DotStuffer();
    private ClientState state = ClientState.GREETING;
    private Capabilities capabilities = Capabilities.NONE;
    private boolean secure;
    private boolean tlsRefused;
    private boolean authenticated;
    private boolean authPlain;
    private int authStep;
    private ClientFailure failure;
    private Tx tx;
    // Set when a transaction ended while its caller may still be streaming content (a refused
    // BDAT chunk under PIPELINING): the rest of that content is dropped, not an error.
    private boolean dropContent;
    private ByteBuffer held = ByteBuffer.allocate(0);
    private boolean lost;

    /** A session waiting for the server's greeting. */
    public ClientSession(ClientConfig config) {
        this.config = config;
        this.reader = new ReplyReader(config.maxReplyLines());
        expected.add(Expect.GREETING);
    }

    /**
     * Marks the connection as TLS from the start (implicit TLS, RFC 8314 §3): no STARTTLS, and
     * AUTH is allowed. Call before feeding the greeting.
     */
    public void startSecure() {
        if (state != ClientState.GREETING) {
            throw new IllegalStateException("startSecure() before the greeting, not in " + state);
        }
        secure = true;
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
        if (held.position() == 0 && events.isEmpty()) {
            read(in);
        }
        if (!in.hasRemaining() || dropsInput()) {
            in.position(in.limit());
            return;
        }
        if (held.position() + in.remaining() > MAX_HELD) {
            in.position(in.limit());
            fail(ClientFailure.Kind.PROTOCOL_ERROR, "more than " + MAX_HELD + " octets sent ahead of the replies asked for", null);
            return;
        }
        if (held.remaining() < in.remaining()) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.min(MAX_HELD, Math.max(held.capacity() * 2, held.position() + in.remaining())));
            held.flip();
            bigger.put(held);
            held = bigger;
        }
        held.put(in);
    }

    /**
     * The server closed the connection (or it broke). After QUIT that is the normal end. Takes
     * effect once the bytes received before it have been read.
     */
    public void connectionLost() {
        lost = true;
        if (held.position() == 0 && events.isEmpty()) {
            lost();
        }
    }

    private void lost() {
        if (state == ClientState.CLOSED) {
            return;
        }
        if (state == ClientState.QUIT) {
            close();
            return;
        }
        fail(ClientFailure.Kind.CONNECTION_LOST, "the server closed the connection in " + state, null);
    }

    private boolean dropsInput() {
        return state == ClientState.CLOSED || state == ClientState.TLS_HANDSHAKE;
    }

    /** Reads replies from {@code in} until it is used up or an event waits to be taken. */
    private void read(ByteBuffer in) {
        while (in.hasRemaining() && events.isEmpty() && !dropsInput()) {
            Reply reply = reader.read(in);
            if (reply != null) {
                onReply(reply);
            } else if (reader.problem() != null) {
                fail(ClientFailure.Kind.PROTOCOL_ERROR, reader.problem(), null);
            }
        }
        if (dropsInput()) {
            in.position(in.limit()); // RFC 3207 §4.2: nothing read in clear after the 220 counts
        }
    }

    /** Reads what was held back while events waited, then a deferred connection loss. */
    private void pump() {
        if (held.position() > 0) {
            held.flip();
            read(held);
            held.compact();
            if (dropsInput()) {
                held.clear();
            }
        }
        if (lost && held.position() == 0 && events.isEmpty()) {
            lost();
        }
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
        secure = true;
        reader.reset();
        held.clear();
        capabilities = Capabilities.NONE;
        state = ClientState.HELLO;
        hello(false);
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
            emit(new ClientEvent.Delivered(new Tx(transaction, false, false).result(failure)));
            return;
        }
        if (state != ClientState.READY) {
            throw new IllegalStateException("send() when ready only, not in " + state);
        }
        if (transaction.recipients().isEmpty()) {
            throw new IllegalArgumentException("send() needs a recipient; mail() starts a transaction without one");
        }
        dropContent = false;
        ClientFailure refusal = refusal(transaction);
        if (refusal != null) {
            Tx refused = new Tx(transaction, false, false);
            emit(new ClientEvent.Delivered(refused.result(refusal)));
            ready();
            return;
        }
        boolean bdat = transaction.bodyType() == BodyType.BINARY_MIME;
        tx = new Tx(transaction, bdat, config.pipelining() && capabilities.pipelining());
        state = ClientState.ENVELOPE;
        command(mailLine(transaction), Expect.MAIL);
        if (tx.pipelined) {
            while (tx.rcptSent < transaction.recipients().size()) {
                command(rcptLine(tx.recipients.get(tx.rcptSent++)), Expect.RCPT);
            }
            if (!bdat) {
                command("DATA", Expect.DATA);
            }
        }
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
        if (dropContent || state == ClientState.CLOSED) {
            return;
        }
        if (!acceptsContent()) {
            throw new IllegalStateException("content() after SendContent only, not in " + state);
        }
        if (!tx.bdat) {
            stuffer.encode(chunk, output);
        } else if (chunk.hasRemaining()) {
            write("BDAT " + chunk.remaining());
            output.add(chunk.slice());
            expected.add(Expect.BDAT);
            tx.chunkOutstanding = !tx.pipelined;
        }
    }

    /** Ends the content: CRLF "." CRLF after DATA (RFC 5321 §4.1.1.4), {@code BDAT 0 LAST} after chunks. */
    public void endContent() {
        if (dropContent || state == ClientState.CLOSED) {
            return;
        }
        if (!acceptsContent()) {
            throw new IllegalStateException("endContent() after SendContent only, not in " + state);
        }
        if (tx.bdat) {
            write("BDAT 0 LAST");
        } else {
            stuffer.finish(output);
        }
        // RFC 2033 §4.2: LMTP answers the end of the data once per accepted recipient, in order.
        int replies = config.lmtp() ? tx.accepted.size() : 1;
        for (int i = 0; i < replies; i++) {
            expected.add(Expect.END_OF_DATA);
        }
        state = ClientState.END_OF_DATA;
    }

    /** Sends QUIT (RFC 5321 §4.1.1.10); allowed when ready. Does nothing once closing or closed. */
    public void quit() {
        if (state == ClientState.QUIT || state == ClientState.CLOSED) {
            return;
        }
        if (state != ClientState.READY) {
            throw new IllegalStateException("quit() when ready only, not in " + state);
        }
        command("QUIT", Expect.QUIT);
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
            emit(new ClientEvent.Replied(failure.reply()));
            return;
        }
        if (state != ClientState.READY) {
            throw new IllegalStateException("mail() when ready only, not in " + state);
        }
        dropContent = false;
        Transaction bare = new Transaction(envelope.reversePath(), List.of(), envelope.bodyType(), envelope.smtpUtf8(),
                envelope.size(), envelope.dsnReturn(), envelope.dsnEnvelopeId());
        ClientFailure refusal = refusal(bare);
        if (refusal != null) {
            emit(new ClientEvent.Replied(refusal.reply()));
            ready();
            return;
        }
        tx = new Tx(bare, bare.bodyType() == BodyType.BINARY_MIME, false, true);
        state = ClientState.ENVELOPE;
        command(mailLine(bare), Expect.MAIL);
    }

    /**
     * Sends one RCPT in a stepwise transaction whose MAIL was accepted (RFC 5321 §4.1.1.3); its
     * reply comes as {@link ClientEvent.Replied}.
     *
     * @throws IllegalStateException outside a stepwise transaction, or while a reply is outstanding
     */
    public void rcpt(Transaction.Recipient recipient) {
        requireStepwise("rcpt()");
        tx.addRecipient(recipient);
        command(rcptLine(recipient), Expect.RCPT);
        tx.rcptSent++;
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
        if (tx.accepted.isEmpty()) {
            throw new IllegalStateException("data() needs an accepted recipient");
        }
        if (tx.bdat) {
            state = ClientState.CONTENT;
            emit(new ClientEvent.SendContent());
        } else {
            command("DATA", Expect.DATA);
        }
    }

    /**
     * Abandons a stepwise transaction before its data (RSET, RFC 5321 §4.1.1.5); the session is
     * {@linkplain ClientEvent.Ready ready} again once the server agreed.
     *
     * @throws IllegalStateException outside a stepwise transaction, or while a reply is outstanding
     */
    public void reset() {
        requireStepwise("reset()");
        tx.finished = true;
        state = ClientState.RESET;
        command("RSET", Expect.RSET);
    }

    /** True while a stepwise transaction waits for its caller's next command. */
    public boolean inStepwiseTransaction() {
        return state == ClientState.ENVELOPE && tx != null && tx.stepwise && expected.isEmpty();
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
        if (events.isEmpty()) {
            pump();
        }
        Pending pending = events.poll();
        if (pending != null) {
            return pending.event;
        }
        boolean waitsForServer = state != ClientState.CLOSED && state != ClientState.TLS_HANDSHAKE
                && !expected.isEmpty() && !acceptsContent();
        return waitsForServer ? ClientEvent.NeedData.INSTANCE : ClientEvent.Paused.INSTANCE;
    }

    /** True if {@link #takeOutput()} has bytes to give without reading held input first. */
    public boolean hasOutput() {
        return (events.isEmpty() ? output.size() : events.peek().mark) > 0;
    }

    /**
     * The bytes to write, in order, for one gathering write; the session forgets them. Content
     * buffers are views of the caller's chunks. Output that arose after a pending event comes
     * only once that event has been taken with {@link #next()}: a transport loops
     * {@code write(takeOutput()); event = next();} until {@code next()} says NeedData or Paused,
     * and writes what {@code takeOutput()} gives after Closed and StartTls before acting on them.
     */
    public List<ByteBuffer> takeOutput() {
        if (events.isEmpty()) {
            pump(); // held replies may produce output before their event: hand both out in order
        }
        int upTo = events.isEmpty() ? output.size() : events.peek().mark;
        List<ByteBuffer> taken = output.subList(0, upTo);
        List<ByteBuffer> out = List.copyOf(taken);
        taken.clear();
        for (Pending p : events) {
            p.mark -= upTo;
        }
        return out;
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
        Expect e = expected.peek();
        return e == null ? null : e.wait;
    }

    /** True while {@link #content(ByteBuffer)} and {@link #endContent()} may be called. */
    public boolean acceptsContent() {
        return state == ClientState.CONTENT && !tx.chunkOutstanding;
    }

    /** Where the session stands. */
    public ClientState state() {
        return state;
    }

    /** What the server offers; {@link Capabilities#NONE} before EHLO's reply and after HELO. */
    public Capabilities capabilities() {
        return capabilities;
    }

    /** True once TLS is on (STARTTLS done, or {@link #startSecure()}). */
    public boolean isSecure() {
        return secure;
    }

    /** True once AUTH succeeded. */
    public boolean isAuthenticated() {
        return authenticated;
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
        return "ClientSession[" + state + (secure ? ", TLS" : "") + (authenticated ? ", authenticated" : "")
                + (failure != null ? ", " + failure.kind() : "") + "]";
    }

    // ------------------------------------------------------------------------------------------
    // The replies: one case per command the reply answers

    private void onReply(Reply r) {
        Expect e = expected.peek();
        // RFC 5321 §3.8: a 421 may come in place of any reply; the server then closes.
        if (r.code() == 421 && e != Expect.QUIT) {
            fail(ClientFailure.Kind.SERVICE_CLOSING, "the server is closing: " + r, r);
            return;
        }
        if (e == null) {
            if (state == ClientState.CONTENT && !tx.bdat && (r.isTransient() || r.isPermanent())) {
                // A server that refuses the message before its end (a 552 for size, say) has
                // given its verdict; keep it for the recipients, though the session is over.
                tx.stopper = r;
                tx.finished = true;
                emit(new ClientEvent.Delivered(tx.result(null)));
            }
            fail(ClientFailure.Kind.PROTOCOL_ERROR, "a reply nothing asked for: " + r, r);
            return;
        }
        expected.poll();
        int kind = r.code() / 100; // 2 done, 3 go on, 4 and 5 refused
        boolean refused = kind == 4 || kind == 5;
        switch (e) {
            case GREETING -> {
                if (kind == 2) {
                    state = ClientState.HELLO;
                    hello(false);
                } else if (refused) {
                    politeFail(ClientFailure.Kind.GREETING_REFUSED, Reply.of(451, "4.4.0", "The next hop refused the session"),
                            "the greeting was " + r, r);
                } else {
                    unexpected(e, r);
                }
            }
            case EHLO -> {
                if (kind == 2) {
                    capabilities = Capabilities.fromEhlo(r);
                    afterHello();
                } else if (kind == 5 && !config.lmtp()) {
                    hello(true); // RFC 5321 §3.2: a server that does not know EHLO still knows HELO
                } else if (refused) {
                    helloRefused(r);
                } else {
                    unexpected(e, r);
                }
            }
            case HELO -> {
                if (kind == 2) {
                    capabilities = Capabilities.NONE;
                    afterHello();
                } else if (refused) {
                    helloRefused(r);
                } else {
                    unexpected(e, r);
                }
            }
            case STARTTLS -> {
                if (kind == 2) {
                    state = ClientState.TLS_HANDSHAKE;
                    emit(new ClientEvent.StartTls());
                } else if (refused && config.tls() == ClientConfig.Tls.REQUIRED) {
                    politeFail(ClientFailure.Kind.TLS_UNAVAILABLE, Reply.of(451, "4.7.5", "TLS to the next hop is required and was refused"),
                            "STARTTLS was refused: " + r, r);
                } else if (refused) {
                    tlsRefused = true; // opportunistic: go on in clear with what EHLO offered
                    afterHello();
                } else {
                    unexpected(e, r);
                }
            }
            case AUTH -> onAuthReply(r, kind);
            case MAIL -> {
                if (!kind25(kind)) {
                    unexpected(e, r);
                    return;
                }
                tx.mail = r;
                if (tx.stepwise) {
                    emit(new ClientEvent.Replied(r));
                    if (kind != 2) {
                        tx = null; // nothing began at the server: no RSET needed
                        ready();
                    }
                    return;
                }
                if (tx.pipelined) {
                    return; // the RCPTs' and DATA's replies follow
                }
                if (kind != 2) {
                    finish(false); // nothing began at the server: no RSET needed
                } else {
                    command(rcptLine(tx.recipients.get(tx.rcptSent++)), Expect.RCPT);
                }
            }
            case RCPT -> {
                if (!kind25(kind)) {
                    unexpected(e, r);
                    return;
                }
                int i = tx.rcptAnswered++;
                tx.rcpt.set(i, r);
                if (kind == 2 && tx.mailAccepted()) {
                    tx.accepted.add(i);
                }
                if (tx.stepwise) {
                    emit(new ClientEvent.Replied(r));
                    return;
                }
                int n = tx.recipients.size();
                if (!tx.pipelined && tx.rcptAnswered < n) {
                    command(rcptLine(tx.recipients.get(tx.rcptSent++)), Expect.RCPT);
                } else if (tx.rcptAnswered == n && (!tx.pipelined || tx.bdat)) {
                    envelopeDone();
                }
            }
            case DATA -> {
                if (r.code() == 354) {
                    if (tx.mailAccepted() && !tx.accepted.isEmpty()) {
                        startContent();
                    } else {
                        // RFC 2920 §3.1: DATA was accepted though nothing before it was; "the
                        // client SMTP should send a single dot", then reset.
                        write(".");
                        expected.add(Expect.EMPTY_MESSAGE);
                    }
                } else if (refused) {
                    tx.stopper = r;
                    finish(tx.mailAccepted());
                } else {
                    unexpected(e, r);
                }
            }
            case EMPTY_MESSAGE -> {
                if (kind25(kind)) {
                    finish(tx.mailAccepted());
                } else {
                    unexpected(e, r);
                }
            }
            case BDAT -> {
                if (!kind25(kind)) {
                    unexpected(e, r);
                } else if (tx.finished) {
                    return; // a chunk already in the pipeline after a refused one (RFC 3030 §4.2)
                } else if (kind != 2) {
                    // RFC 3030 §4.2: after a 4xx/5xx to a chunk the client MUST NOT send more.
                    tx.stopper = r;
                    tx.chunkOutstanding = false;
                    dropContent = state == ClientState.CONTENT;
                    finish(true);
                } else if (!tx.pipelined) {
                    tx.chunkOutstanding = false;
                    emit(new ClientEvent.SendContent());
                }
            }
            case END_OF_DATA -> {
                if (!kind25(kind)) {
                    unexpected(e, r);
                } else if (!tx.finished) {
                    if (config.lmtp()) {
                        int i = tx.accepted.get(tx.finals++);
                        tx.verdict.set(i, r);
                        if (tx.finals == tx.accepted.size()) {
                            tx.end = r;
                            finish(false);
                        }
                    } else {
                        for (int i : tx.accepted) {
                            tx.verdict.set(i, r);
                        }
                        tx.end = r;
                        finish(false);
                    }
                }
            }
            case RSET -> {
                if (kind == 2) {
                    tx = null;
                    ready();
                } else {
                    politeFail(ClientFailure.Kind.PROTOCOL_ERROR, Reply.of(451, "4.5.0", "The next hop refused RSET"),
                            "RSET was refused: " + r, r);
                }
            }
            case QUIT -> close();
        }
    }

    private static boolean kind25(int kind) {
        return kind == 2 || kind == 4 || kind == 5;
    }

    private void unexpected(Expect e, Reply r) {
        fail(ClientFailure.Kind.PROTOCOL_ERROR, "a reply that does not fit " + e + ": " + r, r);
    }

    private void hello(boolean helo) {
        if (config.lmtp()) {
            command("LHLO " + config.heloName(), Expect.EHLO);
        } else {
            command((helo ? "HELO " : "EHLO ") + config.heloName(), helo ? Expect.HELO : Expect.EHLO);
        }
    }

    private void helloRefused(Reply r) {
        politeFail(ClientFailure.Kind.HELLO_REFUSED, Reply.of(451, "4.4.0", "The next hop refused the session"),
                "the hello was refused: " + r, r);
    }

    private void afterHello() {
        if (!secure && !tlsRefused && config.tls() != ClientConfig.Tls.OFF && capabilities.startTls()) {
            state = ClientState.STARTTLS;
            command("STARTTLS", Expect.STARTTLS);
            return;
        }
        if (!secure && config.tls() == ClientConfig.Tls.REQUIRED) {
            politeFail(ClientFailure.Kind.TLS_UNAVAILABLE, Reply.of(451, "4.7.10", "TLS to the next hop is required and not offered"),
                    "the server does not offer STARTTLS", null);
            return;
        }
        if (config.authenticates() && !authenticated) {
            authenticate();
            return;
        }
        ready();
    }

    private void authenticate() {
        Reply unavailable = Reply.of(451, "4.7.0", "Authentication to the next hop is not possible");
        if (!secure && !config.allowInsecureAuth()) {
            politeFail(ClientFailure.Kind.AUTH_UNAVAILABLE, unavailable, "credentials are not sent without TLS", null);
            return;
        }
        state = ClientState.AUTH;
        authStep = 0;
        if (capabilities.authMechanisms().contains("PLAIN")) {
            // RFC 4616 §2: [authzid] NUL authcid NUL passwd, sent as the initial response (RFC 4954 §4).
            authPlain = true;
            command("AUTH PLAIN " + base64("\0" + config.user() + "\0" + config.password()), Expect.AUTH);
        } else if (capabilities.authMechanisms().contains("LOGIN")) {
            authPlain = false;
            command("AUTH LOGIN", Expect.AUTH);
        } else {
            politeFail(ClientFailure.Kind.AUTH_UNAVAILABLE, unavailable, "the server offers neither AUTH PLAIN nor LOGIN", null);
        }
    }

    private void onAuthReply(Reply r, int kind) {
        if (kind == 2) {
            authenticated = true;
            ready();
        } else if (r.code() == 334) {
            // LOGIN asks for the user name, then the password. Anything more, or a challenge to
            // PLAIN's initial response, is cancelled with "*" (RFC 4954 §4); the server's 501 follows.
            String answer;
            if (authPlain || authStep >= 2) {
                answer = "*";
            } else {
                answer = base64(authStep == 0 ? config.user() : config.password());
            }
            authStep++;
            command(answer, Expect.AUTH);
        } else if (kind == 4 || kind == 5) {
            politeFail(ClientFailure.Kind.AUTH_FAILED, Reply.of(451, "4.7.0", "Authentication to the next hop failed"),
                    "AUTH was refused: " + r, r);
        } else {
            unexpected(Expect.AUTH, r);
        }
    }

    private void ready() {
        state = ClientState.READY;
        emit(new ClientEvent.Ready(capabilities));
    }

    private ClientFailure refusal(Transaction t) {
        if (t.smtpUtf8() && !capabilities.smtpUtf8()) {
            return local(ClientFailure.Kind.NEEDS_SMTPUTF8, LOCAL_SMTPUTF8, "the message needs SMTPUTF8");
        }
        if (t.bodyType() == BodyType.EIGHT_BIT_MIME && !capabilities.eightBitMime()) {
            return local(ClientFailure.Kind.NEEDS_8BITMIME, LOCAL_8BIT, "the message is 8BITMIME");
        }
        if (t.bodyType() == BodyType.BINARY_MIME && !(capabilities.binaryMime() && capabilities.chunking())) {
            return local(ClientFailure.Kind.NEEDS_BINARYMIME, LOCAL_BINARY, "the message is BINARYMIME");
        }
        long max = capabilities.maxMessageSize();
        if (max > 0 && t.size() > max) {
            return local(ClientFailure.Kind.TOO_BIG, LOCAL_TOO_BIG, "the message has " + t.size() + " octets, the server takes " + max);
        }
        return null;
    }

    private static ClientFailure local(ClientFailure.Kind kind, Reply reply, String detail) {
        return new ClientFailure(kind, reply, null, detail);
    }

    private String mailLine(Transaction t) {
        StringBuilder s = new StringBuilder("MAIL FROM:").append(t.reversePath());
        if (capabilities.size() && t.size() >= 0) {
            s.append(" SIZE=").append(t.size());
        }
        switch (t.bodyType()) {
            case EIGHT_BIT_MIME -> s.append(" BODY=8BITMIME");
            case BINARY_MIME -> s.append(" BODY=BINARYMIME");
            default -> { }
        }
        if (t.smtpUtf8()) {
            s.append(" SMTPUTF8");
        }
        // RFC 3461 parameters only to a server that offers DSN; without it they would be refused.
        if (capabilities.dsn()) {
            if (t.dsnReturn() != null) {
                s.append(" RET=").append(t.dsnReturn());
            }
            if (t.dsnEnvelopeId() != null) {
                s.append(" ENVID=").append(t.dsnEnvelopeId());
            }
        }
        return s.toString();
    }

    private String rcptLine(Transaction.Recipient r) {
        StringBuilder s = new StringBuilder("RCPT TO:").append(r.path());
        if (capabilities.dsn()) {
            if (r.dsnNotify() != null) {
                s.append(" NOTIFY=").append(r.dsnNotify());
            }
            if (r.originalRecipient() != null) {
                s.append(" ORCPT=").append(r.originalRecipient());
            }
        }
        return s.toString();
    }

    /** Every RCPT has its reply and no DATA was pipelined: go on to the content, or end. */
    private void envelopeDone() {
        if (!tx.mailAccepted() || tx.accepted.isEmpty()) {
            finish(tx.mailAccepted());
        } else if (tx.bdat) {
            state = ClientState.CONTENT;
            emit(new ClientEvent.SendContent());
        } else {
            command("DATA", Expect.DATA);
        }
    }

    private void startContent() {
        stuffer.reset();
        state = ClientState.CONTENT;
        emit(new ClientEvent.SendContent());
    }

    /** The transaction's outcome is known: tell the caller, then reset the server or be ready. */
    private void finish(boolean reset) {
        tx.finished = true;
        emit(new ClientEvent.Delivered(tx.result(null)));
        if (reset) {
            state = ClientState.RESET;
            command("RSET", Expect.RSET);
        } else {
            tx = null;
            ready();
        }
    }

    /** Ends the session at once: the connection cannot be used any more. */
    private void fail(ClientFailure.Kind kind, String detail, Reply serverReply) {
        failure = new ClientFailure(kind, hint(kind, serverReply), serverReply, detail);
        if (tx != null && !tx.finished) {
            emit(new ClientEvent.Delivered(tx.result(failure)));
        }
        tx = null;
        // Output already produced stays: the transport writes it before closing, whatever the
        // cut of the input that led here, so the bytes on the wire do not depend on it.
        expected.clear();
        state = ClientState.CLOSED;
        emit(new ClientEvent.Closed(failure));
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
    private void politeFail(ClientFailure.Kind kind, Reply reply, String detail, Reply serverReply) {
        failure = new ClientFailure(kind, reply, serverReply, detail);
        expected.clear();
        command("QUIT", Expect.QUIT);
        state = ClientState.QUIT;
    }

    private void close() {
        expected.clear();
        state = ClientState.CLOSED;
        emit(new ClientEvent.Closed(failure));
    }

    private void emit(ClientEvent event) {
        events.add(new Pending(event, output.size()));
    }

    private static final class Pending {
        final ClientEvent event;
        int mark;

        Pending(ClientEvent event, int mark) {
            this.event = event;
            this.mark = mark;
        }
    }

    private void command(String line, Expect reply) {
        write(line);
        expected.add(reply);
    }

    private void write(String line) {
        output.add(ByteBuffer.wrap((line + "\r\n").getBytes(StandardCharsets.UTF_8)));
    }

    private static String base64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    /** One transaction's replies as they come in. */
    private static final class Tx {
        final Transaction transaction;
        final boolean bdat;
        final boolean pipelined;
        final boolean stepwise;
        // The transaction's recipients, or in a stepwise transaction those given so far.
        final List<Transaction.Recipient> recipients;
        final List<Reply> rcpt;
        final List<Reply> verdict;
        final List<Integer> accepted = new ArrayList<>();
        Reply mail;
        Reply stopper;
        Reply end;
        int rcptSent;
        int rcptAnswered;
        int finals;
        boolean chunkOutstanding;
        boolean finished;

        Tx(Transaction transaction, boolean bdat, boolean pipelined) {
            this(transaction, bdat, pipelined, false);
        }

        Tx(Transaction transaction, boolean bdat, boolean pipelined, boolean stepwise) {
            this.transaction = transaction;
            this.bdat = bdat;
            this.pipelined = pipelined;
            this.stepwise = stepwise;
            this.recipients = new ArrayList<>(transaction.recipients());
            int n = recipients.size();
            this.rcpt = new ArrayList<>(java.util.Collections.nCopies(n, (Reply) null));
            this.verdict = new ArrayList<>(java.util.Collections.nCopies(n, (Reply) null));
        }

        void addRecipient(Transaction.Recipient r) {
            recipients.add(r);
            rcpt.add(null);
            verdict.add(null);
        }

        boolean mailAccepted() {
            return mail != null && mail.code() / 100 == 2;
        }

        TransactionResult result(ClientFailure failure) {
            List<RecipientResult> results = new ArrayList<>(rcpt.size());
            Reply lastRcpt = null;
            for (int i = 0; i < rcpt.size(); i++) {
                Transaction.Recipient who = recipients.get(i);
                Reply r = rcpt.get(i);
                lastRcpt = r != null ? r : lastRcpt;
                if (verdict.get(i) != null) {
                    results.add(new RecipientResult(who, r, verdict.get(i), RecipientResult.Stage.DATA));
                } else if (mail != null && !mailAccepted()) {
                    // Under PIPELINING the RCPTs after a refused MAIL get 503s; the MAIL's reply is the verdict.
                    results.add(new RecipientResult(who, r, mail, RecipientResult.Stage.RCPT));
                } else if (r != null && r.code() / 100 != 2) {
                    results.add(new RecipientResult(who, r, r, RecipientResult.Stage.RCPT));
                } else if (r != null && stopper != null) {
                    results.add(new RecipientResult(who, r, stopper, RecipientResult.Stage.DATA));
                } else {
                    results.add(new RecipientResult(who, r, failure != null ? failure.reply() : Reply.LOCAL_ERROR,
                            RecipientResult.Stage.LOCAL));
                }
            }
            Reply reply;
            if (end != null) {
                reply = end;
            } else if (mail != null && !mailAccepted()) {
                reply = mail;
            } else if (stopper != null) {
                reply = stopper;
            } else if (failure != null) {
                reply = failure.reply();
            } else if (lastRcpt != null) {
                reply = lastRcpt; // every recipient refused
            } else {
                reply = Reply.LOCAL_ERROR;
            }
            return new TransactionResult(results, mail, reply, failure);
        }
    }
}
