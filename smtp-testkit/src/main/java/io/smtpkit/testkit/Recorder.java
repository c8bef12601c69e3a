package io.smtpkit.testkit;

import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.MailPath;
import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.SessionInfo;
import io.smtpkit.server.ConnectionTap;
import io.smtpkit.server.Message;
import io.smtpkit.server.SessionContext;
import io.smtpkit.server.SmtpHandler;
import io.smtpkit.server.TapAction;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSession;

/**
 * The test server's handler and tap in one: records sessions and messages, and carries out the
 * scripts (replies and delays in the hooks, which may block; socket effects in the tap, which
 * must not). One lock, {@code this}, guards everything; waiters for messages wait on it.
 */
final class Recorder implements SmtpHandler, ConnectionTap {

    private final List<ReceivedMessage> messages = new ArrayList<>();
    /** The connections of the current test, in the order they opened. */
    private final Map<String, ClientSession> sessions = new LinkedHashMap<>();
    /**
     * Every connection since the server started, by id. A connection of an earlier test can still
     * report its close (or a hook) after the reset; looking it up here keeps it out of the new
     * test's {@link #sessions}, where it would otherwise reappear as if the new test had opened it.
     */
    private final Map<String, ClientSession> known = new HashMap<>();
    /** Counted down when the server stops, so that a scripted delay does not hold up its shutdown. */
    private CountDownLatch stopping = new CountDownLatch(1);
    private final List<Script> scripts = new ArrayList<>();
    /** Greylisting: the sender/recipient pairs already refused once. */
    private final Set<String> greylisted = new HashSet<>();
    /** What was answered 4xx (stage, sender, recipients), to see whether the client tried it again. */
    private final Set<String> transientFailures = new HashSet<>();
    private String retried;

    // ------------------------------------------------------------------------------------------
    // State, for the extension

    synchronized Script add(Script script) {
        scripts.add(script);
        return script;
    }

    synchronized List<Script> scripts() {
        return List.copyOf(scripts);
    }

    /** Forgets what the last test saw and its own scripts; scripts of the whole server stay. */
    synchronized void reset() {
        messages.clear();
        sessions.clear();
        greylisted.clear();
        transientFailures.clear();
        retried = null;
        scripts.removeIf(s -> s.testScoped);
    }

    /** The scripts of the test ({@code testScoped}) or of the whole server that never acted and are not optional. */
    synchronized List<Script> unfired(boolean testScoped) {
        return scripts.stream().filter(s -> s.testScoped == testScoped && s.fired() == 0 && !s.isOptional()).toList();
    }

    synchronized void removeTestScripts() {
        scripts.removeIf(s -> s.testScoped);
    }

    synchronized List<ReceivedMessage> messages() {
        return List.copyOf(messages);
    }

    synchronized List<ClientSession> sessions() {
        return List.copyOf(sessions.values());
    }

    synchronized String retriedAfterTransientFailure() {
        return retried;
    }

