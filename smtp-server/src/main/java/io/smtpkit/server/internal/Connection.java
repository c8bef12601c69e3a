package io.smtpkit.server.internal;

import io.smtpkit.protocol.Decision;
import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.SessionInfo;
import io.smtpkit.protocol.SessionOutput;
import io.smtpkit.protocol.SessionState;
import io.smtpkit.protocol.SmtpSession;
import io.smtpkit.server.ConnectionTap;
import io.smtpkit.server.SessionContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;

/**
 * One client connection: it feeds its {@link SmtpSession} and moves it through its
 * {@link ConnectionPhase}s, with a {@link TlsLayer} under it once TLS begins, a
 * {@link HookDispatcher} for the handler's hooks, an {@link Outbox} to the socket, a
 * {@link Delivery} for message content, a {@link MemoryShare} of the server's budgets and, when
 * the server has a {@link ConnectionTap}, a {@link TapGate}. It sees the loop that serves it only
 * as a {@link Loop}. Everything here runs on the event loop thread except the hook calls, which
 * run on the executor while the session is paused and come back through {@link Loop#execute}, and
 * the spool's file writes, which run on the spool's {@link SerialLane}.
 *
 * <p>Memory: while idle a connection holds no buffer of its own. Input is read into the loop's
 * shared buffer; only what the session could not take yet (it waits for a hook, or the client
 * reads too slowly) is copied aside. Output is staged in the loop's shared buffer and written
 * with one call per batch; only what the socket would not take is kept.
 */
final class Connection implements SessionOutput, SessionContext {

    private static final Logger log = Transport.log;

    /** Past this much unsent output the connection stops reading (back-pressure). */
    static final int OUTPUT_LIMIT = 32 * 1024;
    /** Content octets that count as progress for the idle timer. */
    private static final int PROGRESS_OCTETS = 1024;
    /** How long a closing connection may take to flush its last replies. */
    private static final long LINGER_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final Reply BUFFERS_FULL = Reply.of(421, "4.3.2", "Error: insufficient system resources, try again later");
    private final Loop t;
    private final SocketChannel channel;
    private final String id;
    private final InetSocketAddress remote;
    private final InetSocketAddress local;
    private final boolean implicitTls;
    private final SmtpSession session;
    private final HookDispatcher hooks;
    private final SessionInfo view;
    private final Delivery delivery;
    /** Null unless the server has a tap that listens to this connection: the only cost untapped. */
    private TapGate tap;
    SelectionKey key;
    /** What counts as this connection's client for per-client limits: see {@link ClientKeys}. */
    final Object clientKey;

    private int interest = -1;
    private final Outbox out;
    private final Inbox inbox;
    /** Null until TLS begins. */
    private TlsLayer tls;
    private ConnectionPhase phase;
    /** Whether the session was started; it must hear of the end then, whatever the phase. */
    private boolean sessionStarted;
    private long lastProgress;
    private long contentSinceProgress;
    private long closeDeadline;
    private final MemoryShare memory;
    /** Null unless the server has a meter registry. */
    private final ServerMetrics metrics;
    /** With metrics: the code of the last reply staged (221 tells a QUIT), and the content octets of the transaction. */
    private int lastReply;
    private long contentOctets;
    /** With metrics: content octets the session dropped, until a reply says whether it refused them. */
    private long discarded;
    /** With metrics: how the session ended, when the server ended it (a timeout, a shutdown). */
    private ServerMetrics.Outcome ending;
    /** What the client sent in the same reads as its PROXY header, until the session or TLS begins; else null. */
    private ByteBuffer early;

    Connection(Loop t, SocketChannel channel, String id, InetSocketAddress remote, InetSocketAddress local,
            boolean implicitTls, Object clientKey) {
        this.t = t;
        this.clientKey = clientKey;
        this.channel = channel;
        this.id = id;
        this.remote = remote;
        this.local = local;
        this.implicitTls = implicitTls;
        this.phase = implicitTls ? ConnectionPhase.TLS_HANDSHAKE_BEFORE_SESSION : ConnectionPhase.OPEN;
        this.session = new SmtpSession(t.config(), this);
        this.memory = new MemoryShare(t.limits());
        this.hooks = new HookDispatcher(t, this, session, memory, this::hookDone, this::hookDonePerRecipient);
        this.out = new Outbox(channel);
        this.inbox = new Inbox(this, session, t, out);
        this.view = new SessionView(session);
        this.delivery = new Delivery(t, this, session, hooks, this::resumeAfterWait);
        this.lastProgress = t.now();
        this.metrics = t.settings().metrics;
    }

