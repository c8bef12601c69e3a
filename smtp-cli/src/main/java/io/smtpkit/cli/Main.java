package io.smtpkit.cli;

import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.server.Authenticator;
import io.smtpkit.server.FileAuthenticator;
import io.smtpkit.server.HandlerProvider;
import io.smtpkit.server.HandlerRegistry;
import io.smtpkit.server.PemTls;
import io.smtpkit.server.SmtpHandler;
import io.smtpkit.server.SmtpServer;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Help.Ansi;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code smtpkit} command: {@code java -jar smtpkit.jar [options] [LOCALHOST:PORT [REMOTEHOST:PORT]]},
 * the successor of {@code python -m smtpd -n -c DebuggingServer localhost:8025}.
 *
 * <p>Bad input (an option, an address, a file, a handler, a port in use) is reported as one line
 * on stderr with exit status {@value #USAGE}, never as a stack trace. Once listening, one line on
 * stdout says where; SIGTERM or Ctrl-C closes the server gracefully.
 *
 * <p>Tests run the command in-process with {@link #start(String[], PrintStream, PrintStream)},
 * which returns at once with a {@link Started} that holds the running server.
 */
public final class Main {

    /** Exit status after a clean run or shutdown. */
    public static final int OK = 0;
    /** Exit status for an unexpected failure (a bug): the message asks for -v to see more. */
    public static final int FAILURE = 1;
    /** Exit status for bad input, as picocli and most Unix commands use for usage errors. */
    public static final int USAGE = 2;

    /**
     * smtpd class names mapped here only when no handler claims them itself: a provider's
     * {@link HandlerProvider#aliases()} always wins, so these fill in for handlers that do not
     * declare them (yet).
     */
    private static final Map<String, String> SMTPD_ALIASES = Map.of(
            "debuggingserver", "debug",
            "pureproxy", "relay",
            "mailmanproxy", "lmtp");

    // No static Logger: slf4j-simple reads its level once, when the first logger is made, and
    // -v/-q must set it before that (see configureLogging).

    private Main() {}

    /** Runs the command; exits with {@link #USAGE} on bad input, serves until SIGTERM/Ctrl-C otherwise. */
    public static void main(String[] args) {
        Started started = start(args, System.out, System.err);
        if (!started.isRunning()) {
            System.out.flush();
            System.exit(started.exitCode());
        }
        // Closing in a shutdown hook makes SIGTERM and Ctrl-C graceful: idle sessions get 421,
        // messages in flight finish. Never System.exit from here: the JVM is already exiting.
        Runtime.getRuntime().addShutdownHook(new Thread(started::close, "smtpkit-shutdown"));
        started.awaitClose();
    }

    /**
     * Runs the command and blocks while the server serves: returns when it is closed (by
     * SIGTERM/Ctrl-C through a shutdown hook) or at once with the exit status of a command that
     * does not serve (--help, --list-handlers, bad input).
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Started started = start(args, out, err);
        if (!started.isRunning()) {
            return started.exitCode();
        }
        Thread hook = new Thread(started::close, "smtpkit-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        started.awaitClose();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is what closed the server
        }
        return started.exitCode();
    }

    /**
     * Runs the command without blocking: parses {@code args}, prints to {@code out} and
     * {@code err} as the command would, and if the command serves, returns with the server
     * started. The caller closes it.
     */
    public static Started start(String[] args, PrintStream out, PrintStream err) {
        CliOptions options = new CliOptions();
        CommandLine commandLine = new CommandLine(options);
        commandLine.setExpandAtFiles(false);
        commandLine.setUsageHelpWidth(100);
        try {
            commandLine.parseArgs(args);
        } catch (ParameterException e) {
            err.println("smtpkit: " + describe(e) + " (see --help)");
            return Started.exited(USAGE);
        }
        if (commandLine.isUsageHelpRequested()) {
            commandLine.usage(out, Ansi.OFF);
            return Started.exited(OK);
        }
        if (commandLine.isVersionHelpRequested()) {
            out.println("smtpkit " + Version.get());
            return Started.exited(OK);
        }
        if (options.quiet && options.verbose.length > 0) {
            err.println("smtpkit: -q/--quiet and -v/--verbose contradict each other; give one");
            return Started.exited(USAGE);
        }
        configureLogging(options);
        try {
            return new Launcher(options, out).launch();
        } catch (UsageError e) {
            err.println("smtpkit: " + e.getMessage());
            return Started.exited(USAGE);
        } catch (Exception | LinkageError e) {
            err.println("smtpkit: unexpected error: " + oneLine(String.valueOf(e))
                    + (options.verbose.length > 0 ? "" : " (run with -v for details)"));
            if (options.verbose.length > 0) {
                e.printStackTrace(err);
            }
            return Started.exited(FAILURE);
        }
    }

    /** picocli's message on one line, with its "did you mean" suggestions for a typo. */
    private static String describe(ParameterException e) {
        String message = oneLine(e.getMessage());
        if (e instanceof UnmatchedArgumentException unmatched && !unmatched.getSuggestions().isEmpty()) {
            message += "; did you mean " + String.join(" or ", unmatched.getSuggestions()) + "?";
        }
        return message;
    }

    static String oneLine(String text) {
        return text == null ? "" : text.strip().replaceAll("\\s*[\\r\\n]+\\s*", "; ");
    }

    /**
     * Sets slf4j-simple's level before any logger exists (it reads System properties once).
     * A level set with -D on the java command line is kept unless -v or -q ask otherwise.
     */
    private static void configureLogging(CliOptions options) {
        String prefix = "org.slf4j.simpleLogger.";
        String level = options.quiet ? "warn"
                : options.verbose.length >= 2 ? "trace"
                : options.verbose.length == 1 ? "debug"
                : null;
        if (level != null) {
            System.setProperty(prefix + "defaultLogLevel", level);
        } else if (System.getProperty(prefix + "defaultLogLevel") == null) {
            System.setProperty(prefix + "defaultLogLevel", "info");
        }
        setIfAbsent(prefix + "logFile", "System.err");
        setIfAbsent(prefix + "showDateTime", "true");
        setIfAbsent(prefix + "dateTimeFormat", "HH:mm:ss.SSS");
        setIfAbsent(prefix + "showShortLogName", "true");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    /** Turns parsed options into a started server, checking everything before binding. */
    private static final class Launcher {
        private final CliOptions options;
        private final PrintStream out;
        private URLClassLoader pluginLoader;

        Launcher(CliOptions options, PrintStream out) {
            this.options = options;
            this.out = out;
        }

        Started launch() throws UsageError {
            try {
                return launchOrThrow();
            } catch (UsageError | RuntimeException e) {
                closeQuietly(pluginLoader);
                throw e;
            }
        }

        private Started launchOrThrow() throws UsageError {
            HandlerRegistry registry = registry();
            if (options.listHandlers) {
                printHandlers(registry);
                closeQuietly(pluginLoader);
                return Started.exited(OK);
            }
            List<InetSocketAddress> listen = listenAddresses();
            HandlerProvider provider = provider(registry, options.handler);
            SmtpHandler handler = handler(provider);
            SSLContext tls = tls();
            Authenticator authenticator = authenticator(tls != null);

            SmtpServer.Builder builder = SmtpServer.builder()
                    .config(sessionConfig())
                    .handler(handler);
            listen.forEach(builder::listen);
            if (options.tlsPort != null) {
                builder.listenTls(Addresses.withPort(listen.get(0), options.tlsPort));
            }
            if (tls != null) {
                builder.tls(tls);
            }
            if (authenticator != null) {
                builder.authenticator(authenticator);
            }
            authLimits(builder);
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

            SmtpServer server = builder.build();
            try {
                server.start();
            } catch (IOException e) {
                closeQuietly(server);
                String message = oneLine(e.getMessage());
                // The server's message names the address ("cannot listen on 127.0.0.1:25: ...").
                throw new UsageError(message.startsWith("cannot listen")
                        ? message : "cannot listen on " + describeRequested(listen) + ": " + message);
            }
            List<InetSocketAddress> bound = server.addresses();
            out.println("smtpkit " + Version.get() + " listening on " + describeBound(bound, listen.size())
                    + " (handler " + provider.name() + ")");
            out.flush();
            return Started.running(server, pluginLoader);
        }

        private HandlerRegistry registry() throws UsageError {
            ClassLoader loader = Main.class.getClassLoader();
            if (options.plugins != null) {
                pluginLoader = pluginLoader(options.plugins);
                loader = pluginLoader;
            }
            try {
                return HandlerRegistry.load(loader);
            } catch (IllegalStateException | ServiceConfigurationError | LinkageError e) {
                throw new UsageError(oneLine(e.getMessage()));
            }
        }

        /** A loader over every jar in {@code dir} whose parent is the application's loader. */
        private static URLClassLoader pluginLoader(Path dir) throws UsageError {
            if (!Files.isDirectory(dir)) {
                throw new UsageError("--plugins " + dir + (Files.exists(dir) ? ": not a folder" : ": no such folder"));
            }
            List<URL> jars = new ArrayList<>();
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*.jar")) {
                for (Path jar : entries) {
                    if (!Files.isReadable(jar)) {
                        throw new UsageError("--plugins: cannot read " + jar);
                    }
                    // A URLClassLoader silently skips a broken jar; say so instead of "unknown handler".
                    try (JarFile checked = new JarFile(jar.toFile())) {
                        checked.getManifest(); // opening it proves the zip directory is readable
                        jars.add(jar.toUri().toURL());
                    } catch (IOException e) {
                        throw new UsageError("--plugins: " + jar + " is not a readable jar (" + oneLine(e.getMessage()) + ")");
                    }
                }
            } catch (MalformedURLException e) {
                throw new UsageError("--plugins " + dir + ": " + oneLine(e.getMessage()));
            } catch (IOException | SecurityException e) {
                throw new UsageError("--plugins " + dir + ": cannot read the folder (" + oneLine(String.valueOf(e.getMessage())) + ")");
            }
            jars.sort((a, b) -> a.toString().compareTo(b.toString()));
            if (jars.isEmpty()) {
                LoggerFactory.getLogger(Main.class).warn("--plugins {}: no .jar files in this folder", dir);
            }
            return new URLClassLoader("smtpkit-plugins", jars.toArray(URL[]::new), Main.class.getClassLoader());
        }

        private void printHandlers(HandlerRegistry registry) {
            for (HandlerProvider provider : registry.providers()) {
                List<String> aliases = new ArrayList<>(provider.aliases());
                SMTPD_ALIASES.forEach((alias, name) -> {
                    if (name.equals(provider.name()) && registry.find(alias).isEmpty()) {
                        aliases.add(smtpdSpelling(alias));
                    }
                });
                out.println(provider.name() + (aliases.isEmpty() ? "" : " (aliases: " + String.join(", ", aliases) + ")"));
                out.println("    " + provider.description());
                for (Map.Entry<String, String> option : provider.options().entrySet()) {
                    out.println(String.format(Locale.ROOT, "    -o %-18s %s", option.getKey() + "=...", option.getValue()));
                }
            }
            out.flush();
        }

        private static String smtpdSpelling(String alias) {
            switch (alias) {
                case "debuggingserver": return "DebuggingServer";
                case "pureproxy": return "PureProxy";
                case "mailmanproxy": return "MailmanProxy";
                default: return alias;
            }
        }

        private List<InetSocketAddress> listenAddresses() throws UsageError {
            List<InetSocketAddress> addresses = new ArrayList<>();
            if (options.localAddress != null) {
                addresses.add(Addresses.parse(options.localAddress, "LOCALHOST:PORT"));
            }
            for (String text : options.listen) {
                addresses.add(Addresses.parse(text, "--listen"));
            }
            if (addresses.isEmpty()) {
                addresses.add(SmtpServer.DEFAULT_ADDRESS);
            }
            if (options.remoteAddress != null) {
                Addresses.parse(options.remoteAddress, "REMOTEHOST:PORT"); // fail early on a typo
            }
            if (options.tlsPort != null && (options.tlsPort < 0 || options.tlsPort > 65535)) {
                throw new UsageError("--tls-port must be a number from 0 to 65535, not " + options.tlsPort);
            }
            return addresses;
        }

        /** By name or provider alias; smtpd's class names when no provider claims them. */
        private static HandlerProvider provider(HandlerRegistry registry, String name) throws UsageError {
            Optional<HandlerProvider> found = registry.find(name);
            String mapped = SMTPD_ALIASES.get(name.toLowerCase(Locale.ROOT));
            if (found.isEmpty() && mapped != null) {
                found = registry.find(mapped);
            }
            if (found.isPresent()) {
                return found.get();
            }
            String available = registry.providers().isEmpty() ? "none" : registry.names();
            if (mapped != null) {
                throw new UsageError("handler '" + name + "' is smtpkit's '" + mapped
                        + "', which is not available in this build; available: " + available);
            }
            throw new UsageError("unknown handler '" + name + "'; available: " + available + " (see --list-handlers)");
        }

        private SmtpHandler handler(HandlerProvider provider) throws UsageError {
            Map<String, String> handlerOptions = handlerOptions(options.handlerOptions);
            if (options.remoteAddress != null) {
                if (!provider.options().containsKey("upstream")) {
                    throw new UsageError("handler '" + provider.name() + "' takes no upstream, so REMOTEHOST:PORT '"
                            + options.remoteAddress + "' cannot be used (it is for a forwarding handler such as relay)");
                }
                if (handlerOptions.containsKey("upstream")) {
                    throw new UsageError("the upstream is given twice: as REMOTEHOST:PORT and as -o upstream=");
                }
                handlerOptions.put("upstream", options.remoteAddress);
            }
            try {
                SmtpHandler handler = provider.create(handlerOptions);
                if (handler == null) {
                    throw new UsageError("handler '" + provider.name() + "' could not be made (its provider returned null)");
                }
                return handler;
            } catch (RuntimeException e) {
                String message = oneLine(e.getMessage());
                if (message.isEmpty()) {
                    message = e.getClass().getSimpleName();
                }
                throw new UsageError(message.toLowerCase(Locale.ROOT).contains("handler")
                        ? message : "handler '" + provider.name() + "': " + message);
            }
        }

        /** {@code -o KEY=VALUE} pairs; the value may contain '=', a key may not be given twice. */
        private static Map<String, String> handlerOptions(List<String> pairs) throws UsageError {
            Map<String, String> parsed = new LinkedHashMap<>();
            for (String pair : pairs) {
                int equals = pair.indexOf('=');
                if (equals <= 0) {
                    throw new UsageError("-o '" + pair + "' is not KEY=VALUE, e.g. -o dir=./mail");
                }
                String key = pair.substring(0, equals).strip();
                if (parsed.put(key, pair.substring(equals + 1)) != null) {
                    throw new UsageError("-o " + key + "= is given twice");
                }
            }
            return parsed;
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
            try {
                return PemTls.load(options.tlsCert, options.tlsKey);
            } catch (IOException e) {
                throw new UsageError("cannot read --tls-cert/--tls-key: " + oneLine(e.getMessage()));
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                throw new UsageError("--tls-cert " + options.tlsCert + " and --tls-key " + options.tlsKey
                        + " are not a usable PEM certificate chain and private key: " + oneLine(e.getMessage()));
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
                throw new UsageError("--auth-file " + options.authFile + ": cannot read it (" + oneLine(e.getMessage()) + ")");
            } catch (IllegalArgumentException e) {
                // The message names the file and line, never a password.
                throw new UsageError("--auth-file: " + oneLine(e.getMessage()));
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

        private static String describeRequested(List<InetSocketAddress> listen) {
            return listen.stream().map(Addresses::format).collect(Collectors.joining(", "));
        }

        private static String describeBound(List<InetSocketAddress> bound, int plain) {
            String text = bound.subList(0, Math.min(plain, bound.size())).stream()
                    .map(Addresses::format).collect(Collectors.joining(", "));
            if (bound.size() > plain) {
                text += " and with TLS on " + bound.subList(plain, bound.size()).stream()
                        .map(Addresses::format).collect(Collectors.joining(", "));
            }
            return text;
        }
    }

    static void closeQuietly(AutoCloseable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (Exception ignored) {
            // closing on an error path: the first error is the one to report
        }
    }

    /**
     * What {@link #start} did: either the command finished with {@link #exitCode()}, or a server
     * is {@linkplain #isRunning() running} until {@link #close()}.
     */
    public static final class Started implements AutoCloseable {
        private final int exitCode;
        private final SmtpServer server;
        private final URLClassLoader pluginLoader;
        private final CountDownLatch closed = new CountDownLatch(1);

        private Started(int exitCode, SmtpServer server, URLClassLoader pluginLoader) {
            this.exitCode = exitCode;
            this.server = server;
            this.pluginLoader = pluginLoader;
            if (server == null) {
                closed.countDown();
            }
        }

        static Started exited(int exitCode) {
            return new Started(exitCode, null, null);
        }

        static Started running(SmtpServer server, URLClassLoader pluginLoader) {
            return new Started(OK, server, pluginLoader);
        }

        /** The exit status: {@link #OK}, {@link #USAGE} or {@link #FAILURE}; {@link #OK} while running. */
        public int exitCode() {
            return exitCode;
        }

        /** Whether a server was started and is not closed yet. */
        public boolean isRunning() {
            return closed.getCount() > 0;
        }

        /** The started server, if the command serves. */
        public Optional<SmtpServer> server() {
            return Optional.ofNullable(server);
        }

        /** The bound addresses, real ports included; empty if nothing is served. */
        public List<InetSocketAddress> addresses() {
            return server == null ? List.of() : server.addresses();
        }

        /** Blocks until {@link #close()} has finished. */
        public void awaitClose() {
            boolean interrupted = false;
            while (true) {
                try {
                    closed.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        /** Blocks until closed or the timeout passes; true if closed. */
        public boolean awaitClose(long timeout, TimeUnit unit) throws InterruptedException {
            return closed.await(timeout, unit);
        }

        /** Closes the server gracefully (see {@link SmtpServer#close()}) and the plugins' loader. Idempotent. */
        @Override
        public synchronized void close() {
            if (closed.getCount() == 0) {
                return;
            }
            try {
                server.close(); // logs "server closed" itself
            } finally {
                closeQuietly(pluginLoader);
                closed.countDown();
            }
        }
    }
}
