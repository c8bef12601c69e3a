package io.smtpkit.testkit;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.List;

/**
 * One client connection the test server saw, and what the client did on it: the facts a test
 * asserts on when the point is how the client spoke SMTP (did it use STARTTLS, which AUTH
 * mechanism, did it pipeline) and the last lines of its transcript. Values are read at the moment
 * of the call; the session may still be going on. Thread-safe.
 *
 * <p>The transcript ({@code C:} client lines with AUTH credentials masked, {@code S:} replies) and
 * the facts marked "seen on the wire" come from the server's
 * {@link io.smtpkit.server.ConnectionTap}. Should the tap be replaced (through
 * {@link SmtpServerExtension.Builder#server}), those facts stay empty and the transcript lists the
 * handler hooks the session reached instead ({@code hook:} lines).
 */
public final class ClientSession {

    static final int TRANSCRIPT_LINES = 200;

    private final String id;
    private final InetSocketAddress client;
    private final ArrayDeque<String> transcript = new ArrayDeque<>();
    private boolean tapped;
    private String heloName;
    private boolean tls;
    private boolean startTls;
    private String authMechanism;
    private String authenticatedUser;
    private boolean pipelined;
    private boolean closed;
    private int messages;

    ClientSession(String id, InetSocketAddress client) {
        this.id = id;
        this.client = client;
    }

    /** The server's id for this session; {@link ReceivedMessage#sessionId()} names it. */
    public String id() {
        return id;
    }

    /** The client's address. */
    public InetSocketAddress client() {
        return client;
    }

    /** The last HELO/EHLO name, or {@code null} before it. */
    public synchronized String heloName() {
        return heloName;
    }

    /** True once TLS was active (STARTTLS or implicit TLS). */
    public synchronized boolean usedTls() {
        return tls;
    }

    /** True if the client sent STARTTLS (seen on the wire). */
    public synchronized boolean usedStartTls() {
        return startTls;
    }

    /** The SASL mechanism of the client's last AUTH ({@code PLAIN}, {@code LOGIN}), or {@code null} (seen on the wire). */
    public synchronized String authMechanism() {
        return authMechanism;
    }

    /** The user the client authenticated as, or {@code null}. */
    public synchronized String authenticatedUser() {
        return authenticatedUser;
    }

    /** True if the client sent a command before the reply to an earlier one, RFC 2920 pipelining (seen on the wire). */
    public synchronized boolean pipelined() {
        return pipelined;
    }

    /** True once the connection is closed. */
    public synchronized boolean isClosed() {
        return closed;
    }

    /** Messages the server accepted on this session. */
    public synchronized int messageCount() {
        return messages;
    }

    /** The transcript, oldest first: at most the last 200 lines. */
    public synchronized List<String> transcript() {
        return List.copyOf(transcript);
    }

    /** The last {@code n} lines of the transcript. */
    public synchronized List<String> lastLines(int n) {
        List<String> all = List.copyOf(transcript);
        return all.subList(Math.max(0, all.size() - n), all.size());
    }

    @Override
    public synchronized String toString() {
        return "session " + id + " from " + client + (closed ? " (closed)" : " (open)");
    }

    // ---- recording, by the server's hook threads and its event loop

    synchronized void tapped() {
        tapped = true;
    }

    synchronized void line(String line) {
        if (transcript.size() == TRANSCRIPT_LINES) {
            transcript.removeFirst();
        }
        transcript.addLast(line);
    }

    /** A hook event, kept only while the tap says nothing (so the two do not repeat each other). */
    synchronized void hook(String event) {
        if (!tapped) {
            line("hook: " + event);
        }
    }

    synchronized void hello(String name) {
        heloName = name;
    }

    synchronized void tls() {
        tls = true;
    }

    synchronized void startTlsCommand() {
        startTls = true;
    }

    synchronized void auth(String mechanism) {
        authMechanism = mechanism;
    }

    synchronized void authenticated(String user) {
        if (user != null) {
            authenticatedUser = user;
        }
    }

    synchronized void pipelinedCommand() {
        pipelined = true;
    }

    synchronized void closed() {
        closed = true;
    }

    synchronized void message() {
        messages++;
    }
}
