package io.smtpkit.cli;

import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.server.Authenticator;
import io.smtpkit.server.FileAuthenticator;
import io.smtpkit.server.PemTls;
import io.smtpkit.server.SmtpServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import org.slf4j.LoggerFactory;

/**
 * The options that configure the server rather than the handler or the addresses, translated to
 * {@link SmtpServer.Builder} and {@link SessionConfig} calls: limits, TLS, AUTH. Every value is
 * checked here, with a message naming the option, before anything binds.
 */
final class ServerSettings {

    private final CliOptions options;

    ServerSettings(CliOptions options) {
        this.options = options;
    }

    /** Checks every server option and applies it to {@code builder}: TLS, AUTH, session config, limits. */
    void applyTo(SmtpServer.Builder builder) throws UsageError {
        SSLContext tls = tls();
        Authenticator authenticator = authenticator(tls != null);
        builder.config(sessionConfig());
        if (tls != null) {
            builder.tls(tls);
        }
        if (authenticator != null) {
            builder.authenticator(authenticator);
        }
        authLimits(builder);
        if (options.loops != null) {
            if (options.loops < 1) {
                throw new UsageError("--loops must be 1 or more, not " + options.loops);
            }
            builder.loops(options.loops);
        }
        if (options.maxConnections != null) {
            builder.maxConnections(notNegative(options.maxConnections, "--max-connections"));
        }
        if (options.maxConnectionsPerClient != null) {
            builder.maxConnectionsPerClient(notNegative(options.maxConnectionsPerClient, "--max-connections-per-client"));
        }
        if (options.maxConnectionRate != null) {
            builder.maxConnectionRatePerClient(notNegative(options.maxConnectionRate, "--max-connection-rate"));
        }
        if (options.envelopeMemory != null) {
            builder.envelopeMemory(notNegative(options.envelopeMemory, "--envelope-memory"));
        }
        if (options.bufferMemory != null) {
            builder.bufferMemory(notNegative(options.bufferMemory, "--buffer-memory"));
        }
        if (options.timeout != null) {
            if (options.timeout <= 0) {
                throw new UsageError("--timeout must be a positive number of seconds, not " + options.timeout);
            }
            builder.idleTimeout(Duration.ofSeconds(options.timeout));
        }
    }

    private SSLContext tls() throws UsageError {
        if (options.tlsCert == null && options.tlsKey == null) {
            if (options.tlsPort != null) {
                throw new UsageError("--tls-port needs --tls-cert and --tls-key");
            }
            return null;
        }
        if (options.tlsCert == null || options.tlsKey == null) {
            throw new UsageError("--tls-cert and --tls-key must be given together");
        }
        readable(options.tlsCert, "--tls-cert");
        readable(options.tlsKey, "--tls-key");
        Provider provider = TlsProvider.named(options.tlsProvider);
        try {
            SSLContext context = PemTls.load(options.tlsCert, options.tlsKey, provider);
            LoggerFactory.getLogger(Main.class).debug("TLS by {}", context.getProvider().getName());
            return context;
        } catch (IOException e) {
            throw new UsageError("cannot read --tls-cert/--tls-key: " + Main.oneLine(e.getMessage()));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new UsageError("--tls-cert " + options.tlsCert + " and --tls-key " + options.tlsKey
                    + " are not a usable PEM certificate chain and private key: " + Main.oneLine(e.getMessage()));
        }
    }

