package io.smtpkit.testkit;

import io.smtpkit.protocol.Decision;
import io.smtpkit.protocol.MailPath;
import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.protocol.SessionInfo;
import io.smtpkit.protocol.SessionOutput;
import io.smtpkit.protocol.SessionState;
import io.smtpkit.protocol.SmtpSession;
import io.smtpkit.server.Authenticator;
import io.smtpkit.server.Message;
import io.smtpkit.server.SessionContext;
import io.smtpkit.server.SmtpHandler;
import io.smtpkit.testkit.internal.ReplyParser;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.net.ssl.SSLSession;

/**
 * A user's {@link SmtpHandler} under test without a socket or a thread: client lines go in, the
 * replies come out, and what the handler was asked is recorded. It drives smtp-protocol's
 * {@link SmtpSession} the way smtp-server does, so the handler's hooks run in the same order with
 * the same arguments: {@code onConnect} at the start, {@code onHello}, {@code onMail},
 * {@code onRcpt} as the session accepts each command, {@code onMessage} with the server's
 * {@code Received:} header first, {@code onClose} once at the end; a hook that throws is answered
 * {@code 451 4.3.0}. The hooks run on the calling thread, one at a time.
 * <pre>{@code
 * HandlerHarness h = HandlerHarness.of(new MyHandler());
 * h.send("EHLO client.example", "MAIL FROM:<a@example.org>");
 * assertThat(h.send("RCPT TO:<nobody@example.org>")).singleElement()
 *     .satisfies(r -> assertThat(r.code()).isEqualTo(550));
 * assertThat(h.calls()).contains("onRcpt(<nobody@example.org>, {})");
 * }</pre>
 *
 * <p>What differs from the server: no TLS happens (with {@link Builder#startTls()} a STARTTLS
 * succeeds at once and the session counts as secure, and {@link SessionContext#tlsSession()} is
 * {@code null}); no limits of the server's own (connections, memory budgets, AUTH rationing);
 * content is held in memory. Not thread-safe.
 */