    // ------------------------------------------------------------------------------------------
    // Events from the loop

    /** Called once, at accept: the tap hears of the client first, then the session starts. */
    void open() {
        if (metrics != null) {
            metrics.opened();
        }
        ConnectionTap connectionTap = t.settings().tap;
        if (connectionTap != null && (tap = TapGate.open(connectionTap, this, t)) != null) {
            inbox.tap(tap);
        }
        if (tap != null && !tap.apply(tap.connected(), this::begin, () -> closeNow("disconnected by the tap"))) {
            afterEvent();
            return;
        }
        begin();
    }

    /** {@link #open()} for a connection whose PROXY header came with {@code early}, the client's first octets. */
    void open(ByteBuffer early) {
        this.early = early;
        open();
    }

    private void begin() {
        if (phase == ConnectionPhase.CLOSED) {
            return;
        }
        lastProgress = t.now();
        if (implicitTls) {
            beginTls();
        } else {
            sessionStarted = true;
            session.start();
            dispatch();
        }
        if (early != null && phase != ConnectionPhase.CLOSED) {
            ByteBuffer first = early;
            early = null;
            if (tls == null) {
                inbox.feed(first, false);
            } else {
                tls.unwrap(first, false);
            }
        }
        afterEvent();
    }

    void onReadable() {
        if (inbox.holds()) {
            // Selected as readable in the same round in which held input came back and paused
            // the session again: new bytes must queue behind the held ones, so read later.
            updateInterest();
            return;
        }
        ByteBuffer buffer = t.readBuffer();
        buffer.clear();
        if (tls != null) {
            tls.moveHeldTo(buffer);
        }
        if (tap != null) {
            buffer.limit(buffer.position() + tap.readAllowance(buffer.remaining()));
        }
        int n;
        try {
            n = channel.read(buffer);
        } catch (IOException e) {
            closeNow("read failed: " + e.getMessage());
            return;
        }
        if (n < 0) {
            closeNow(session.isClosed() ? "closed" : "client disconnected");
            return;
        }
        if (tap != null) {
            tap.read(n, this::resumeAfterWait);
        }
        buffer.flip();
        if (tls == null) {
            inbox.feed(buffer, true);
        } else {
            tls.unwrap(buffer, true);
        }
        afterEvent();
    }

    void onWritable() {
        writePending();
        if (phase != ConnectionPhase.CLOSED && out.isEmpty()) {
            resumeInput();
        }
        afterEvent();
    }

    /** The idle timer (RFC 5321 §4.5.3.2.7) and the linger limit of closing connections. */
    void sweep(long now) {
        if (phase == ConnectionPhase.CLOSING || session.isClosed()) {
            if (now - closeDeadline > 0) {
                closeNow("could not deliver the last reply in time");
            }
            return;
        }
        if (hooks.waiting() || delivery.backlogged() || (tap != null && tap.delaying()) || now - lastProgress <= t.idleNanos()) {
            return; // waiting for the handler, the spool or a tap's delay is the server's time, not the client's
        }
        if (phase.settingUpTls() || !sessionStarted) {
            closeNow("timeout before the session began");
            return;
        }
        ending = ServerMetrics.Outcome.TIMEOUT;
        log.debug("[{}] idle timeout in state {}", id, session.state());
        session.timeout();
        afterEvent();
    }

    /** The server is closing: end the session now unless a message is being received or decided. */
    void shutdown() {
        if (phase.settingUpTls()) {
            closeNow("server shutting down");
            return;
        }
        afterEvent();
    }

    private void hookDone(Reply reply) {
        hookDone(reply, null);
    }

    /** A message's answer, one reply per recipient (RFC 2033 §4.2 under LMTP). */
    private void hookDonePerRecipient(List<Reply> replies) {
        hookDone(null, replies);
    }