    private Authenticator authenticator(boolean tls) throws UsageError {
        if (options.authFile == null) {
            if (options.requireAuth) {
                throw new UsageError("--require-auth needs --auth-file");
            }
            if (options.allowInsecureAuth) {
                throw new UsageError("--allow-insecure-auth needs --auth-file");
            }
            return null;
        }
        if (options.requireAuth && !tls && !options.allowInsecureAuth) {
            throw new UsageError("--require-auth without --tls-cert/--tls-key or --allow-insecure-auth would refuse all mail");
        }
        readable(options.authFile, "--auth-file");
        if (!tls && !options.allowInsecureAuth) {
            LoggerFactory.getLogger(Main.class).warn(
                    "--auth-file without TLS: AUTH will not be offered (add --tls-cert/--tls-key, or --allow-insecure-auth for tests)");
        }
        try {
            FileAuthenticator users = FileAuthenticator.load(options.authFile);
            if (users.size() == 0) {
                LoggerFactory.getLogger(Main.class).warn("--auth-file {} has no users: every AUTH will fail", options.authFile);
            }
            return users;
        } catch (IOException e) {
            throw new UsageError("--auth-file " + options.authFile + ": cannot read it (" + Main.oneLine(e.getMessage()) + ")");
        } catch (IllegalArgumentException e) {
            // The message names the file and line, never a password.
            throw new UsageError("--auth-file: " + Main.oneLine(e.getMessage()));
        }
    }

    /** --auth-failure-delay, --max-auth-per-client and --max-auth-failures: checked, and only with --auth-file. */
    private void authLimits(SmtpServer.Builder builder) throws UsageError {
        if (options.authFailureDelay != null && options.authFailureDelay < 0) {
            throw new UsageError("--auth-failure-delay must be 0 (no delay) or a number of seconds, not "
                    + options.authFailureDelay);
        }
        if (options.maxAuthPerClient != null) {
            notNegative(options.maxAuthPerClient, "--max-auth-per-client");
        }
        if (options.maxAuthFailures != null) {
            notNegative(options.maxAuthFailures, "--max-auth-failures");
        }
        if (options.authFile == null) {
            String given = options.authFailureDelay != null ? "--auth-failure-delay"
                    : options.maxAuthPerClient != null ? "--max-auth-per-client"
                    : options.maxAuthFailures != null ? "--max-auth-failures"
                    : null;
            if (given != null) {
                throw new UsageError(given + " needs --auth-file");
            }
            return;
        }
        if (options.authFailureDelay != null) {
            builder.authFailureDelay(Duration.ofSeconds(options.authFailureDelay));
        }
        if (options.maxAuthPerClient != null) {
            builder.maxConcurrentAuthPerClient(options.maxAuthPerClient);
        }
        if (options.maxAuthFailures != null) {
            builder.maxAuthFailuresPerClient(options.maxAuthFailures);
        }
    }

    private SessionConfig sessionConfig() throws UsageError {
        SessionConfig.Builder config = SessionConfig.builder();
        if (options.hostname != null) {
            try {
                config.hostname(options.hostname);
            } catch (IllegalArgumentException e) {
                throw new UsageError("--hostname '" + options.hostname + "': must be printable ASCII without spaces");
            }
        }
        if (options.size != null) {
            if (options.size < 0) {
                throw new UsageError("--size must be 0 (no limit) or a positive number of bytes, not " + options.size);
            }
            config.maxMessageSize(options.size);
        }
        if (options.maxRecipients != null) {
            config.maxRecipients(notNegative(options.maxRecipients, "--max-recipients"));
        }
        if (options.maxRecipientOvershoot != null) {
            config.maxRecipientOvershoot(notNegative(options.maxRecipientOvershoot, "--max-recipient-overshoot"));
        }
        if (options.maxErrors != null) {
            config.maxErrors(notNegative(options.maxErrors, "--max-errors"));
        }
        return config.smtpUtf8(options.smtpUtf8)
                .lmtp(options.lmtp)
                .requireAuth(options.requireAuth)
                .allowInsecureAuth(options.allowInsecureAuth)
                .build();
    }

    private static int notNegative(int value, String option) throws UsageError {
        return (int) notNegative((long) value, option);
    }

    private static long notNegative(long value, String option) throws UsageError {
        if (value < 0) {
            throw new UsageError(option + " must be 0 (no limit) or more, not " + value);
        }
        return value;
    }

    private static void readable(Path file, String option) throws UsageError {
        if (!Files.exists(file)) {
            throw new UsageError(option + " " + file + ": no such file");
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new UsageError(option + " " + file + ": cannot read this file");
        }
    }
}