public final class HandlerHarness implements AutoCloseable {

    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);

    private final SmtpHandler handler;
    private final Authenticator authenticator;
    private final boolean receivedHeader;
    private final SmtpSession session;
    private final Context context;
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private final ByteArrayOutputStream content = new ByteArrayOutputStream();
    private final List<Reply> replies = new ArrayList<>();
    private final List<String> calls = new ArrayList<>();
    private final List<ReceivedMessage> messages = new ArrayList<>();
    private boolean tlsRequested;
    private boolean secure;
    private boolean onCloseCalled;
    private int messageCount;

    private HandlerHarness(Builder b) {
        this.handler = b.handler;
        this.authenticator = b.authenticator;
        this.receivedHeader = b.receivedHeader;
        // As the server does: STARTTLS and AUTH are on when it has TLS and an authenticator.
        SessionConfig.Builder config = b.config.toBuilder();
        if (b.startTls) {
            config.startTls(true);
        }
        if (b.authenticator != null) {
            config.authentication(true);
        }
        this.session = new SmtpSession(config.build(), new Output());
        this.context = new Context(b.client);
        if (b.implicitTls) {
            secure = true;
            session.startSecure();
        } else {
            session.start();
        }
        dispatch();
        collect();
    }

    /** A harness with the default protocol settings. */
    public static HandlerHarness of(SmtpHandler handler) {
        return builder(handler).build();
    }

    /** A harness with settings. */
    public static Builder builder(SmtpHandler handler) {
        return new Builder(handler);
    }

    /**
     * Sends each line with CRLF after it, as one client write per line, and returns the replies
     * they produced (none for lines of message content, one for the final dot).
     */
    public List<Reply> send(String... lines) {
        List<Reply> produced = new ArrayList<>();
        for (String line : lines) {
            produced.addAll(sendRaw((line + "\r\n").getBytes(StandardCharsets.UTF_8)));
        }
        return produced;
    }

    /** Sends the bytes as they are (several commands at once is pipelining) and returns the replies they produced. */
    public List<Reply> sendRaw(byte[] bytes) {
        int before = replies.size();
        ByteBuffer in = ByteBuffer.wrap(bytes);
        while (in.hasRemaining() && !session.isClosed()) {
            int position = in.position();
            session.receive(in);
            dispatch();
            if (tlsRequested) {
                // RFC 3207 §4.2: what came after STARTTLS is dropped, as the server does.
                tlsRequested = false;
                in.position(in.limit());
                secure = true;
                session.tlsStarted(true);
            }
            if (in.position() == position && session.awaiting() == null) {
                break;
            }
        }
        collect();
        if (session.isClosed()) {
            callOnClose();
        }
        return List.copyOf(replies.subList(before, replies.size()));
    }

    /** Every reply so far, the greeting first. */
    public List<Reply> replies() {
        return List.copyOf(replies);
    }

    /** The last reply, or {@code null} before any. */
    public Reply lastReply() {
        return replies.isEmpty() ? null : replies.get(replies.size() - 1);
    }

    /**
     * The hooks called so far, in order, with their arguments and answers, e.g.
     * {@code onConnect -> default}, {@code onHello(client.example, EHLO) -> default},
     * {@code onMail(<a@example.org>, {SIZE=12}) -> 550 5.7.1 No}, {@code onMessage(<a@example.org>,
     * [<b@example.org>], 214 octets) -> default}, {@code authenticate(PLAIN, alice) -> accepted},
     * {@code onClose}. Parameter maps are printed as {@link java.util.Map#toString()}.
     */
    public List<String> calls() {
        return List.copyOf(calls);
    }

    /** The messages handed to {@code onMessage}, whatever it answered. */
    public List<ReceivedMessage> messages() {
        return List.copyOf(messages);
    }

    /** Where the session stands. */
    public SessionState state() {
        return session.state();
    }

    /** True once the session closed (QUIT, a 421, too many errors) or {@link #close()} was called. */
    public boolean isClosed() {
        return session.isClosed();
    }

    /** The client goes away: the session drops any partial message, and {@code onClose} is called once. */
    @Override
    public void close() {
        session.connectionLost();
        callOnClose();
    }

    // ------------------------------------------------------------------------------------------

    /** Answers what the session asks, as smtp-server's Connection does, on this thread. */
    private void dispatch() {
        Decision decision;
        while (!session.isClosed() && (decision = session.awaiting()) != null) {
            if (decision instanceof Decision.Message m && session.config().lmtp()) {
                session.resumePerRecipient(deliverPerRecipient(m)); // RFC 2033 §4.2, as the server does
            } else {
                session.resume(decide(decision));
            }
        }
    }

    private Reply decide(Decision decision) {
        if (decision instanceof Decision.Authenticate auth) {
            boolean self = auth.authorizationId() == null || auth.authorizationId().isEmpty()
                    || auth.authorizationId().equals(auth.username());
            Reply reply;
            try {
                reply = authenticator != null && authenticator.authenticate(auth.username(), auth.password()) && self
                        ? Reply.AUTHENTICATION_SUCCEEDED : Reply.AUTHENTICATION_FAILED;
            } catch (Exception e) {
                reply = Reply.of(454, "4.7.0", "Temporary authentication failure");
            }
            calls.add("authenticate(" + auth.mechanism() + ", " + auth.username() + ") -> "
                    + (reply.isPositive() ? "accepted" : reply));
            return reply;
        }
        String call;
        Reply reply;
        try {
            if (decision instanceof Decision.Connect) {
                call = "onConnect";
                reply = handler.onConnect(context);
            } else if (decision instanceof Decision.Hello hello) {
                call = "onHello(" + hello.domain() + ", " + (hello.extended() ? "EHLO" : "HELO") + ")";
                reply = handler.onHello(context, hello.domain(), hello.extended());
            } else if (decision instanceof Decision.Mail mail) {
                call = "onMail(" + mail.reversePath() + ", " + mail.parameters() + ")";
                reply = handler.onMail(context, mail.reversePath(), mail.parameters());
            } else if (decision instanceof Decision.Rcpt rcpt) {
                call = "onRcpt(" + rcpt.recipient() + ", " + rcpt.parameters() + ")";
                reply = handler.onRcpt(context, rcpt.recipient(), rcpt.parameters());
            } else if (decision instanceof Decision.Message m) {
                byte[] bytes = message(m);
                content.reset();
                call = "onMessage(" + m.envelope().reversePath() + ", " + m.envelope().recipients() + ", "
                        + bytes.length + " octets)";
                messages.add(new ReceivedMessage(m.envelope(), bytes, context.id(), context.remoteAddress(),
                        session.heloName(), secure, session.authenticatedUser(), Instant.now()));
                reply = handler.onMessage(context, m.envelope(), new InMemory(bytes));
            } else {
                return null;
            }
        } catch (Exception | AssertionError e) {
            calls.add(hookName(decision) + " threw " + e);
            return Reply.LOCAL_ERROR;
        }
        calls.add(call + " -> " + (reply == null ? "default" : reply.toString()));
        return reply;
    }

    /** Under LMTP: {@code onMessagePerRecipient}, one reply per recipient, null entries the default. */
    private List<Reply> deliverPerRecipient(Decision.Message m) {
        byte[] bytes = message(m);
        content.reset();
        String call = "onMessagePerRecipient(" + m.envelope().reversePath() + ", " + m.envelope().recipients() + ", "
                + bytes.length + " octets)";
        messages.add(new ReceivedMessage(m.envelope(), bytes, context.id(), context.remoteAddress(),
                session.heloName(), secure, session.authenticatedUser(), Instant.now()));
        int n = m.envelope().recipients().size();
        List<Reply> replies;
        try {
            replies = handler.onMessagePerRecipient(context, m.envelope(), new InMemory(bytes));
        } catch (Exception | AssertionError e) {
            calls.add(call + " threw " + e);
            return Collections.nCopies(n, Reply.LOCAL_ERROR);
        }
        if (replies == null) {
            replies = Collections.nCopies(n, null);
        } else if (replies.size() != n) {
            calls.add(call + " -> " + replies.size() + " replies for " + n + " recipients (a handler bug)");
            return Collections.nCopies(n, Reply.LOCAL_ERROR);
        }
        List<String> shown = new ArrayList<>();
        for (Reply r : replies) {
            shown.add(r == null ? "default" : r.toString());
        }
        calls.add(call + " -> " + shown);
        return replies;
    }

    private byte[] message(Decision.Message m) {
        messageCount++;
        byte[] body = content.toByteArray();
        if (!receivedHeader) {
            return body;
        }
        // RFC 3848's keywords, as the server's ReceivedHeader writes them.
        String suffix = (secure ? "S" : "") + (session.authenticatedUser() != null ? "A" : "");
        String with = session.config().lmtp() ? "LMTP" + suffix : !session.isExtended() ? "SMTP" : "ESMTP" + suffix;
        String helo = session.heloName() == null ? "unknown" : session.heloName();
        StringBuilder h = new StringBuilder("Received: from ").append(helo).append(" ([")
                .append(context.remote.getAddress().getHostAddress()).append("])\r\n\tby ")
                .append(session.config().hostname()).append(" with ").append(with).append(" id harness.")
                .append(messageCount);
        if (m.envelope().recipients().size() == 1) {
            h.append("\r\n\tfor ").append(m.envelope().recipients().get(0));
        }
        h.append("; ").append(DATE.format(ZonedDateTime.now())).append("\r\n");
        byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[header.length + body.length];
        System.arraycopy(header, 0, all, 0, header.length);
        System.arraycopy(body, 0, all, header.length, body.length);
        return all;
    }

    private void collect() {
        if (output.size() > 0) {
            replies.addAll(ReplyParser.parse(output.toString(StandardCharsets.UTF_8)));
            output.reset();
        }
    }

    private void callOnClose() {
        if (!onCloseCalled) {
            onCloseCalled = true;
            try {
                handler.onClose(context);
                calls.add("onClose");
            } catch (RuntimeException e) {
                calls.add("onClose threw " + e);
            }
        }
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
        }
        return "onMessage";
    }

    private final class Output implements SessionOutput {
        @Override
        public void send(byte[] reply) {
            output.writeBytes(reply);
        }

        @Override
        public void content(ByteBuffer chunk) {
            byte[] bytes = new byte[chunk.remaining()];
            chunk.get(bytes);
            content.writeBytes(bytes);
        }

        @Override
        public void discardContent() {
            content.reset();
        }

        @Override
        public void startTls() {
            tlsRequested = true;
        }

        @Override
        public void close() {
            // The session is closed; sendRaw calls onClose once its replies are collected.
        }
    }

    /** The handler's view of the session: read-only, as the server's. */
    private final class Context implements SessionContext, SessionInfo {
        private final InetSocketAddress remote;

        Context(InetSocketAddress remote) {
            this.remote = remote;
        }

        @Override public String id() { return "harness"; }
        @Override public InetSocketAddress remoteAddress() { return remote; }
        @Override public InetSocketAddress localAddress() { return new InetSocketAddress(InetAddress.getLoopbackAddress(), 25); }
        @Override public SessionInfo protocol() { return this; }
        @Override public SSLSession tlsSession() { return null; }
        @Override public SessionState state() { return session.state(); }
        @Override public boolean isExtended() { return session.isExtended(); }
        @Override public boolean isSecure() { return session.isSecure(); }
        @Override public MailPath reversePath() { return session.reversePath(); }
        @Override public List<MailPath> recipients() { return session.recipients(); }
        @Override public SessionConfig config() { return session.config(); }
        @Override public String heloName() { return session.heloName(); }
        @Override public String authenticatedUser() { return session.authenticatedUser(); }
    }

    private record InMemory(byte[] bytes) implements Message {
        @Override public long size() { return bytes.length; }
        @Override public InputStream openStream() { return new ByteArrayInputStream(bytes); }
        @Override public byte[] bytes() { return bytes.clone(); }
    }

    /** Settings of a harness. */
    public static final class Builder {
        private final SmtpHandler handler;
        private SessionConfig config = SessionConfig.builder().build();
        private Authenticator authenticator;
        private InetSocketAddress client = new InetSocketAddress(InetAddress.getLoopbackAddress(), 49152);
        private boolean receivedHeader = true;
        private boolean startTls;
        private boolean implicitTls;

        private Builder(SmtpHandler handler) {
            this.handler = Objects.requireNonNull(handler, "handler");
        }

        /** The protocol settings, as given to the server. */
        public Builder config(SessionConfig config) {
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        /** Checks AUTH credentials, as the server's authenticator; AUTH is then offered (under TLS, unless the config allows it in plain text). */
        public Builder authenticator(Authenticator authenticator) {
            this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
            return this;
        }

        /** The client address the handler sees. Default 127.0.0.1:49152. */
        public Builder client(InetSocketAddress client) {
            this.client = Objects.requireNonNull(client, "client");
            return this;
        }

        /** Whether messages get the server's {@code Received:} header first. Default true. */
        public Builder receivedHeader(boolean on) {
            this.receivedHeader = on;
            return this;
        }

        /** Offers STARTTLS, which then succeeds at once without a handshake. */
        public Builder startTls() {
            this.startTls = true;
            return this;
        }

        /** The session is secure from the start, as on an implicit-TLS port. */
        public Builder implicitTls() {
            this.implicitTls = true;
            return this;
        }

        /** The harness, started: the greeting is {@code replies().get(0)}. */
        public HandlerHarness build() {
            return new HandlerHarness(this);
        }
    }
}
