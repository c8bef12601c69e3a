package io.smtpkit.server.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;

/**
 * One connection's TLS (RFC 3207 STARTTLS, RFC 8314 implicit TLS), as Netty's SslHandler: it owns
 * the engine and the ciphertext held back, decrypts input into its {@link Peer} and encrypts
 * output into the loop's wire staging. The scratch buffers are the loop's ({@link TlsBuffers}).
 */
final class TlsLayer {

    /** What the layer tells its connection, always on the loop. */
    interface Peer {
        /** False while the connection cannot take plaintext (it is paused, or its output is full). */
        boolean canTakeInput();

        /** Decrypted input, in a loop buffer: copy what must be kept. */
        void receive(ByteBuffer plaintext);

        /** The handshake is done. */
        void established(SSLSession session);

        /** The connection must close: the client closed TLS or broke a rule. */
        void closeNow(String why);

        /** The handshake or a record failed. */
        void failed(Exception e);

        /** The engine closed its outbound side: what was written is the last. */
        void outboundClosed();

        /** The handshake's delegated tasks are done and the input they held up is fed: end the event. */
        void tasksDone();

        boolean isClosed();
    }

    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final Loop t;
    private final SSLEngine engine;
    private final Peer peer;
    private boolean handshaking;
    private boolean tasksRunning;
    private volatile SSLSession session;
    /** Ciphertext read but not unwrapped yet: a partial record, or what came while the peer was paused. */
    private ByteBuffer held;

    TlsLayer(Loop t, SSLEngine engine, Peer peer) {
        this.t = t;
        this.engine = engine;
        this.peer = peer;
    }

    /** Starts the server side of the handshake. */
    void begin() throws SSLException {
        engine.beginHandshake();
        handshaking = true;
    }

    boolean handshaking() {
        return handshaking;
    }

    /** True while the handshake waits for more of the client's bytes (not for its own tasks). */
    boolean wantsHandshakeInput() {
        return handshaking && !tasksRunning;
    }

    /** The session once the handshake is done, else null; read by handler threads. */
    SSLSession session() {
        return session;
    }

    boolean hasHeld() {
        return held != null;
    }

    int heldOctets() {
        return held == null ? 0 : held.remaining();
    }

    long heldCapacity() {
        return held == null ? 0 : held.capacity();
    }

    void dropHeld() {
        held = null;
    }

    /** Moves the held ciphertext to the front of {@code buffer}, so the next read continues it. */
    void moveHeldTo(ByteBuffer buffer) {
        if (held != null) {
            buffer.put(held);
            held = null;
        }
    }

    /** Unwraps the held ciphertext, if any. */
    void resume() {
        if (held != null) {
            ByteBuffer net = held;
            held = null;
            unwrap(net, false);
        }
    }

    /**
     * Unwraps {@code net} into the peer while it takes plaintext (during the handshake, always),
     * answering handshake messages on the way; keeps what is left.
     *
     * @param shared true if {@code net} is a loop buffer that must be copied to be kept
     */
    void unwrap(ByteBuffer net, boolean shared) {
        ByteBuffer app = t.tlsBuffers().app();
        while (!peer.isClosed() && !tasksRunning) {
            HandshakeStatus status = engine.getHandshakeStatus();
            if (status == HandshakeStatus.NEED_TASK) {
                runDelegatedTasks();
                continue;
            }
            if (status == HandshakeStatus.NEED_WRAP) {
                if (!wrap(EMPTY)) {
                    return;
                }
                continue;
            }
            if (!handshaking && !peer.canTakeInput()) {
                break;
            }
            if (!net.hasRemaining() && status != HandshakeStatus.NEED_UNWRAP_AGAIN) {
                break;
            }
            app.clear();
            SSLEngineResult result;
            try {
                result = engine.unwrap(net, app);
            } catch (SSLException e) {
                peer.failed(e);
                return;
            }
            if (result.getStatus() == SSLEngineResult.Status.CLOSED) {
                peer.closeNow("client closed TLS");
                return;
            }
            if (result.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) {
                break;
            }
            if (result.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                // The engine needs more room than its session said: enlarge, unwrap the same record again.
                ByteBuffer larger = t.tlsBuffers().growApp(engine.getSession().getApplicationBufferSize());
                if (larger == null) {
                    peer.failed(new SSLException("TLS record larger than " + app.capacity() + " octets"));
                    return;
                }
                app = larger;
                continue;
            }
            if (result.getHandshakeStatus() == HandshakeStatus.FINISHED) {
                handshakeFinished();
            } else if (!handshaking && isRenegotiation(result.getHandshakeStatus())) {
                // A client-initiated renegotiation costs the server a whole handshake (key
                // exchange and signature) for a few bytes from the client: a cheap CPU attack,
                // and SMTP has no use for it (RFC 7457 §2.2, RFC 5746). Refused, as Postfix and
                // nginx do.
                peer.closeNow("client renegotiation refused");
                return;
            }
            app.flip();
            if (app.hasRemaining()) {
                peer.receive(app);
            }
        }
        if (!peer.isClosed() && net.hasRemaining()) {
            held = shared ? Bytes.copy(net) : net;
        }
    }