    private void hookDone(Reply reply, List<Reply> perRecipient) {
        hooks.answered();
        if (phase == ConnectionPhase.CLOSED) {
            return;
        }
        lastProgress = t.now();
        if (metrics != null && session.awaiting() instanceof Decision.Message) {
            messageEnded(perRecipient != null ? anyPositive(perRecipient) : reply == null || reply.isPositive());
        }
        if (perRecipient != null) {
            session.resumePerRecipient(perRecipient);
        } else {
            session.resume(reply);
        }
        dispatch();
        resumeInput();
        afterEvent();
    }

    /** With metrics: a message was answered, {@code accepted} if any recipient got it. */
    void messageEnded(boolean accepted) {
        metrics.message(accepted, contentOctets);
        contentOctets = 0;
    }

    private static boolean anyPositive(List<Reply> replies) {
        for (Reply reply : replies) {
            if (reply == null || reply.isPositive()) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------------------------------
    // Input

    boolean canTakeInput() {
        return phase == ConnectionPhase.OPEN && !hooks.waiting()
                && session.awaiting() == null && !session.isClosed() && !delivery.backlogged()
                && out.pendingOctets() + t.staging().length() < OUTPUT_LIMIT && (tap == null || tap.letsInput());
    }

    /** Feeds input kept back while the session was paused or the client was not reading. */
    private void resumeInput() {
        inbox.resume();
        if (!inbox.holds() && tls != null && tls.hasHeld() && canTakeInput()) {
            tls.resume();
        }
    }

    /** RFC 3207 §4.2: what was pipelined after STARTTLS is dropped, never executed; so is input after the end. */
    boolean dropsInput() {
        return phase == ConnectionPhase.TLS_REQUESTED || session.isClosed() || phase == ConnectionPhase.CLOSED;
    }

    /** The spool's writes caught up, a tap's delay ended or its throttle refilled: input may flow again. */
    void resumeAfterWait() {
        if (phase != ConnectionPhase.CLOSED) {
            lastProgress = t.now(); // the client's idle time starts again from here, as after a hook
            resumeInput();
            afterEvent();
        }
    }

    // ------------------------------------------------------------------------------------------
    // Decisions and hooks

    /** Answers what the session asks, while the connection is open: see {@link HookDispatcher#dispatch}. */
    void dispatch() {
        if (phase != ConnectionPhase.CLOSED) {
            hooks.dispatch(delivery);
        }
    }

    /** Gives the envelope budget back once the transaction it paid for is over. */
    private void releaseEnvelopeIfDone() {
        if (phase == ConnectionPhase.CLOSED || (session.reversePath() == null && session.awaiting() == null)) {
            memory.releaseEnvelope(clientKey);
        }
    }

    /**
     * Brings this connection's share of the server's buffer budget in line with what it holds.
     * False if the budget cannot pay for it: the connection is then answered {@code 421} (when
     * its output is not stuck) and closed.
     */
    private boolean accountBuffers() {
        long held = inbox.heldCapacity() + out.capacity() + (tls == null ? 0 : tls.heldCapacity())
                + (tap == null ? 0 : tap.heldCapacity());
        if (!memory.holdBuffers(held)) {
            log.debug("[{}] buffer memory budget used up", id);
            inbox.drop();
            if (tls != null) {
                tls.dropHeld();
            }
            if (out.isEmpty()) {
                session.terminate(BUFFERS_FULL);
                flush();
            }
            closeNow("buffer memory budget used up");
            return false;
        }
        return true;
    }

    // ------------------------------------------------------------------------------------------
    // SessionOutput (called by the session, on the loop)

    @Override
    public void send(byte[] reply) {
        lastProgress = t.now();
        if (tls != null && tls.handshaking()) {
            return; // nothing can be said in the middle of a handshake
        }
        if (tap != null) {
            tap.replies(reply, session.isExtended());
        }
        if (metrics != null) {
            lastReply = metrics.replied(reply);
            SessionState state = session.state();
            if (state == SessionState.DATA || state == SessionState.BDAT) {
                // The session refuses a message (too big, bare line endings) while still in its
                // content; the handler's verdicts come after the transaction ended (hookDone).
                if (lastReply >= 500) {
                    metrics.message(false, contentOctets + discarded);
                    contentOctets = 0;
                    discarded = 0;
                }
            } else {
                discarded = 0;
            }
        }
        t.staging().append(reply);
    }

    @Override
    public void content(ByteBuffer chunk) {
        // Message content counts as progress per KiB, not per byte: a client trickling its
        // message a byte at a time still runs into the idle timeout (slowloris in DATA).
        contentSinceProgress += chunk.remaining();
        if (metrics != null) {
            contentOctets += chunk.remaining();
        }
        if (contentSinceProgress >= PROGRESS_OCTETS) {
            contentSinceProgress = 0;
            lastProgress = t.now();
        }
        delivery.write(chunk);
    }

    @Override
    public void discardContent() {
        if (metrics != null) {
            // Dropped: past the size limit (the 552 comes at the end of the data), bare line
            // endings, a reset, a timeout, a lost connection. Kept for the refusal, if one comes.
            discarded += contentOctets;
            contentOctets = 0;
        }
        delivery.discard();
    }

    @Override
    public void startTls() {
        phase = ConnectionPhase.TLS_REQUESTED;
    }

    @Override
    public void close() {
        if (phase != ConnectionPhase.CLOSING && phase != ConnectionPhase.CLOSED) {
            phase = ConnectionPhase.CLOSING;
            closeDeadline = t.now() + Math.min(LINGER_NANOS, t.idleNanos());
        }
    }

    // ------------------------------------------------------------------------------------------
    // Output

    /** Ends every event: writes what was staged, closes or starts TLS when due, sets interest. */
    private void afterEvent() {
        while (true) {
            if (phase != ConnectionPhase.CLOSED && t.shuttingDown() && isIdle()) {
                log.debug("[{}] closing for shutdown", id);
                ending = ServerMetrics.Outcome.SHUTDOWN;
                session.terminate(Reply.SHUTTING_DOWN);
            }
            // Before the reply that ends a transaction leaves: a client that reads it may act on
            // it at once over another connection, perhaps on another loop, and must find the
            // budget paid back.
            releaseEnvelopeIfDone();
            flush();
            if (phase == ConnectionPhase.CLOSED) {
                return;
            }
            if ((phase == ConnectionPhase.CLOSING || session.isClosed()) && out.isEmpty()) {
                closeNow(session.isClosed() ? "closed" : "closing");
                return;
            }
            if (phase == ConnectionPhase.TLS_REQUESTED && tls == null && out.isEmpty()) {
                beginTls();
                flush();
            }
            // Input held back only because this event's replies filled the output bound: they
            // are written now, so go on with it. Stop when a round consumes nothing (a partial
            // TLS record waits for more bytes from the socket).
            if ((inbox.holds() || (tls != null && tls.hasHeld())) && canTakeInput()) {
                int before = held();
                resumeInput();
                if (held() < before) {
                    continue;
                }
            }
            break;
        }
        releaseEnvelopeIfDone();
        if (accountBuffers()) {
            updateInterest();
        }
    }

    private int held() {
        return inbox.heldOctets() + (tls == null ? 0 : tls.heldOctets());
    }

    /** Idle for a shutdown: not in the middle of a message and not waiting for a hook. */
    private boolean isIdle() {
        SessionState state = session.state();
        return phase == ConnectionPhase.OPEN && !hooks.waiting() && !session.isClosed()
                && state != SessionState.DATA && state != SessionState.BDAT;
    }

    private void flush() {
        if (phase == ConnectionPhase.CLOSED) {
            t.staging().clear();
            t.wireStaging().clear();
            return;
        }
        try {
            out.flush(t.staging(), t.wireStaging(), tls);
        } catch (IOException e) {
            closeNow("write failed: " + e.getMessage());
        }
    }

    private void writePending() {
        if (phase == ConnectionPhase.CLOSED) {
            return;
        }
        try {
            out.writePending();
        } catch (IOException e) {
            closeNow("write failed: " + e.getMessage());
        }
    }

    private void updateInterest() {
        int ops = 0;
        if (!out.isEmpty()) {
            ops |= SelectionKey.OP_WRITE;
        }
        if ((tls != null && tls.wantsHandshakeInput())
                || (canTakeInput() && !inbox.holds() && (tap == null || tap.readable()))) {
            ops |= SelectionKey.OP_READ;
        }
        if (ops != interest && key.isValid()) {
            key.interestOps(ops);
            interest = ops;
        }
    }

    // ------------------------------------------------------------------------------------------
    // TLS (RFC 3207 STARTTLS, RFC 8314 implicit TLS)

    private void beginTls() {
        phase = sessionStarted ? ConnectionPhase.TLS_HANDSHAKE : ConnectionPhase.TLS_HANDSHAKE_BEFORE_SESSION;
        inbox.drop();
        try {
            tls = new TlsLayer(t, t.newEngine(remote), new TlsEvents());
            tls.begin();
        } catch (SSLException | RuntimeException e) {
            tlsFailed(e);
            return;
        }
        lastProgress = t.now();
    }

    /** How the TLS layer reaches this connection; made when TLS begins, so plain connections pay nothing. */
    private final class TlsEvents implements TlsLayer.Peer {
        @Override public boolean canTakeInput() { return Connection.this.canTakeInput(); }
        @Override public void receive(ByteBuffer plaintext) { inbox.feed(plaintext, true); }
        @Override public void established(SSLSession tlsSession) { handshakeFinished(tlsSession); }
        @Override public void closeNow(String why) { Connection.this.closeNow(why); }
        @Override public void failed(Exception e) { tlsFailed(e); }
        @Override public void outboundClosed() {
            if (phase != ConnectionPhase.CLOSED) {
                phase = ConnectionPhase.CLOSING;
            }
            closeDeadline = t.now() + LINGER_NANOS;
        }
        @Override public void tasksDone() { afterEvent(); }
        @Override public boolean isClosed() { return phase == ConnectionPhase.CLOSED; }
    }

    private void handshakeFinished(SSLSession tlsSession) {
        lastProgress = t.now();
        log.debug("[{}] TLS established: {} {}", id, tlsSession.getProtocol(), tlsSession.getCipherSuite());
        if (tap != null) {
            tap.tlsStarted(tlsSession);
        }
        if (metrics != null) {
            metrics.handshake(true);
        }
        if (phase.settingUpTls()) {
            phase = ConnectionPhase.OPEN;
        }
        if (!sessionStarted) {
            sessionStarted = true;
            session.startSecure();
        } else {
            session.tlsStarted(true);
        }
        dispatch();
    }

    private void tlsFailed(Exception e) {
        log.debug("[{}] TLS failed: {}", id, Printable.of(e.getMessage()));
        if (metrics != null) {
            metrics.handshake(false);
        }
        if (sessionStarted && session.state() == SessionState.TLS) {
            session.tlsStarted(false);
        }
        t.staging().clear();
        closeNow("TLS failed");
    }

    // ------------------------------------------------------------------------------------------
    // Closing

    void closeNow(String why) {
        if (phase == ConnectionPhase.CLOSED) {
            return;
        }
        if (tls != null && !tls.handshaking() && out.isEmpty() && channel.isOpen()) {
            tls.closeOutbound(channel);
        }
        phase = ConnectionPhase.CLOSED;
        if (sessionStarted) {
            session.connectionLost();
        }
        delivery.discard();
        inbox.drop();
        out.drop();
        if (tls != null) {
            tls.dropHeld();
        }
        memory.releaseBuffers();
        releaseEnvelopeIfDone();
        if (key != null) {
            key.cancel();
        }
        // Uncounted before the socket closes: a client that sees the close and connects again
        // may be accepted on another loop at once, and must find its place free.
        t.removed(this);
        try {
            channel.close();
        } catch (IOException ignored) {
            // gone anyway
        }
        log.debug("[{}] disconnect: {}", id, Printable.of(why));
        hooks.closed();
        if (tap != null) {
            tap.closed();
        }
        if (metrics != null) {
            metrics.closed(ending != null ? ending : ServerMetrics.Outcome.of(why, lastReply));
        }
    }

    boolean isClosed() {
        return phase == ConnectionPhase.CLOSED;
    }

    // ------------------------------------------------------------------------------------------
    // SessionContext

    @Override public String id() { return id; }
    @Override public InetSocketAddress remoteAddress() { return remote; }
    @Override public InetSocketAddress localAddress() { return local; }
    @Override public SessionInfo protocol() { return view; }
    @Override public SSLSession tlsSession() { return tls == null ? null : tls.session(); }

    @Override
    public String toString() {
        return "Connection[" + id + " " + remote + "]";
    }
}
