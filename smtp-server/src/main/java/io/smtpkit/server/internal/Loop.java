package io.smtpkit.server.internal;

import io.smtpkit.protocol.SessionConfig;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.ExecutorService;
import javax.net.ssl.SSLEngine;

/**
 * What a {@link Connection} and its parts need from the event loop that serves it, and nothing
 * more: the loop's clock, timers and task queue, its scratch buffers, the hook executor, the
 * server's settings and the {@link SharedLimits} all loops count against. Everything but
 * {@link #execute} is for the loop's own thread. Each of a server's loops is
 * its own instance; they share the settings, limits, AUTH guard and executor ({@link EventLoops}). Not API.
 */
interface Loop {

    /** The loop's clock ({@link System#nanoTime()}), read once per event. */
    long now();

    /** Runs {@code task} on the loop thread; callable from any thread. */
    void execute(Runnable task);

    /** Runs {@code task} on the loop thread after {@code delayNanos}; a timer, never a sleep. */
    void schedule(long delayNanos, Runnable task);

    /** True once the server is closing gracefully. */
    boolean shuttingDown();

    /** Called by a connection once it is closed, so the loop and the shared counts forget it. */
    void removed(Connection c);

    /** Where hooks, spool writes and TLS handshake tasks run. */
    ExecutorService executor();

    ServerSettings settings();

    /** The session settings, with STARTTLS, AUTH and contained extensions as the server offers them. */
    SessionConfig config();

    /** Which hooks the handler overrides. */
    Hooks hooks();

    /** The AUTH checks, or {@code null} without an authenticator. */
    AuthGuard auth();

    SharedLimits limits();

    long idleNanos();

    /** A server-side engine for a client at {@code remote}, the TLS scratch buffers fitted to it. */
    SSLEngine newEngine(InetSocketAddress remote);

    /** The read buffer all of this loop's connections share. */
    ByteBuffer readBuffer();

    /** This loop's plaintext output staging, written and cleared within one event. */
    Bytes staging();

    /** This loop's ciphertext output staging. */
    Bytes wireStaging();

    TlsBuffers tlsBuffers();

    /** The message trace id for logs and Received headers: unique across runs of the server. */
    String traceId(String connectionId, int message);
}
