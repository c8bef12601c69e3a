package io.smtpkit.server;

import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.Reply;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;

/** Shared pieces of the server tests. */
final class TestSupport {

    private TestSupport() {}

    static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    /** A server on 127.0.0.1, a free port, and a short shutdown so tests end quickly. */
    static SmtpServer.Builder server(SmtpHandler handler) {
        return SmtpServer.builder().listen(LOOPBACK).handler(handler).shutdownTimeout(Duration.ofSeconds(5));
    }

    static Path resource(String name) {
        try {
            return Path.of(TestSupport.class.getResource("/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The server side of TLS: the self-signed RSA pair under src/test/resources/tls. */
    static SSLContext serverTls() {
        try {
            return PemTls.load(resource("tls/rsa-cert.pem"), resource("tls/rsa-key.pem"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A client context that trusts any certificate: the test server's is self-signed. */
    static SSLContext trustAll() {
        return io.smtpkit.server.testsupport.TestTls.trustAll();
    }

    /**
     * An executor service for the server that hands each task to {@code execute} (to refuse it,
     * hold it, ...) and otherwise is {@code pool}.
     */
    static java.util.concurrent.ExecutorService executorService(java.util.concurrent.ExecutorService pool,
            java.util.function.Consumer<Runnable> execute) {
        return new java.util.concurrent.AbstractExecutorService() {
            @Override public void execute(Runnable task) { execute.accept(task); }
            @Override public void shutdown() { pool.shutdown(); }
            @Override public java.util.List<Runnable> shutdownNow() { return pool.shutdownNow(); }
            @Override public boolean isShutdown() { return pool.isShutdown(); }
            @Override public boolean isTerminated() { return pool.isTerminated(); }
            @Override public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
                return pool.awaitTermination(timeout, unit);
            }
        };
    }

    /** What a capturing handler saw of one message. */
    record Received(String sessionId, Envelope envelope, byte[] content, SSLSession tls, String user, String helo) {
        String text() {
            return new String(content, java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /** Records every message. */
    static class Capture implements SmtpHandler {
        final BlockingQueue<Received> messages = new LinkedBlockingQueue<>();

        @Override
        public Reply onMessage(SessionContext session, Envelope envelope, Message message) throws Exception {
            messages.add(new Received(session.id(), envelope, message.bytes(), session.tlsSession(),
                    session.authenticatedUser(), session.heloName()));
            return null;
        }

        Received take() throws InterruptedException {
            Received r = messages.poll(30, TimeUnit.SECONDS);
            if (r == null) {
                throw new AssertionError("no message arrived");
            }
            return r;
        }
    }
}
