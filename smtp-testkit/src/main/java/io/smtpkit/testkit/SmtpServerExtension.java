package io.smtpkit.testkit;

import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.server.SmtpServer;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An SMTP server for tests: it listens on {@code 127.0.0.1} on a free port, keeps every message
 * it accepts, waits for them, and does on cue what real servers do to clients (refuse, delay,
 * disconnect, stall), so that a test can check its mail code's error paths too.
 * <pre>{@code
 * @RegisterExtension
 * static final SmtpServerExtension smtp = SmtpServerExtension.create();
 *
 * @Test
 * void sendsTheWelcomeMail() {
 *     signup.register("alice@example.org");   // the code under test, sending to smtp.host():smtp.port()
 *     ReceivedMessage m = smtp.awaitMessage();
 *     assertThat(m).hasEnvelopeRecipient("alice@example.org").hasSubject("Welcome");
 * }
 * }</pre>
 *
 * <p><b>Life cycle.</b> In a {@code static} field, one server serves the whole class (and its
 * {@code @Nested} classes) and is reset before each test: its messages, sessions and the scripts of
 * the previous test are forgotten, its port stays. In an instance field, each test gets its own
 * server. Tests that share a server never overlap: under JUnit's parallel execution they take
 * turns on it, while tests with servers of their own run side by side. The port is always a free
 * one unless {@link Builder#port(int)} fixes it, and it is known as soon as {@link #port()} is
 * called: that starts the server if needed, so a Spring {@code @DynamicPropertySource} can ask for
 * it before any test callback ran. Outside JUnit, {@link #start()} and {@link #close()} do it by
 * hand.
 *
 * <p><b>Waiting.</b> {@link #awaitMessages(int, Duration)} returns as soon as the messages are in
 * and fails, with what did arrive and the end of each session's transcript, when they are not.
 * Without a timeout the default applies: 10 seconds, or the system property
 * {@value #TIMEOUT_PROPERTY} ({@code 30s}, {@code 500ms}, {@code PT1M}), or
 * {@link Builder#defaultTimeout(Duration)}.
 *
 * <p><b>Scripts.</b> {@link #whenConnect()}, {@link #whenHello()}, {@link #whenMail()},
 * {@link #whenRcpt()}, {@link #whenData()}, {@link #whenMessage()} and {@link #whenQuit()} script
 * the server's answer at each stage (see {@link ScriptBuilder}); {@link #greylist()} is the usual
 * greylisting. A script registered in a test that never acted fails the test when it ends.
 *
 * <p>Thread-safe: the code under test may send from any thread.
 */
public final class SmtpServerExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
        AfterEachCallback, AutoCloseable {

    /** The system property with the default wait ({@code 30s}, {@code 500ms}, {@code PT1M}, or milliseconds). */
    public static final String TIMEOUT_PROPERTY = "smtpkit.testkit.timeout";
    /** The default wait when neither the property nor the builder sets one. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    static final Reply GREYLISTED = Reply.of(451, "4.7.1", "Greylisted, please try again later");

    private final Builder settings;
    private final Duration defaultTimeout;
    private final Recorder recorder = new Recorder();
    private final TestScopes scopes = new TestScopes(this);
    /** Null while stopped; guarded by {@code this}. */
    private ServerLauncher.Running running;
    /** Whether a test is under way: its scripts are its own, and checked when it ends. */
    private volatile boolean inTest;

    private SmtpServerExtension(Builder settings) {
        this.settings = settings;
        this.defaultTimeout = settings.defaultTimeout != null ? settings.defaultTimeout : Durations.timeoutFromProperty();
    }

    /** A server with the defaults: 127.0.0.1, a free port, no TLS, no AUTH. */
    public static SmtpServerExtension create() {
        return builder().build();
    }

    /** A builder for a server with TLS, AUTH, limits or other settings. */
    public static Builder builder() {
        return new Builder();
    }

    // ------------------------------------------------------------------------------------------
    // Where it listens

    /** The address to connect to: {@code 127.0.0.1}. */
    public String host() {
        return "127.0.0.1";
    }

    /** The plain SMTP port (STARTTLS there when TLS is on). Starts the server if it is not running. */
    public int port() {
        return running().port();
    }

    /**
     * The implicit-TLS port (RFC 8314, "port 465" style).
     *
     * @throws IllegalStateException unless built with {@link Builder#implicitTls()}
     */
    public int tlsPort() {
        if (!settings.implicitTls) {
            throw new IllegalStateException("no implicit-TLS listener: build the server with implicitTls()");
        }
        return running().tlsPort();
    }

    /**
     * The server's generated certificate and what a client needs to trust it.
     *
     * @throws IllegalStateException unless built with {@link Builder#tls()} or {@link Builder#implicitTls()}
     */
    public TestCertificate certificate() {
        TestCertificate certificate = running().certificate();
        if (certificate == null) {
            throw new IllegalStateException("TLS is off: build the server with tls() or implicitTls()");
        }
        return certificate;
    }

    /**
     * Jakarta Mail / Angus Mail settings for this server: host, port, timeouts of the
     * {@linkplain #defaultTimeout() default wait}, and with TLS, STARTTLS required and the
     * certificate trusted ({@code mail.smtp.ssl.socketFactory}). Angus authenticates when given a
     * user and password ({@code Transport.send(message, user, password)}).
     * {@code Session.getInstance(smtp.mailProperties())}.
     */
    public Properties mailProperties() {
        return running().mailProperties(host(), defaultTimeout);
    }

    /** The wait used when none is given. */
    public Duration defaultTimeout() {
        return defaultTimeout;
    }

    // ------------------------------------------------------------------------------------------
    // What arrived

    /** Every message accepted since the test began (or the last {@link #reset()}), in order, without waiting. */
    public List<ReceivedMessage> messages() {
        return recorder.messages();
    }

    /**
     * The messages that have {@code recipient} among their envelope recipients (case-insensitive):
     * the per-recipient view. A message to three recipients is one {@link ReceivedMessage} and
     * appears in the view of each.
     */
    public List<ReceivedMessage> messagesTo(String recipient) {
        return recorder.messages().stream()
                .filter(m -> m.recipients().stream().anyMatch(r -> r.equalsIgnoreCase(recipient)))
                .toList();
    }

    /**
     * Waits until at least {@code count} messages have arrived and returns all that have (in
     * order; more than {@code count} if more came).
     *
     * @throws AssertionError if fewer arrived within {@code timeout}: the message lists those that
     *     did (envelope, subject) and the last lines of each session's transcript
     */
    public List<ReceivedMessage> awaitMessages(int count, Duration timeout) {
        if (count < 1) {
            throw new IllegalArgumentException("count must be at least 1: " + count);
        }
        List<ReceivedMessage> got = await(count, timeout);
        if (got.size() < count) {
            throw new AssertionError("expected " + count + " message(s) within " + Durations.pretty(timeout) + " but "
                    + got.size() + " arrived" + report(got));
        }
        return got;
    }

    /** {@link #awaitMessages(int, Duration)} with the {@linkplain #defaultTimeout() default timeout}. */
    public List<ReceivedMessage> awaitMessages(int count) {
        return awaitMessages(count, defaultTimeout);
    }

    /** Waits for the first message (default timeout) and returns it. */
    public ReceivedMessage awaitMessage() {
        return awaitMessages(1).get(0);
    }

    /**
     * Waits {@code duration} and fails if any message is there, or arrives meanwhile (it fails as
     * soon as one does).
     */
    public void assertNoMessagesFor(Duration duration) {
        List<ReceivedMessage> got = await(1, duration);
        if (!got.isEmpty()) {
            throw new AssertionError("expected no message for " + Durations.pretty(duration) + " but " + got.size()
                    + " arrived" + report(got));
        }
    }

    /** An interrupted test thread ends the test as a failure, with the interrupt kept for JUnit to see. */
    private List<ReceivedMessage> await(int count, Duration timeout) {
        try {
            return recorder.await(count, timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for messages", e);
        }
    }

    /** The connections seen since the test began, in order: transcripts and how each client spoke SMTP. */
    public List<ClientSession> sessions() {
        return recorder.sessions();
    }

    /** True if some session sent STARTTLS (seen on the wire) or ran under TLS. */
    public boolean clientUsedTls() {
        return sessions().stream().anyMatch(s -> s.usedStartTls() || s.usedTls());
    }

    /** The AUTH mechanisms clients used, in order of sessions (seen on the wire). */
    public List<String> authMechanisms() {
        return sessions().stream().map(ClientSession::authMechanism).filter(Objects::nonNull).toList();
    }

    /** True if some session pipelined commands (RFC 2920; seen on the wire). */
    public boolean clientPipelined() {
        return sessions().stream().anyMatch(ClientSession::pipelined);
    }

    /**
     * True if, after a 4xx answer at MAIL, RCPT or the end of data, the client tried the same again
     * (the same sender; the same sender and recipient; the same transaction), in this session or a
     * later one.
     */
    public boolean clientRetriedAfterTransientFailure() {
        return recorder.retriedAfterTransientFailure() != null;
    }

    // ------------------------------------------------------------------------------------------
    // Scripts

    /** Scripts the connect: {@code whenConnect().reply(554, "5.7.1", "Go away")}, {@code .disconnect()}, {@code .stall()}. */
    public ScriptBuilder whenConnect() {
        return when(Stage.CONNECT);
    }

    /** Scripts HELO/EHLO; only refusals are sent (a 2xx reply is the server's own, with its keywords). */
    public ScriptBuilder whenHello() {
        return when(Stage.HELLO);
    }

    /** Scripts MAIL FROM. */
    public ScriptBuilder whenMail() {
        return when(Stage.MAIL);
    }

    /** Scripts MAIL FROM for this sender. */
    public ScriptBuilder whenMail(String sender) {
        return when(Stage.MAIL).from(sender);
    }

    /** Scripts RCPT TO, any recipient. */
    public ScriptBuilder whenRcpt() {
        return when(Stage.RCPT);
    }

    /** Scripts RCPT TO for this recipient: {@code whenRcpt("bounce@example.org").reply(550, "5.1.1", "No such user")}. */
    public ScriptBuilder whenRcpt(String recipient) {
        return when(Stage.RCPT).to(recipient);
    }

    /** Scripts the DATA command (refuse it) and the content after it ({@code disconnectAfter(octets)}, {@code throttle}). */
    public ScriptBuilder whenData() {
        return when(Stage.DATA);
    }

    /** Scripts the answer to the whole message, after its final dot: refuse it, delay it, answer 421. */
    public ScriptBuilder whenMessage() {
        return when(Stage.MESSAGE);
    }

    /** Scripts QUIT. */
    public ScriptBuilder whenQuit() {
        return when(Stage.QUIT);
    }

    /**
     * Greylisting (RFC 6647): each sender/recipient pair is answered {@code 451 4.7.1} at RCPT the
     * first time it is seen, and accepted afterwards. Whether the client came back is
     * {@link #clientRetriedAfterTransientFailure()}.
     */
    public Script greylist() {
        return when(Stage.RCPT).greylist();
    }

    /** All scripts in force, in the order they were registered. */
    public List<Script> scripts() {
        return recorder.scripts();
    }

    private ScriptBuilder when(Stage stage) {
        return new ScriptBuilder(stage, recorder::add, inTest);
    }

    // ------------------------------------------------------------------------------------------
    // Life cycle

    /**
     * Starts the server if it is not running; JUnit does this through the callbacks. Called by any
     * method that needs the server.
     *
     * @return this
     * @throws UncheckedIOException if the address cannot be bound
     */
    public synchronized SmtpServerExtension start() {
        if (running == null) {
            running = ServerLauncher.start(settings, recorder, host());
        }
        return this;
    }

    /** Stops the server (graceful, a second at most); a later call that needs it starts a new one, on a new port. */
    @Override
    public void close() {
        ServerLauncher.Running stopping;
        synchronized (this) {
            stopping = running;
            running = null;
        }
        if (stopping != null) {
            // Outside the lock: a hook still delaying must not block a test thread asking for port().
            recorder.serverStopping();
            stopping.server().close();
        }
    }

    synchronized boolean isRunning() {
        return running != null;
    }

    int availableTurns() {
        return scopes.availableTurns();
    }

    /** Forgets the messages, sessions and the current test's scripts; done before each test. */
    public void reset() {
        recorder.reset();
    }

    /** Opens a class scope: the server is shared by the class's tests (and its {@code @Nested} classes'). Called by JUnit. */
    @Override
    public void beforeAll(ExtensionContext context) {
        scopes.enterClass();
        start();
    }

    /** Closes a class scope; after the outermost, checks the class-wide scripts and stops the server. Called by JUnit. */
    @Override
    public void afterAll(ExtensionContext context) {
        if (scopes.leaveClass()) {
            try {
                checkFired(false, "the test class");
            } finally {
                close();
            }
        }
    }

    /** Takes the shared server's turn (or starts the test's own server) and resets it. Called by JUnit. */
    @Override
    public void beforeEach(ExtensionContext context) throws InterruptedException {
        scopes.beginTest(context);
        start();
        recorder.reset();
        inTest = true;
    }

    /** Fails the test if one of its scripts never acted, then hands the server on (or stops it). Called by JUnit. */
    @Override
    public void afterEach(ExtensionContext context) {
        TestScopes.Lease lease = scopes.endTest(context);
        if (lease == null) {
            return; // beforeEach never ran for this test (an earlier extension failed): nothing to undo
        }
        try {
            if (context.getExecutionException().isPresent() && FailureInbox.wanted(settings.inboxOnFailure)) {
                URI inbox = FailureInbox.show(context.getDisplayName(), recorder.messages(), System.err);
                if (inbox != null) {
                    context.publishReportEntry("smtpkit.inbox", inbox.toString());
                }
            }
            checkFired(true, "the test");
        } finally {
            inTest = false;
            recorder.removeTestScripts();
            if (lease == TestScopes.Lease.OWN) {
                close();
            }
            scopes.giveBack(lease);
        }
    }

    private void checkFired(boolean testScoped, String scope) {
        if (!settings.failOnUnfiredScripts) {
            return;
        }
        List<Script> unfired = recorder.unfired(testScoped);
        if (!unfired.isEmpty()) {
            throw new AssertionError("script(s) that never acted during " + scope + ": "
                    + unfired.stream().map(Script::toString).collect(Collectors.joining("; "))
                    + "\n(the client never got there; mark a script optional() or build the server with"
                    + " failOnUnfiredScripts(false) if that is expected)" + report(recorder.messages()));
        }
    }

    private synchronized ServerLauncher.Running running() {
        start();
        return running;
    }

    private String report(List<ReceivedMessage> got) {
        String where;
        Throwable fatal;
        synchronized (this) {
            where = running == null ? null : host() + ":" + running.port();
            fatal = running == null ? null : running.fatal().get();
        }
        return FailureReport.of(got, recorder.sessions(), where, fatal);
    }

    /** The settings of a test server. Each method returns the builder. */
    public static final class Builder {
        int port;
        boolean tls;
        boolean implicitTls;
        final Map<String, String> users = new LinkedHashMap<>();
        Boolean requireTls;
        Boolean requireAuth;
        Boolean smtpUtf8;
        Long maxMessageSize;
        boolean lmtp;
        SessionConfig config = SessionConfig.builder().build();
        boolean receivedHeader = true;
        Duration defaultTimeout;
        boolean failOnUnfiredScripts = true;
        boolean inboxOnFailure;
        final List<Consumer<SmtpServer.Builder>> serverCustomizers = new ArrayList<>();

        private Builder() {}

        /** A fixed port instead of a free one; only when the code under test cannot be told the port. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
            this.port = port;
            return this;
        }

        /** STARTTLS with a certificate generated at start; see {@link SmtpServerExtension#certificate()}. */
        public Builder tls() {
            this.tls = true;
            return this;
        }

        /** Also an implicit-TLS listener ({@link SmtpServerExtension#tlsPort()}), with the generated certificate. */
        public Builder implicitTls() {
            this.implicitTls = true;
            return this;
        }

        /**
         * A user AUTH PLAIN and LOGIN accept. Without TLS, AUTH is then offered in plain text too,
         * so that AUTH can be tested without TLS.
         */
        public Builder user(String name, String password) {
            users.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(password, "password"));
            return this;
        }

        /** Refuses mail until the client started TLS ({@code 530 5.7.0}). */
        public Builder requireTls() {
            this.requireTls = true;
            return this;
        }

        /** Refuses mail until the client authenticated ({@code 530 5.7.0}). */
        public Builder requireAuth() {
            this.requireAuth = true;
            return this;
        }

        /** Offers SMTPUTF8 (RFC 6531): UTF-8 addresses and headers. */
        public Builder smtpUtf8() {
            this.smtpUtf8 = true;
            return this;
        }

        /**
         * Speaks LMTP (RFC 2033) instead of SMTP: LHLO, and after the data one reply per accepted
         * recipient, so an end-of-data script matched by recipient
         * ({@code whenMessage().to(address)}) refuses that recipient alone while the others take
         * the message. A message is kept when at least one recipient took it; its
         * {@link ReceivedMessage#recipients()} are still the whole envelope.
         */
        public Builder lmtp() {
            this.lmtp = true;
            return this;
        }

        /** The largest message accepted, in octets (SIZE, RFC 1870); larger ones get {@code 552 5.3.4}. */
        public Builder maxMessageSize(long octets) {
            this.maxMessageSize = octets;
            return this;
        }

        /** Any protocol setting (the methods above are applied on top of it). */
        public Builder config(SessionConfig config) {
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        /**
         * Any server setting, applied last, e.g. {@code server(b -> b.idleTimeout(Duration.ofSeconds(2)))}.
         * Replacing the handler or the tap disables the recording.
         */
        public Builder server(Consumer<SmtpServer.Builder> customizer) {
            serverCustomizers.add(Objects.requireNonNull(customizer, "customizer"));
            return this;
        }

        /** Whether the server prepends its {@code Received:} header to stored messages. Default true, as a real server. */
        public Builder receivedHeader(boolean on) {
            this.receivedHeader = on;
            return this;
        }

        /** The wait for {@link SmtpServerExtension#awaitMessages(int)} and the mail client timeouts; wins over the system property. */
        public Builder defaultTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout must be positive: " + timeout);
            }
            this.defaultTimeout = timeout;
            return this;
        }

        /**
         * Shows the messages of a test that fails in the web inbox (needs {@code io.smtpkit:smtp-inbox}
         * on the test class path): its address is printed and the test waits there, 5 minutes
         * unless {@code -Dsmtpkit.inbox.hold=30s} (or {@code 0}) says otherwise, so you can look.
         * {@code -Dsmtpkit.inbox=true} does the same for every server; {@code -Dsmtpkit.inbox.http=HOST:PORT}
         * moves it from {@code 127.0.0.1:8026}. Ignored when {@code CI=true}. Default off.
         */
        public Builder inboxOnFailure() {
            this.inboxOnFailure = true;
            return this;
        }

        /** Whether a script that never acted fails the test at its end. Default true. */
        public Builder failOnUnfiredScripts(boolean on) {
            this.failOnUnfiredScripts = on;
            return this;
        }

        /** The server (not started until a test, or {@link SmtpServerExtension#start()}, needs it). */
        public SmtpServerExtension build() {
            return new SmtpServerExtension(this);
        }
    }
}
