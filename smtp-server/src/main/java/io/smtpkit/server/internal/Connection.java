package io.smtpkit.server.internal;

import io.smtpkit.protocol.Decision;
import io.smtpkit.protocol.MailPath;
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
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.MDC;

/**
 * One client connection: its socket, its {@link SmtpSession}, its TLS engine and its message
 * spool. Everything here runs on the event loop thread except the hook calls, which run on the
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
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
    private static final Reply STORAGE_FAILED = Reply.of(452, "4.3.1", "Error: insufficient system storage");
    /** RFC 5321 §4.5.3.1.10 lets a server refuse recipients it has no room for; 4.3.1 is "mail system full". */
    private static final Reply ENVELOPE_FULL = Reply.of(452, "4.3.1", "Error: insufficient system storage, try again later");
    private static final Reply BUFFERS_FULL = Reply.of(421, "4.3.2", "Error: insufficient system resources, try again later");
    /** What an envelope entry costs besides its characters: objects, list and map slots. */
    private static final int ENTRY_OVERHEAD = 160;
    /** Bits of {@link #hookState}: a hook is out on a worker; the connection is closed. */
    /**
     * Runs a {@link io.smtpkit.server.SmtpHandler.NonBlocking} handler's hook in place, on the
     * event loop. The hook's answer still goes through the task queue, exactly as from a worker.
     * An Error the hook threw has been answered (451) by then; it is logged, not let loose on the loop.
     */
    private static final java.util.concurrent.Executor ON_LOOP = task -> {
        try {
            task.run();
        } catch (Error e) {
            log.error("handler hook failed on the event loop", Printable.exception(e));
        }
    };

    private static final int HOOK_OUT = 1;
    private static final int CLOSED = 2;

    private final Transport t;
    private final SocketChannel channel;
    private final String id;
    private final InetSocketAddress remote;
    private final InetSocketAddress local;
    private final boolean implicitTls;
    private final SmtpSession session;
    SelectionKey key;
    /** What counts as this connection's client for per-client limits: see {@link ClientKeys}. */
    Object clientKey;

    private int interest = -1;
    private ByteBuffer pendingOut;
    private ByteBuffer pendingIn;
    private ByteBuffer pendingNet;
    private Spool spool;
    private SSLEngine engine;
    private boolean handshaking;
    private boolean tlsRequested;
    private boolean tlsTasksRunning;
    private volatile SSLSession tlsSession;
    private boolean started;
    private boolean hookRunning;
    private boolean closing;
    boolean closed;
    private long lastProgress;
    private long contentSinceProgress;
    private long closeDeadline;
    private int messages;
    /** Octets of {@link Transport#envelopes} this connection's open transaction holds. */
    private long envelopeHeld;
    /** Octets of {@link Transport#buffers} taken for pendingIn, pendingOut and pendingNet. */
    private long buffersHeld;
    /**
     * {@link #HOOK_OUT} and {@link #CLOSED}, shared with the workers: whoever clears the last of
     * the two conditions calls onClose, so it comes once, and never while another hook of this
     * connection still runs (the connection can be closed under a hook: shutdown timeout,
     * client reset).
     */
    private final AtomicInteger hookState = new AtomicInteger();

    Connection(Transport t, SocketChannel channel, String id, InetSocketAddress remote, InetSocketAddress local,
            boolean implicitTls) {
        this.t = t;
        this.channel = channel;
        this.id = id;
        this.remote = remote;
        this.local = local;
        this.implicitTls = implicitTls;
        this.session = new SmtpSession(t.config, this);
        this.lastProgress = t.now;
    }

    // ------------------------------------------------------------------------------------------
    // Events from the loop

    void open() {
        if (implicitTls) {
            beginTls();
        } else {
            started = true;
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
        if (pendingNet != null) {
            buffer.put(pendingNet);
            pendingNet = null;
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
        if (engine == null) {
            feed(buffer, true);
        } else {
            unwrapAndFeed(buffer, true);
        }
        afterEvent();
    }

    void onWritable() {
        writePending();
        if (!closed && pendingOut == null) {
            resumeInput();
        }
        afterEvent();
    }

    /** The idle timer (RFC 5321 §4.5.3.2.7) and the linger limit of closing connections. */
    void sweep(long now) {
        if (closing || session.isClosed()) {
            if (now - closeDeadline > 0) {
                closeNow("could not deliver the last reply in time");
            }
            return;
        }
        if (hookRunning || (spool != null && spool.backlogged()) || now - lastProgress <= t.idleNanos) {
            return; // waiting for the handler or the spool is the server's time, not the client's
        }
        if (!started || handshaking || tlsRequested) {
            closeNow("timeout before the session began");
            return;
        }
        log.debug("[{}] idle timeout in state {}", id, session.state());
        session.timeout();
        afterEvent();
    }

    /** The server is closing: end the session now unless a message is being received or decided. */
    void shutdown() {
        if (!started || handshaking || tlsRequested) {
            closeNow("server shutting down");
            return;
        }
        afterEvent();
    }

    private void hookDone(Reply reply) {
        hookRunning = false;
        if (closed) {
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
        return !closed && !closing && started && !handshaking && !tlsRequested && !hookRunning
                && session.awaiting() == null && !session.isClosed() && (spool == null || !spool.backlogged())
                && (pendingOut == null ? 0 : pendingOut.remaining()) + t.staging.length() < OUTPUT_LIMIT;
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
        if (tlsRequested || session.isClosed() || closed) {
            // RFC 3207 §4.2: what was pipelined after STARTTLS is dropped, never executed.
            in.position(end);
        }
        if (in.hasRemaining()) {
            if (pendingIn != null) {
                // Cannot happen by the rules above; if it did, keep the order rather than lose bytes.
                ByteBuffer joined = ByteBuffer.allocate(pendingIn.remaining() + in.remaining());
                pendingIn = joined.put(pendingIn).put(in).flip();
            } else {
                pendingIn = shared ? copy(in) : in;
            }
        }
    }

    private void unwrapAndFeed(ByteBuffer net, boolean shared) {
        ByteBuffer app = t.tlsAppBuffer;
        while (!closed && !tlsTasksRunning) {
            SSLEngineResult.HandshakeStatus status = engine.getHandshakeStatus();
            if (status == SSLEngineResult.HandshakeStatus.NEED_TASK) {
                runDelegatedTasks();
                continue;
            }
            if (status == SSLEngineResult.HandshakeStatus.NEED_WRAP) {
                if (!wrap(EMPTY)) {
                    return;
                }
                continue;
            }
            if (!handshaking && !canTakeInput()) {
                break;
            }
            if (!net.hasRemaining() && status != SSLEngineResult.HandshakeStatus.NEED_UNWRAP_AGAIN) {
                break;
            }
            app.clear();
            SSLEngineResult result;
            try {
                result = engine.unwrap(net, app);
            } catch (SSLException e) {
                tlsFailed(e);
                return;
            }
            if (result.getStatus() == SSLEngineResult.Status.CLOSED) {
                closeNow("client closed TLS");
                return;
            }
            if (result.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) {
                break;
            }
            if (result.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                // The engine needs more room than its session said (SSLEngine's contract):
                // enlarge and unwrap the same record again.
                ByteBuffer larger = larger(app, engine.getSession().getApplicationBufferSize());
                if (larger == null) {
                    tlsFailed(new SSLException("TLS record larger than " + app.capacity() + " octets"));
                    return;
                }
                app = t.tlsAppBuffer = larger;
                continue;
            }
            if (result.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.FINISHED) {
                handshakeFinished();
            } else if (!handshaking && isRenegotiation(result.getHandshakeStatus())) {
                // A client-initiated renegotiation costs the server a whole handshake (key
                // exchange and signature) for a few bytes from the client: a cheap CPU attack,
                // and SMTP has no use for it (RFC 7457 §2.2, RFC 5746). Refused, as Postfix and
                // nginx do.
                closeNow("client renegotiation refused");
                return;
            }
            app.flip();
            if (app.hasRemaining()) {
                feed(app, true);
            }
        }
        if (!closed && net.hasRemaining()) {
            pendingNet = shared ? copy(net) : net;
        }
    }

    /** Feeds input kept back while the session was paused or the client was not reading. */
    private void resumeInput() {
        if (pendingIn != null && canTakeInput()) {
            ByteBuffer in = pendingIn;
            pendingIn = null;
            feed(in, false);
        }
        if (pendingIn == null && pendingNet != null && engine != null && canTakeInput()) {
            ByteBuffer net = pendingNet;
            pendingNet = null;
            unwrapAndFeed(net, false);
        }
    }

    private static ByteBuffer copy(ByteBuffer in) {
        ByteBuffer copy = ByteBuffer.allocate(in.remaining());
        copy.put(in).flip();
        return copy;
    }

    // ------------------------------------------------------------------------------------------
    // Decisions and hooks

    /** Answers what the session asks: at once when the handler has no such hook, else on the executor. */
    private void dispatch() {
        Decision decision;
        while (!closed && !hookRunning && (decision = session.awaiting()) != null) {
            SpooledMessage message = null;
            Callable<Reply> hook;
            SmtpHandler handler = t.settings.handler();
            if (decision instanceof Decision.Connect) {
                hook = t.hooks.connect ? () -> handler.onConnect(this) : null;
            } else if (decision instanceof Decision.Hello hello) {
                hook = t.hooks.hello ? () -> handler.onHello(this, hello.domain(), hello.extended()) : null;
            } else if (decision instanceof Decision.Mail mail) {
                if (!reserveEnvelope(mail.reversePath(), mail.parameters())) {
                    session.resume(ENVELOPE_FULL);
                    continue;
                }
                hook = t.hooks.mail ? () -> handler.onMail(this, mail.reversePath(), mail.parameters()) : null;
            } else if (decision instanceof Decision.Rcpt rcpt) {
                if (!reserveEnvelope(rcpt.recipient(), rcpt.parameters())) {
                    session.resume(ENVELOPE_FULL);
                    continue;
                }
                hook = t.hooks.rcpt ? () -> handler.onRcpt(this, rcpt.recipient(), rcpt.parameters()) : null;
            } else if (decision instanceof Decision.Message m) {
                Spool.Finished finished = finishMessage(m);
                if (finished.message() != null) {
                    message = finished.message();
                    SpooledMessage content = message;
                    hook = () -> handler.onMessage(this, m.envelope(), content);
                } else if (finished.file() != null) {
                    // On the spool's lane, after its last write: close the file, run the
                    // handler, delete the file.
                    runHook(decision, () -> {
                        SpooledMessage content;
                        try {
                            content = finished.file().finish(finished.header(), finished.size());
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
                            finished.lane().submit(task);
                        } catch (RejectedExecutionException e) {
                            finished.file().delete(); // nothing runs on the lane any more
                            throw e;
                        }
                    });
                    continue;
                } else {
                    log.warn("[{}] cannot spool message: the executor refused the writes", id);
                    session.resume(STORAGE_FAILED);
                    continue;
                }
            } else if (decision instanceof Decision.Authenticate auth && t.auth != null) {
                // Checked on the server's own pool, never the hook executor, within the per-client
                // limits on AUTH (see AuthGuard); answered like a hook, through hookDone.
                Reply refused = t.auth.begin(clientKey, id, auth, this::hookDone);
                hookRunning = refused == null;
                if (refused != null) {
                    session.resume(refused);
                }
                continue;
            } else {
                hook = null;
            }
            if (hook == null) {
                session.resume(null);
            } else if (t.hooks.inline) {
                runHook(decision, hook, message, ON_LOOP);
            } else {
                runHook(decision, hook, message, t.executor);
            }
        }
    }

    /**
     * Takes from the server's envelope budget what keeping {@code path} and {@code parameters}
     * for the rest of the transaction costs, at most: characters count twice, as a string of
     * non-Latin-1 text takes two octets a character.
     */
    private boolean reserveEnvelope(MailPath path, java.util.Map<String, String> parameters) {
        long cost = ENTRY_OVERHEAD + 2L * (path.localPart().length() + (path.domain() == null ? 0 : path.domain().length()));
        for (java.util.Map.Entry<String, String> p : parameters.entrySet()) {
            cost += ENTRY_OVERHEAD / 2 + 2L * (p.getKey().length() + (p.getValue() == null ? 0 : p.getValue().length()));
        }
        if (!t.takeEnvelope(clientKey, cost)) {
            log.debug("[{}] envelope memory budget used up", id);
            return false;
        }
        envelopeHeld += cost;
        return true;
    }

    /** Gives the envelope budget back once the transaction it paid for is over. */
    private void releaseEnvelopeIfDone() {
        if (envelopeHeld > 0 && (closed || (session.reversePath() == null && session.awaiting() == null))) {
            t.giveEnvelope(clientKey, envelopeHeld);
            envelopeHeld = 0;
        }
    }

    /**
     * Brings this connection's share of the server's buffer budget in line with what it holds.
     * False if the budget cannot pay for it: the connection is then answered {@code 421} (when
     * its output is not stuck) and closed.
     */
    private boolean accountBuffers() {
        long held = capacity(pendingIn) + capacity(pendingOut) + capacity(pendingNet);
        if (held > buffersHeld && !t.buffers.tryTake(held - buffersHeld)) {
            log.debug("[{}] buffer memory budget used up", id);
            pendingIn = null;
            pendingNet = null;
            if (pendingOut == null) {
                session.terminate(BUFFERS_FULL);
                flush();
            }
            closeNow("buffer memory budget used up");
            return false;
        }
        if (held < buffersHeld) {
            t.buffers.give(buffersHeld - held);
        }
        buffersHeld = held;
        return true;
    }

    private static long capacity(ByteBuffer buffer) {
        return buffer == null ? 0 : buffer.capacity();
    }

    private Spool.Finished finishMessage(Decision.Message m) {
        messages++;
        byte[] header = new byte[0];
        if (t.settings.receivedHeader()) {
            header = ReceivedHeader.build(session.heloName(), remote.getAddress(), t.config.hostname(),
                    session.isExtended(), session.isSecure(), session.authenticatedUser() != null,
                    t.runTag + "." + id + "." + messages, m.envelope(), ZonedDateTime.now());
        }
        Spool.Finished finished = spool().finish(header);
        log.debug("[{}] message {} of {} octets from {} to {} recipient(s){}", id, messages, m.size(),
                Printable.of(m.envelope().reversePath()), m.envelope().recipients().size(), finished.file() != null ? ", spooled" : "");
        return finished;
    }

    private Spool spool() {
        if (spool == null) {
            spool = new Spool(t.settings.spoolThreshold(), t.settings.spoolDirectory(), t.spoolMemory, t.executor,
                    () -> t.execute(this::spoolDrained));
        }
        return spool;
    }

    /** The spool's file writes caught up: content may flow again. */
    private void spoolDrained() {
        if (!closed) {
            lastProgress = t.now; // the client's idle time starts again from here, as after a hook
            resumeInput();
            afterEvent();
        }
    }

    private void runHook(Decision decision, Callable<Reply> hook, SpooledMessage message, java.util.concurrent.Executor where) {
        hookRunning = true;
        hookState.getAndUpdate(s -> s | HOOK_OUT);
        String name = hookName(decision);
        try {
            where.execute(() -> {
                Reply reply;
                MDC.put("session", id);
                Transport.HOOK_OWNER.set(t);
                try {
                    reply = hook.call();
                } catch (Throwable e) {
                    log.warn("[{}] handler {} failed", id, name, Printable.exception(e));
                    reply = Reply.LOCAL_ERROR;
                    if (e instanceof Error && !(e instanceof StackOverflowError) && !(e instanceof AssertionError)) {
                        hookAnswered(reply, message);
                        throw (Error) e;
                    }
                } finally {
                    Transport.HOOK_OWNER.remove();
                    MDC.remove("session");
                    hookReturned();
                }
                hookAnswered(reply, message);
            });
        } catch (RuntimeException e) {
            // RejectedExecutionException, or whatever else an executor throws: the hook will
            // not run, and nothing thrown here may reach the event loop.
            log.warn("[{}] executor refused the {} hook: {}", id, name, e.toString());
            hookState.getAndUpdate(s -> s & ~HOOK_OUT); // still open: this runs on the loop
            if (message != null) {
                message.delete();
            }
            // Answered through the task queue like any hook, not from inside dispatch().
            t.execute(() -> hookDone(Reply.LOCAL_ERROR));
        }
    }

    /** On the worker, when a hook is over: if the connection closed meanwhile, its onClose is due now. */
    private void hookReturned() {
        if ((hookState.getAndUpdate(s -> s & ~HOOK_OUT) & CLOSED) != 0) {
            callOnClose();
        }
    }

    /** On the worker: the message is no longer needed; hand the answer to the loop. */
    private void hookAnswered(Reply reply, SpooledMessage message) {
        if (message != null) {
            message.delete();
        }
        t.execute(() -> hookDone(reply));
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

    // ------------------------------------------------------------------------------------------
    // SessionOutput (called by the session, on the loop)

    @Override
    public void send(byte[] reply) {
        lastProgress = t.now;
        if (engine != null && handshaking) {
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
        tlsRequested = true;
    }

    @Override
    public void close() {
        if (!closing) {
            closing = true;
            closeDeadline = t.now + Math.min(LINGER_NANOS, t.idleNanos);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Output

    /** Ends every event: writes what was staged, closes or starts TLS when due, sets interest. */
    private void afterEvent() {
        while (true) {
            if (!closed && t.shuttingDown && isIdle()) {
                log.debug("[{}] closing for shutdown", id);
                session.terminate(Reply.SHUTTING_DOWN);
            }
            flush();
            if (closed) {
                return;
            }
            if ((closing || session.isClosed()) && pendingOut == null) {
                closeNow(session.isClosed() ? "closed" : "closing");
                return;
            }
            if (tlsRequested && engine == null && pendingOut == null) {
                beginTls();
                flush();
            }
            // Input held back only because this event's replies filled the output bound: they
            // are written now, so go on with it. Stop when a round consumes nothing (a partial
            // TLS record waits for more bytes from the socket).
            if ((pendingIn != null || pendingNet != null) && canTakeInput()) {
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
        return (pendingIn == null ? 0 : pendingIn.remaining()) + (pendingNet == null ? 0 : pendingNet.remaining());
    }

    /** Idle for a shutdown: not in the middle of a message and not waiting for a hook. */
    private boolean isIdle() {
        SessionState state = session.state();
        return started && !hookRunning && !handshaking && !tlsRequested && !session.isClosed()
                && state != SessionState.DATA && state != SessionState.BDAT;
    }

    private void flush() {
        Bytes plain = t.staging;
        Bytes wire = t.wireStaging;
        try {
            if (closed) {
                return;
            }
            ByteBuffer data;
            if (engine == null) {
                data = plain.buffer();
            } else {
                if (!plain.isEmpty() && !handshaking) {
                    ByteBuffer source = plain.buffer();
                    while (source.hasRemaining()) {
                        if (!wrap(source)) {
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

    /** Wraps {@code source} (or a handshake message) into the wire staging; false if the connection closed. */
    private boolean wrap(ByteBuffer source) {
        ByteBuffer net = t.tlsNetBuffer;
        SSLEngineResult result;
        while (true) {
            net.clear();
            try {
                result = engine.wrap(source, net);
            } catch (SSLException e) {
                tlsFailed(e);
                return false;
            }
            if (result.getStatus() != SSLEngineResult.Status.BUFFER_OVERFLOW) {
                break;
            }
            // Nothing was consumed or produced: without a larger buffer this would spin forever.
            net = larger(net, engine.getSession().getPacketBufferSize());
            if (net == null) {
                tlsFailed(new SSLException("TLS record larger than " + t.tlsNetBuffer.capacity() + " octets"));
                return false;
            }
            t.tlsNetBuffer = net;
        }
        net.flip();
        t.wireStaging.append(net);
        if (result.getStatus() == SSLEngineResult.Status.CLOSED) {
            closing = true;
            closeDeadline = t.now + LINGER_NANOS;
            return !source.hasRemaining();
        }
        if (result.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.FINISHED) {
            handshakeFinished();
        }
        return true;
    }

    private void write(ByteBuffer data) {
        if (pendingOut == null) {
            try {
                channel.write(data);
            } catch (IOException e) {
                closeNow("write failed: " + e.getMessage());
                return;
            }
            if (data.hasRemaining()) {
                pendingOut = copy(data);
            }
        } else {
            ByteBuffer joined = ByteBuffer.allocate(pendingOut.remaining() + data.remaining());
            joined.put(pendingOut).put(data).flip();
            pendingOut = joined;
            writePending();
        }
    }

    private void writePending() {
        if (pendingOut == null || closed) {
            return;
        }
        try {
            channel.write(pendingOut);
        } catch (IOException e) {
            closeNow("write failed: " + e.getMessage());
            return;
        }
        if (!pendingOut.hasRemaining()) {
            pendingOut = null;
        }
    }

    private void updateInterest() {
        int ops = 0;
        if (pendingOut != null) {
            ops |= SelectionKey.OP_WRITE;
        }
        if ((handshaking && !tlsTasksRunning) || (canTakeInput() && pendingIn == null)) {
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
        tlsRequested = false;
        pendingIn = null;
        try {
            engine = t.newEngine(remote);
            engine.beginHandshake();
        } catch (SSLException | RuntimeException e) {
            tlsFailed(e);
            return;
        }
        handshaking = true;
        lastProgress = t.now;
    }

    /**
     * Runs the handshake's key exchange and signature work on the executor: a millisecond or two
     * each (more with RSA keys), which the event loop must not spend while other clients wait.
     * The handshake goes on once they are done; input that arrives meanwhile waits.
     */
    private void runDelegatedTasks() {
        java.util.List<Runnable> work = new java.util.ArrayList<>(2);
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
            work.add(task);
        }
        if (work.isEmpty()) {
            return;
        }
        tlsTasksRunning = true;
        try {
            t.executor.execute(() -> {
                try {
                    work.forEach(Runnable::run);
                } finally {
                    t.execute(this::tlsTasksDone);
                }
            });
        } catch (RuntimeException e) { // refused, however the executor says it
            work.forEach(Runnable::run);
            tlsTasksRunning = false;
        }
    }

    private void tlsTasksDone() {
        tlsTasksRunning = false;
        if (closed) {
            return;
        }
        ByteBuffer net = pendingNet != null ? pendingNet : EMPTY;
        pendingNet = null;
        unwrapAndFeed(net, false);
        afterEvent();
    }

    /**
     * True if the client started a new handshake after the first one finished. Only TLS 1.2 has
     * renegotiation; TLS 1.3 post-handshake messages (KeyUpdate, tickets) are let through.
     */
    private boolean isRenegotiation(SSLEngineResult.HandshakeStatus status) {
        return status != SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING
                && tlsSession != null && "TLSv1.2".equals(tlsSession.getProtocol());
    }

    /** TLS records are at most about 16 KiB (32 KiB with large fragments); this is plenty. */
    private static final int MAX_TLS_BUFFER = 256 * 1024;

    /**
     * A replacement for a loop TLS buffer that proved too small: room for {@code wanted} octets
     * and at least twice the old size; {@code null} past {@link #MAX_TLS_BUFFER}.
     */
    private static ByteBuffer larger(ByteBuffer old, int wanted) {
        long size = Math.max((long) wanted + 1024, 2L * old.capacity());
        return old.capacity() >= MAX_TLS_BUFFER ? null : ByteBuffer.allocate((int) Math.min(size, MAX_TLS_BUFFER));
    }

    private void handshakeFinished() {
        if (!handshaking) {
            return;
        }
        handshaking = false;
        lastProgress = t.now;
        tlsSession = engine.getSession();
        log.debug("[{}] TLS established: {} {}", id, tlsSession.getProtocol(), tlsSession.getCipherSuite());
        if (!started) {
            started = true;
            session.startSecure();
        } else {
            session.tlsStarted(true);
        }
        dispatch();
    }

    private void tlsFailed(Exception e) {
        log.debug("[{}] TLS failed: {}", id, Printable.of(e.getMessage()));
        if (started && session.state() == SessionState.TLS) {
            session.tlsStarted(false);
        }
        t.staging.clear();
        closeNow("TLS failed");
    }

    // ------------------------------------------------------------------------------------------
    // Closing

    void closeNow(String why) {
        if (closed) {
            return;
        }
        if (engine != null && !handshaking && pendingOut == null && channel.isOpen()) {
            sendCloseNotify();
        }
        closed = true;
        if (started) {
            session.connectionLost();
        }
        if (spool != null) {
            spool.discard();
        }
        pendingIn = null;
        pendingOut = null;
        pendingNet = null;
        t.buffers.give(buffersHeld);
        buffersHeld = 0;
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
        if ((hookState.getAndUpdate(s -> s | CLOSED) & HOOK_OUT) != 0) {
            return; // a hook still runs: the worker calls onClose once it returns
        }
        if (t.hooks.close) {
            try {
                t.executor.execute(this::callOnClose);
            } catch (RuntimeException e) { // refused, however the executor says it
                log.debug("[{}] onClose not run: executor refused it", id);
            }
        }
    }

    /** On a worker. */
    private void callOnClose() {
        if (!t.hooks.close) {
            return;
        }
        MDC.put("session", id);
        Transport.HOOK_OWNER.set(t);
        try {
            t.settings.handler().onClose(this);
        } catch (RuntimeException e) {
            log.warn("[{}] handler onClose failed", id, Printable.exception(e));
        } finally {
            Transport.HOOK_OWNER.remove();
            MDC.remove("session");
        }
    }

    private void sendCloseNotify() {
        try {
            engine.closeOutbound();
            ByteBuffer net = t.tlsNetBuffer;
            net.clear();
            engine.wrap(EMPTY, net);
            net.flip();
            channel.write(net); // best effort, once
        } catch (IOException | RuntimeException ignored) {
            // the peer may be gone already
        }
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

    /** The session seen through {@link SessionInfo} only: a handler cannot cast it back and drive it. */
    private final SessionInfo view = new SessionInfo() {
        @Override public SessionState state() { return session.state(); }
        @Override public String heloName() { return session.heloName(); }
        @Override public boolean isExtended() { return session.isExtended(); }
        @Override public boolean isSecure() { return session.isSecure(); }
        @Override public String authenticatedUser() { return session.authenticatedUser(); }
        @Override public MailPath reversePath() { return session.reversePath(); }
        @Override public java.util.List<MailPath> recipients() { return session.recipients(); }
        @Override public io.smtpkit.protocol.SessionConfig config() { return session.config(); }
    };

    @Override
    public SSLSession tlsSession() {
        return tlsSession;
    }

    @Override
    public String toString() {
        return "Connection[" + id + " " + remote + "]";
    }
}