    /** Wraps {@code source} (or a handshake message) onto the wire staging; false if the connection closed. */
    boolean wrap(ByteBuffer source) {
        ByteBuffer net = t.tlsBuffers().net();
        SSLEngineResult result;
        while (true) {
            net.clear();
            try {
                result = engine.wrap(source, net);
            } catch (SSLException e) {
                peer.failed(e);
                return false;
            }
            if (result.getStatus() != SSLEngineResult.Status.BUFFER_OVERFLOW) {
                break;
            }
            // Nothing was consumed or produced: without a larger buffer this would spin forever.
            int old = net.capacity();
            net = t.tlsBuffers().growNet(engine.getSession().getPacketBufferSize());
            if (net == null) {
                peer.failed(new SSLException("TLS record larger than " + old + " octets"));
                return false;
            }
        }
        net.flip();
        t.wireStaging().append(net);
        if (result.getStatus() == SSLEngineResult.Status.CLOSED) {
            peer.outboundClosed();
            return !source.hasRemaining();
        }
        if (result.getHandshakeStatus() == HandshakeStatus.FINISHED) {
            handshakeFinished();
        }
        return true;
    }

    /** Sends close_notify straight to the socket: best effort, once, as the connection closes. */
    void closeOutbound(SocketChannel channel) {
        try {
            engine.closeOutbound();
            ByteBuffer net = t.tlsBuffers().net();
            net.clear();
            engine.wrap(EMPTY, net);
            net.flip();
            channel.write(net);
        } catch (IOException | RuntimeException ignored) {
            // the peer may be gone already
        }
    }

    /**
     * Runs the handshake's key exchange and signature work on the executor: a millisecond or two
     * each (more with RSA keys), which the event loop must not spend while other clients wait.
     * The handshake goes on once they are done; input that arrives meanwhile waits.
     */
    private void runDelegatedTasks() {
        List<Runnable> work = new ArrayList<>(2);
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
            work.add(task);
        }
        if (work.isEmpty()) {
            return;
        }
        tasksRunning = true;
        try {
            t.executor().execute(() -> {
                try {
                    work.forEach(Runnable::run);
                } finally {
                    t.execute(this::delegatedTasksDone);
                }
            });
        } catch (RuntimeException e) { // refused, however the executor says it
            work.forEach(Runnable::run);
            tasksRunning = false;
        }
    }

    private void delegatedTasksDone() {
        tasksRunning = false;
        if (peer.isClosed()) {
            return;
        }
        ByteBuffer net = held != null ? held : EMPTY;
        held = null;
        unwrap(net, false);
        peer.tasksDone();
    }

    /**
     * True if the client started a new handshake after the first one finished. Only TLS 1.2 has
     * renegotiation; TLS 1.3 post-handshake messages (KeyUpdate, tickets) are let through.
     */
    private boolean isRenegotiation(HandshakeStatus status) {
        return status != HandshakeStatus.NOT_HANDSHAKING && session != null && "TLSv1.2".equals(session.getProtocol());
    }

    private void handshakeFinished() {
        if (!handshaking) {
            return;
        }
        handshaking = false;
        session = engine.getSession();
        peer.established(session);
    }
}
