package io.smtpkit.server.internal;

import io.smtpkit.protocol.Decision;
import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.SessionInfo;
import io.smtpkit.protocol.SessionOutput;
import io.smtpkit.protocol.SessionState;
import io.smtpkit.protocol.SmtpSession;
import io.smtpkit.server.SessionContext;
import io.smtpkit.server.SmtpHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.ZonedDateTime;
import java.util.concurrent.Callable;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;

/**
 * One client connection: it feeds its {@link SmtpSession} and moves it through its
 * {@link ConnectionPhase}s, with a {@link TlsLayer} under it once TLS begins, a
 * {@link HookDispatcher} for the handler's hooks, an {@link Outbox} to the socket, a
 * {@link Spool} for message content and a {@link MemoryShare} of the server's budgets.
 * Everything here runs on the event loop thread except the hook calls, which run on the
 * executor while the session is paused and come back through {@link Transport#execute}, and the
 * spool's file writes, which run on the spool's {@link SerialLane}.
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
    /**
     * Commands are fed to the session in slices this big, and the output is checked between
     * slices: a client pipelining thousands of commands cannot make the server queue thousands
     * of replies. That holds wherever commands are parsed, between BDAT chunks too (the session
     * returns where content ends, so the commands after a chunk are sliced as well). Message
     * content gives no replies and goes in whole.
     */
    private static final int COMMAND_SLICE = 2048;
    /** Content octets that count as progress for the idle timer. */
    private static final int PROGRESS_OCTETS = 1024;
    /** How long a closing connection may take to flush its last replies. */
    private static final long LINGER_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final Reply STORAGE_FAILED = Reply.of(452, "4.3.1", "Error: insufficient system storage");
    /** RFC 5321 §4.5.3.1.10 lets a server refuse recipients it has no room for; 4.3.1 is "mail system full". */
    private static final Reply ENVELOPE_FULL = Reply.of(452, "4.3.1", "Error: insufficient system storage, try again later");
    private static final Reply BUFFERS_FULL = Reply.of(421, "4.3.2", "Error: insufficient system resources, try again later");
    private final Transport t;
    private final SocketChannel channel;
    private final String id;
    private final InetSocketAddress remote;
    private final InetSocketAddress local;
    private final boolean implicitTls;
    private final SmtpSession session;
    private final HookDispatcher hooks;
    private final SessionInfo view;
    SelectionKey key;
    /** What counts as this connection's client for per-client limits: see {@link ClientKeys}. */
    Object clientKey;

    private int interest = -1;
    private final Outbox out;
    private ByteBuffer pendingIn;
    private Spool spool;
    /** Null until TLS begins. */
    private TlsLayer tls;
    private ConnectionPhase phase;
    /** Whether the session was started; it must hear of the end then, whatever the phase. */
    private boolean sessionStarted;
    private long lastProgress;
    private long contentSinceProgress;
    private long closeDeadline;
    private int messages;
    private final MemoryShare memory;
    Connection(Transport t, SocketChannel channel, String id, InetSocketAddress remote, InetSocketAddress local,
            boolean implicitTls) {
        this.t = t;
        this.channel = channel;
        this.id = id;
        this.remote = remote;
        this.local = local;
        this.implicitTls = implicitTls;
        this.phase = implicitTls ? ConnectionPhase.TLS_HANDSHAKE_BEFORE_SESSION : ConnectionPhase.OPEN;
        this.session = new SmtpSession(t.config, this);
        this.hooks = new HookDispatcher(t, this, id, this::hookDone);
        this.memory = new MemoryShare(t);
        this.out = new Outbox(channel);
        this.view = new SessionView(session);
        this.lastProgress = t.now;
    }

    // ------------------------------------------------------------------------------------------
    // Events from the loop

    void open() {
        if (implicitTls) {
            beginTls();
        } else {
            sessionStarted = true;
            session.start();
            dispatch();
        }
        afterEvent();
    }

    void onReadable() {
        if (pendingIn != null) {
            // Selected as readable in the same round in which held input came back and paused
            // the session again: new bytes must queue behind the held ones, so read later.
            updateInterest();
            return;
        }
        ByteBuffer buffer = t.readBuffer;
        buffer.clear();
        if (tls != null) {
            tls.moveHeldTo(buffer);
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
        buffer.flip();
        if (tls == null) {
            feed(buffer, true);
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
        if (hooks.waiting() || (spool != null && spool.backlogged()) || now - lastProgress <= t.idleNanos) {
            return; // waiting for the handler or the spool is the server's time, not the client's
        }
        if (phase.settingUpTls()) {
            closeNow("timeout before the session began");
            return;
        }
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
        hooks.answered();
        if (phase == ConnectionPhase.CLOSED) {
            return;
        }
        lastProgress = t.now;
        session.resume(reply);
        dispatch();
        resumeInput();
        afterEvent();
    }

    // ------------------------------------------------------------------------------------------
    // Input

    private boolean canTakeInput() {
        return phase == ConnectionPhase.OPEN && !hooks.waiting()
                && session.awaiting() == null && !session.isClosed() && (spool == null || !spool.backlogged())
                && out.pendingOctets() + t.staging.length() < OUTPUT_LIMIT;
    }

    /**
     * Feeds plaintext to the session while it takes it; keeps the rest in {@link #pendingIn}.
     *
     * @param shared true if {@code in} is a loop buffer that must be copied to be kept
     */
    private void feed(ByteBuffer in, boolean shared) {
        int end = in.limit();
        while (in.hasRemaining() && canTakeInput()) {
            if (!session.isReceivingContent()) {
                in.limit(Math.min(end, in.position() + COMMAND_SLICE));
            }
            session.receive(in);
            in.limit(end);
            dispatch();
        }
        in.limit(end);
        if (phase == ConnectionPhase.TLS_REQUESTED || session.isClosed() || phase == ConnectionPhase.CLOSED) {
            // RFC 3207 §4.2: what was pipelined after STARTTLS is dropped, never executed.
            in.position(end);
        }
        if (in.hasRemaining()) {
            if (pendingIn != null) {
                // Cannot happen by the rules above; if it did, keep the order rather than lose bytes.
                ByteBuffer joined = ByteBuffer.allocate(pendingIn.remaining() + in.remaining());
                pendingIn = joined.put(pendingIn).put(in).flip();
            } else {
                pendingIn = shared ? Bytes.copy(in) : in;
            }
        }
    }

    /** Feeds input kept back while the session was paused or the client was not reading. */
    private void resumeInput() {
        if (pendingIn != null && canTakeInput()) {
            ByteBuffer in = pendingIn;
            pendingIn = null;
            feed(in, false);
        }
        if (pendingIn == null && tls != null && tls.hasHeld() && canTakeInput()) {
            tls.resume();
        }
    }

    // ------------------------------------------------------------------------------------------
    // Decisions and hooks

    /** Answers what the session asks: at once when the handler has no such hook, else through {@link #hooks}. */
    private void dispatch() {
        Decision decision;
        while (phase != ConnectionPhase.CLOSED && !hooks.waiting() && (decision = session.awaiting()) != null) {
            if (decision instanceof Decision.Mail mail && !memory.reserveEnvelope(clientKey, mail.reversePath(), mail.parameters())
                    || decision instanceof Decision.Rcpt rcpt && !memory.reserveEnvelope(clientKey, rcpt.recipient(), rcpt.parameters())) {
                log.debug("[{}] envelope memory budget used up", id);
                session.resume(ENVELOPE_FULL);
            } else if (decision instanceof Decision.Message m) {
                deliver(m);
            } else if (decision instanceof Decision.Authenticate auth && t.auth != null) {
                // Checked on the server's own pool, never the hook executor, within the per-client
                // limits on AUTH (see AuthGuard); answered like a hook, through hookDone.
                Reply refused = t.auth.begin(clientKey, id, auth, this::hookDone);
                if (refused != null) {
                    session.resume(refused);
                } else {
                    hooks.expectAnswer();
                }
            } else {
                Callable<Reply> hook = hooks.hookFor(decision);
                if (hook == null) {
                    session.resume(null);
                } else {
                    hooks.run(decision, hook, null);
                }
            }
        }
    }

    /** Hands a received message to the handler's onMessage, from memory or from its spool file. */
    private void deliver(Decision.Message m) {
        Spool.Finished finished = finishMessage(m);
        SmtpHandler handler = t.settings.handler;
        if (finished instanceof Spool.InMemory inMemory) {
            SpooledMessage content = inMemory.message();
            hooks.run(m, () -> handler.onMessage(this, m.envelope(), content), content);
        } else if (finished instanceof Spool.OnFile onFile) {
            // On the spool's lane, after its last write: close the file, run the handler,
            // delete the file.
            hooks.run(m, () -> {
                SpooledMessage content;
                try {
                    content = onFile.file().finish(onFile.header(), onFile.size());
                } catch (IOException e) {
                    log.warn("[{}] cannot spool message: {}", id, Printable.of(e));
                    return STORAGE_FAILED;
                }
                try {
                    return handler.onMessage(this, m.envelope(), content);
                } finally {
                    content.delete();
                }
            }, null, task -> {
                try {
                    onFile.lane().submit(task);
                } catch (RejectedExecutionException e) {
                    onFile.file().delete(); // nothing runs on the lane any more
                    throw e;
                }
            });
        } else {
            log.warn("[{}] cannot spool message: the executor refused the writes", id);
            session.resume(STORAGE_FAILED);
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
        long held = capacity(pendingIn) + out.capacity() + (tls == null ? 0 : tls.heldCapacity());
        if (!memory.holdBuffers(held)) {
            log.debug("[{}] buffer memory budget used up", id);
            pendingIn = null;
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

    private static long capacity(ByteBuffer buffer) {
        return buffer == null ? 0 : buffer.capacity();
    }

    private Spool.Finished finishMessage(Decision.Message m) {
        messages++;
        byte[] header = new byte[0];
        if (t.settings.receivedHeader) {
            header = ReceivedHeader.build(view, remote.getAddress(), t.runTag + "." + id + "." + messages,
                    m.envelope(), ZonedDateTime.now());
        }
        Spool.Finished finished = spool().finish(header);
        log.debug("[{}] message {} of {} octets from {} to {} recipient(s){}", id, messages, m.size(),
                Printable.of(m.envelope().reversePath()), m.envelope().recipients().size(), finished instanceof Spool.OnFile ? ", spooled" : "");
        return finished;
    }

    private Spool spool() {
        if (spool == null) {
            spool = new Spool(t.settings.spoolThreshold, t.settings.spoolDirectory, t.spoolMemory, t.executor,
                    () -> t.execute(this::spoolDrained));
        }
        return spool;
    }

    /** The spool's file writes caught up: content may flow again. */
    private void spoolDrained() {
        if (phase != ConnectionPhase.CLOSED) {
            lastProgress = t.now; // the client's idle time starts again from here, as after a hook
            resumeInput();
            afterEvent();
        }
    }

    // ------------------------------------------------------------------------------------------
    // SessionOutput (called by the session, on the loop)

    @Override
    public void send(byte[] reply) {
        lastProgress = t.now;
        if (tls != null && tls.handshaking()) {
            return; // nothing can be said in the middle of a handshake
        }
        t.staging.append(reply);
    }

    @Override
    public void content(ByteBuffer chunk) {
        // Message content counts as progress per KiB, not per byte: a client trickling its
        // message a byte at a time still runs into the idle timeout (slowloris in DATA).
        contentSinceProgress += chunk.remaining();
        if (contentSinceProgress >= PROGRESS_OCTETS) {
            contentSinceProgress = 0;
            lastProgress = t.now;
        }
        spool().write(chunk);
    }

    @Override
    public void discardContent() {
        if (spool != null) {
            spool.discard();
        }
    }

    @Override
    public void startTls() {
        phase = ConnectionPhase.TLS_REQUESTED;
    }

    @Override
    public void close() {
        if (phase != ConnectionPhase.CLOSING && phase != ConnectionPhase.CLOSED) {
            phase = ConnectionPhase.CLOSING;
            closeDeadline = t.now + Math.min(LINGER_NANOS, t.idleNanos);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Output

    /** Ends every event: writes what was staged, closes or starts TLS when due, sets interest. */
    private void afterEvent() {
        while (true) {
            if (phase != ConnectionPhase.CLOSED && t.shuttingDown && isIdle()) {
                log.debug("[{}] closing for shutdown", id);
                session.terminate(Reply.SHUTTING_DOWN);
            }
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
            if ((pendingIn != null || (tls != null && tls.hasHeld())) && canTakeInput()) {
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
        return (pendingIn == null ? 0 : pendingIn.remaining()) + (tls == null ? 0 : tls.heldOctets());
    }

    /** Idle for a shutdown: not in the middle of a message and not waiting for a hook. */
    private boolean isIdle() {
        SessionState state = session.state();
        return phase == ConnectionPhase.OPEN && !hooks.waiting() && !session.isClosed()
                && state != SessionState.DATA && state != SessionState.BDAT;
    }

    private void flush() {
        Bytes plain = t.staging;
        Bytes wire = t.wireStaging;
        try {
            if (phase == ConnectionPhase.CLOSED) {
                return;
            }
            ByteBuffer data;
            if (tls == null) {
                data = plain.buffer();
            } else {
                if (!plain.isEmpty() && !tls.handshaking()) {
                    ByteBuffer source = plain.buffer();
                    while (source.hasRemaining()) {
                        if (!tls.wrap(source)) {
                            return;
                        }
                    }
                }
                data = wire.buffer();
            }
            if (data.hasRemaining()) {
                write(data);
            }
        } finally {
            plain.clear();
            wire.clear();
        }
    }

    private void write(ByteBuffer data) {
        try {
            out.write(data);
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
        if ((tls != null && tls.wantsHandshakeInput()) || (canTakeInput() && pendingIn == null)) {
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
        pendingIn = null;
        try {
            tls = new TlsLayer(t, t.newEngine(remote), new TlsEvents());
            tls.begin();
        } catch (SSLException | RuntimeException e) {
            tlsFailed(e);
            return;
        }
        lastProgress = t.now;
    }

    /** How the TLS layer reaches this connection; made when TLS begins, so plain connections pay nothing. */
    private final class TlsEvents implements TlsLayer.Peer {
        @Override public boolean canTakeInput() { return Connection.this.canTakeInput(); }
        @Override public void receive(ByteBuffer plaintext) { feed(plaintext, true); }
        @Override public void established(SSLSession tlsSession) { handshakeFinished(tlsSession); }
        @Override public void closeNow(String why) { Connection.this.closeNow(why); }
        @Override public void failed(Exception e) { tlsFailed(e); }
        @Override public void outboundClosed() {
            if (phase != ConnectionPhase.CLOSED) {
                phase = ConnectionPhase.CLOSING;
            }
            closeDeadline = t.now + LINGER_NANOS;
        }
        @Override public void tasksDone() { afterEvent(); }
        @Override public boolean isClosed() { return phase == ConnectionPhase.CLOSED; }
    }

    private void handshakeFinished(SSLSession tlsSession) {
        lastProgress = t.now;
        log.debug("[{}] TLS established: {} {}", id, tlsSession.getProtocol(), tlsSession.getCipherSuite());
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
        if (sessionStarted && session.state() == SessionState.TLS) {
            session.tlsStarted(false);
        }
        t.staging.clear();
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
        if (spool != null) {
            spool.discard();
        }
        pendingIn = null;
        out.drop();
        if (tls != null) {
            tls.dropHeld();
        }
        memory.releaseBuffers();
        releaseEnvelopeIfDone();
        if (key != null) {
            key.cancel();
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // gone anyway
        }
        log.debug("[{}] disconnect: {}", id, Printable.of(why));
        t.removed(this);
        hooks.closed();
    }

    boolean isClosed() {
        return phase == ConnectionPhase.CLOSED;
    }

    // ------------------------------------------------------------------------------------------
    // SessionContext

    @Override
    public String id() {
        return id;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return remote;
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    @Override
    public SessionInfo protocol() {
        return view;
    }

    @Override
    public SSLSession tlsSession() {
        return tls == null ? null : tls.session();
    }

    @Override
    public String toString() {
        return "Connection[" + id + " " + remote + "]";
    }
}
