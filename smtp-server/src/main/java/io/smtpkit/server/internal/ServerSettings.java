package io.smtpkit.server.internal;

import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.server.Authenticator;
import io.smtpkit.server.SmtpHandler;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;

/**
 * What the transport needs from {@link io.smtpkit.server.SmtpServer.Builder}, frozen at build
 * time. Not API.
 *
 * @param executor the executor for hooks, or {@code null} to let the transport make (and own) one
 * @param envelopeMemory octets all envelopes may hold together, 0 for no limit
 * @param bufferMemory octets all held input and unsent output may take together, 0 for no limit
 * @param spoolDirectory where spool files go, or {@code null} for the JVM's temporary directory
 * @param authLimits how AUTH is rationed; used only with an authenticator
 */
public record ServerSettings(
        List<InetSocketAddress> addresses,
        List<InetSocketAddress> tlsAddresses,
        SessionConfig config,
        SmtpHandler handler,
        SSLContext sslContext,
        Authenticator authenticator,
        ExecutorService executor,
        int maxConnections,
        int maxConnectionsPerClient,
        int maxConnectionRatePerClient,
        Duration idleTimeout,
        long spoolThreshold,
        long envelopeMemory,
        long bufferMemory,
        Path spoolDirectory,
        boolean receivedHeader,
        Duration shutdownTimeout,
        Consumer<? super Throwable> onFatalError,
        AuthLimits authLimits) {

    public ServerSettings {
        addresses = List.copyOf(addresses);
        tlsAddresses = List.copyOf(tlsAddresses);
    }
}
