package io.smtpkit.cli;

import io.smtpkit.server.SmtpServer;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URLClassLoader;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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
        serve(started);
    }

    /**
     * Runs the command and blocks while the server serves: returns when it is closed (by
     * SIGTERM/Ctrl-C through a shutdown hook) or at once with the exit status of a command that
     * does not serve (--help, --list-handlers, bad input).
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Started started = start(args, out, err);
        return started.isRunning() ? serve(started) : started.exitCode();
    }

    /** Serves until the server is closed, by SIGTERM/Ctrl-C through a shutdown hook or by a caller. */
    private static int serve(Started started) {
        // Closing in a shutdown hook makes SIGTERM and Ctrl-C graceful: idle sessions get 421,
        // messages in flight finish. Never System.exit from the hook: the JVM is already exiting.
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
        CommandLine.ParseResult parsed;
        try {
            parsed = commandLine.parseArgs(args);
        } catch (ParameterException e) {
            err.println("smtpkit: " + describe(e) + " (see " + (e.getCommandLine() == commandLine ? "" : "queue ") + "--help)");
            return Started.exited(USAGE);
        }
        if (parsed.subcommand() != null) {
            CommandLine sub = parsed.subcommand().commandSpec().commandLine();
            if (sub.isUsageHelpRequested()) {
                sub.usage(out, Ansi.OFF);
                return Started.exited(OK);
            }
            setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", "warn"); // the queue command's output is its own
            setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err");
            return Started.exited(((QueueCommand) sub.getCommand()).run(out, err));
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
        private final AutoCloseable handler;
        private final CountDownLatch closed = new CountDownLatch(1);

        private Started(int exitCode, SmtpServer server, URLClassLoader pluginLoader, AutoCloseable handler) {
            this.exitCode = exitCode;
            this.server = server;
            this.pluginLoader = pluginLoader;
            this.handler = handler;
            if (server == null) {
                closed.countDown();
            }
        }

        static Started exited(int exitCode) {
            return new Started(exitCode, null, null, null);
        }

        /** A running server; {@code handler}, when not null, is closed after the server (the relay queue's runner and store). */
        static Started running(SmtpServer server, URLClassLoader pluginLoader, AutoCloseable handler) {
            return new Started(OK, server, pluginLoader, handler);
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
                closeQuietly(handler);
                closeQuietly(pluginLoader);
                closed.countDown();
            }
        }
    }
}