    /** Waits until at least {@code n} messages are in, or the time is up; returns what is in. */
    synchronized List<ReceivedMessage> await(int n, Duration timeout) throws InterruptedException {
        long start = System.nanoTime();
        long wait = nanos(timeout);
        while (messages.size() < n) {
            // Compared as an elapsed time, not against a deadline, so a very long wait cannot overflow.
            long left = wait - (System.nanoTime() - start);
            if (left <= 0) {
                break;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return List.copyOf(messages);
    }

    private synchronized ClientSession session(SessionContext context) {
        ClientSession s = known.get(context.id());
        if (s == null) {
            s = new ClientSession(context.id(), context.remoteAddress());
            known.put(s.id(), s);
            sessions.put(s.id(), s);
        }
        return s;
    }

    /**
     * A connection left open by an earlier test (a pooled one) that starts a transaction now is
     * the current test's: listed again, so that a failure report shows where its message came from.
     */
    private synchronized void adopt(ClientSession s) {
        sessions.putIfAbsent(s.id(), s);
    }

    /** The server is (re)starting: connection ids start again, and delays may run. */
    synchronized void serverStarted() {
        known.clear();
        sessions.clear();
        stopping = new CountDownLatch(1);
    }

    /** The server is stopping: scripted delays in progress end now, so close() need not wait them out. */
    synchronized void serverStopping() {
        stopping.countDown();
    }

    private synchronized CountDownLatch stopping() {
        return stopping;
    }

    // ------------------------------------------------------------------------------------------
    // Handler hooks: on the server's executor, allowed to block

    @Override
    public Reply onConnect(SessionContext context) throws InterruptedException {
        ClientSession s = session(context);
        s.hook("connect");
        return answer(s, Stage.CONNECT, null, null, null);
    }

    @Override
    public Reply onHello(SessionContext context, String domain, boolean extended) throws InterruptedException {
        ClientSession s = session(context);
        s.hello(domain);
        if (context.protocol().isSecure()) {
            s.tls();
        }
        s.hook((extended ? "EHLO " : "HELO ") + domain);
        return answer(s, Stage.HELLO, null, null, null);
    }

    @Override
    public Reply onMail(SessionContext context, MailPath reversePath, Map<String, String> parameters)
            throws InterruptedException {
        ClientSession s = session(context);
        adopt(s);
        s.authenticated(context.authenticatedUser());
        s.hook("MAIL FROM:" + reversePath);
        String sender = reversePath.address();
        return answer(s, Stage.MAIL, sender, null, "MAIL " + sender);
    }

    @Override
    public Reply onRcpt(SessionContext context, MailPath recipient, Map<String, String> parameters)
            throws InterruptedException {
        ClientSession s = session(context);
        s.hook("RCPT TO:" + recipient);
        MailPath from = context.protocol().reversePath();
        String sender = from == null ? null : from.address();
        return answer(s, Stage.RCPT, sender, List.of(recipient.address()),
                "RCPT " + sender + " " + recipient.address());
    }

    @Override
    public Reply onMessage(SessionContext context, Envelope envelope, Message message) throws Exception {
        ClientSession s = session(context);
        byte[] bytes = message.bytes();
        s.hook("DATA, " + bytes.length + " octets");
        String sender = envelope.reversePath().address();
        List<String> recipients = envelope.recipientAddresses();
        Reply reply = answer(s, Stage.MESSAGE, sender, recipients, "MESSAGE " + sender + " " + recipients);
        if (reply == null || reply.isPositive()) {
            keep(context, envelope, bytes, s);
        }
        return reply;
    }

    private void keep(SessionContext context, Envelope envelope, byte[] bytes, ClientSession s) {
        SessionInfo info = context.protocol();
        ReceivedMessage received = new ReceivedMessage(envelope, bytes, context.id(), context.remoteAddress(),
                info.heloName(), info.isSecure() || context.tlsSession() != null, context.authenticatedUser(),
                Instant.now());
        s.message();
        synchronized (this) {
            messages.add(received);
            notifyAll();
        }
    }

    /**
     * Under LMTP each recipient is answered on its own (RFC 2033 §4.2): the end-of-data scripts
     * are matched once per recipient, so one can refuse a single mailbox. Under SMTP the default
     * holds (one answer, from {@link #onMessage}).
     */
    @Override
    public List<Reply> onMessagePerRecipient(SessionContext context, Envelope envelope, Message message)
            throws Exception {
        if (!context.protocol().config().lmtp()) {
            return SmtpHandler.super.onMessagePerRecipient(context, envelope, message);
        }
        ClientSession s = session(context);
        byte[] bytes = message.bytes();
        s.hook("DATA, " + bytes.length + " octets, answered per recipient");
        String sender = envelope.reversePath().address();
        List<Reply> replies = new ArrayList<>();
        boolean taken = false;
        for (String recipient : envelope.recipientAddresses()) {
            Reply reply = answer(s, Stage.MESSAGE, sender, List.of(recipient), "MESSAGE " + sender + " " + recipient);
            replies.add(reply);
            taken |= reply == null || reply.isPositive();
        }
        if (taken) {
            keep(context, envelope, bytes, s);
        }
        return replies;
    }

    @Override
    public void onClose(SessionContext context) {
        // A connection of an earlier test that closes after the reset is found among the known
        // ones, marked closed there, and not listed in this test's sessions (see session()).
        ClientSession s = session(context);
        s.hook("closed");
        s.closed();
    }

    /**
     * The scripted answer of a hook stage, after its delay; null for the default. Remembers 4xx
     * answers by {@code key}, and notes when a key comes again (the client retried).
     */
    private Reply answer(ClientSession s, Stage stage, String sender, List<String> recipients, String key)
            throws InterruptedException {
        Script script;
        synchronized (this) {
            if (key != null && retried == null && transientFailures.contains(key)) {
                retried = key + " (session " + s.id() + ")";
            }
            script = pick(stage, true, true, sender, recipients);
        }
        Reply reply = null;
        if (script != null) {
            if (!script.delay.isZero()) {
                // The delay is the scripted behaviour itself, not a wait for a condition; it ends
                // early only when the server stops.
                stopping().await(nanos(script.delay), TimeUnit.NANOSECONDS);
            }
            if (script.action == Script.Action.REPLY) {
                reply = script.reply;
            } else if (script.action == Script.Action.GREYLIST) {
                reply = script.reply;
            }
            s.hook("scripted " + script + (reply == null ? "" : " -> " + reply));
        }
        if (reply != null && reply.isTransient() && key != null) {
            synchronized (this) {
                transientFailures.add(key);
            }
        }
        return reply;
    }

    /**
     * The first script of {@code stage} that is to act now; every matching one counts the
     * occurrence. Refusals are left out where the server cannot refuse ({@code refusable} false).
     */
    private Script pick(Stage stage, boolean hook, boolean refusable, String sender, List<String> recipients) {
        Script chosen = null;
        for (Script script : scripts) {
            if (script.stage != stage || script.inHook() != hook || !script.matches(sender, recipients)
                    || (!refusable && script.action == Script.Action.REPLY)) {
                continue;
            }
            if (script.action == Script.Action.GREYLIST) {
                // Refuses each sender/recipient pair once; later tries pass and are not counted.
                String pair = (sender == null ? "" : sender.toLowerCase(Locale.ROOT)) + " " + recipients;
                if (chosen != null || !greylisted.add(pair.toLowerCase(Locale.ROOT))) {
                    continue;
                }
            }
            if (script.count() && chosen == null) {
                chosen = script;
            }
        }
        if (chosen != null) {
            chosen.fire();
        }
        return chosen;
    }

    // ------------------------------------------------------------------------------------------
    // The tap: on the event loop, must not block

    @Override
    public Listener open(SessionContext context) {
        ClientSession s = session(context);
        s.tapped();
        return new Tapped(context, s);
    }

    private final class Tapped implements Listener {
        private final SessionContext context;
        private final ClientSession s;
        /** Octets of content to let through before cutting, armed by a DATA script; -1 when not. */
        private long cutAfter = -1;
        private boolean cutting;

        Tapped(SessionContext context, ClientSession s) {
            this.context = context;
            this.s = s;
        }

        @Override
        public TapAction connected() {
            s.line("-- connected");
            return act(Stage.CONNECT, null, null);
        }

        @Override
        public TapAction command(String line, boolean pipelined) {
            s.line("C: " + line);
            if (pipelined) {
                s.pipelinedCommand();
            }
            String[] words = line.trim().split("\\s+", 3);
            String verb = words[0].toUpperCase(Locale.ROOT);
            SessionInfo info = context.protocol();
            MailPath from = info.reversePath();
            String sender = from == null ? null : from.address();
            switch (verb) {
                case "STARTTLS" -> {
                    s.startTlsCommand();
                    return TapAction.proceed();
                }
                case "AUTH" -> {
                    if (words.length > 1) {
                        s.auth(words[1].toUpperCase(Locale.ROOT));
                    }
                    return TapAction.proceed();
                }
                case "HELO", "EHLO" -> {
                    return act(Stage.HELLO, null, null);
                }
                case "MAIL" -> {
                    return act(Stage.MAIL, pathIn(line), null);
                }
                case "RCPT" -> {
                    String to = pathIn(line);
                    return act(Stage.RCPT, sender, to == null ? null : List.of(to));
                }
                case "DATA" -> {
                    return act(Stage.DATA, true, sender, info.recipients().stream().map(MailPath::address).toList());
                }
                case "BDAT" -> {
                    // Its chunk follows at once, so the server cannot refuse it (TapAction.refuse):
                    // only DATA scripts that delay, cut or slow down apply.
                    return act(Stage.DATA, false, sender, info.recipients().stream().map(MailPath::address).toList());
                }
                case "QUIT" -> {
                    return act(Stage.QUIT, null, null);
                }
                default -> {
                    return TapAction.proceed();
                }
            }
        }

        @Override
        public void reply(Reply reply) {
            for (String line : reply.toString().split("\r\n")) {
                s.line("S: " + line);
            }
        }

        @Override
        public long contentLimit() {
            long limit = cutAfter;
            cutAfter = -1;
            cutting = limit >= 0;
            return cutting ? limit : Long.MAX_VALUE;
        }

        @Override
        public TapAction contentLimitReached(long octets) {
            if (cutting) {
                cutting = false;
                s.line("-- cut after " + octets + " octets of content (scripted)");
                return TapAction.disconnect();
            }
            return TapAction.proceed();
        }

        @Override
        public void tlsStarted(SSLSession session) {
            s.tls();
            s.line("-- TLS started: " + session.getProtocol() + " " + session.getCipherSuite());
        }

        @Override
        public void closed() {
            s.line("-- closed");
            s.closed();
        }

        private TapAction act(Stage stage, String sender, List<String> recipients) {
            return act(stage, true, sender, recipients);
        }

        private TapAction act(Stage stage, boolean refusable, String sender, List<String> recipients) {
            Script script;
            synchronized (Recorder.this) {
                script = pick(stage, false, refusable, sender, recipients);
            }
            if (script == null) {
                return TapAction.proceed();
            }
            s.line("-- scripted " + script);
            return switch (script.action) {
                case REPLY -> TapAction.refuse(script.reply);
                case ACCEPT -> script.delay.isZero() ? TapAction.proceed() : TapAction.delay(script.delay);
                case DISCONNECT -> TapAction.disconnect();
                case STALL -> TapAction.stall();
                case THROTTLE -> TapAction.throttle((int) script.number);
                case DISCONNECT_AFTER -> {
                    cutAfter = script.number;
                    yield TapAction.proceed();
                }
                case GREYLIST -> TapAction.proceed();
            };
        }
    }

    /** {@code d} in nanoseconds, at most {@link Long#MAX_VALUE} (about 292 years) instead of overflowing. */
    static long nanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException tooLong) {
            return d.isNegative() ? 0 : Long.MAX_VALUE;
        }
    }

    /** The address in {@code MAIL FROM:<a@b>} or {@code RCPT TO:<a@b>}, or null if there is none to see. */
    static String pathIn(String line) {
        int open = line.indexOf('<');
        int close = open < 0 ? -1 : line.indexOf('>', open);
        return close < 0 ? null : line.substring(open + 1, close);
    }
}
