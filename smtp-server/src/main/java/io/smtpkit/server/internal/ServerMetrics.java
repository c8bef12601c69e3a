package io.smtpkit.server.internal;

import io.smtpkit.protocol.Decision;

/**
 * What the server counts, told at the few places where it happens. No Micrometer type appears
 * here, so a server without a registry (the field is {@code null}, every call site checks) never
 * loads Micrometer: only {@link MicrometerMetrics}, made by
 * {@code SmtpServer.Builder.meterRegistry}, does. Calls come from the event loops and, for
 * {@link #handled}, from hook workers: implementations are thread-safe and never block. Not API.
 */
public interface ServerMetrics {

    /** Why a connection was refused at accept; the tag values of {@code smtp.connections.refused}. */
    enum Refusal {
        LIMIT("limit"), PER_CLIENT("per_client"), RATE("rate"), SHUTDOWN("shutdown");

        final String tag;

        Refusal(String tag) {
            this.tag = tag;
        }
    }

    /** How a session ended; the tag values of {@code smtp.sessions}. */
    enum Outcome {
        /** The client said QUIT and got its 221. */
        QUIT("quit"),
        /** The idle timeout (RFC 5321 §4.5.3.2.7), or no session before it. */
        TIMEOUT("timeout"),
        /** The client went away without QUIT (closed, reset: a read or write failed, closed TLS). */
        RESET("reset"),
        /** The server closed or ended the session: shutdown. */
        SHUTDOWN("shutdown"),
        /** The server ended it for a fault: too many errors, a failed TLS handshake or write, a budget, a tap. */
        ERROR("error");

        final String tag;

        Outcome(String tag) {
            this.tag = tag;
        }

        /**
         * The outcome of a connection closed for {@code why} (the reasons {@code Connection.closeNow}
         * is given), its last reply having been {@code lastReply} (0 for none).
         */
        static Outcome of(String why, int lastReply) {
            if (lastReply == 221) {
                return QUIT;
            } else if (why.startsWith("server ")) {
                return SHUTDOWN;
            } else if (why.startsWith("timeout")) {
                return TIMEOUT;
            } else if (why.equals("client disconnected") || why.startsWith("read failed") || why.startsWith("write failed")
                    || why.equals("client closed TLS")) {
                return RESET;
            }
            return ERROR;
        }
    }

    /** The hooks timed by {@code smtp.handler.latency}. */
    enum Hook {
        CONNECT("connect"), HELLO("hello"), MAIL("mail"), RCPT("rcpt"), MESSAGE("message");

        final String tag;

        Hook(String tag) {
            this.tag = tag;
        }

        /** The hook a decision goes to; null for one not timed (AUTH has its own pool). */
        static Hook of(Decision decision) {
            if (decision instanceof Decision.Connect) {
                return CONNECT;
            } else if (decision instanceof Decision.Hello) {
                return HELLO;
            } else if (decision instanceof Decision.Mail) {
                return MAIL;
            } else if (decision instanceof Decision.Rcpt) {
                return RCPT;
            } else if (decision instanceof Decision.Message) {
                return MESSAGE;
            }
            return null;
        }
    }

    /** Once the server's parts exist, before the first connection: the gauges read them. */
    void watch(SharedLimits limits);

    /** Lets a handler or tap that asks for it register meters of its own. */
    void offerRegistry(Object component);

    /** A connection was accepted and its session begins. */
    void opened();

    /** A connection was refused at accept. */
    void refused(Refusal reason);

    /** A connection that {@link #opened()} closed. */
    void closed(Outcome outcome);

    /** A reply, encoded, is about to be written; returns its code. */
    int replied(byte[] reply);

    /** A message's content ended with a verdict: accepted by the handler, or refused by it or by the session. */
    void message(boolean accepted, long octets);

    /** A hook ran for {@code nanos}; called on the thread that ran it. */
    void handled(Hook hook, long nanos);

    /** A TLS handshake ended. */
    void handshake(boolean ok);

    /** A message went to a spool file instead of the heap. */
    void spooledToFile();

    /** The reply code at the head of an encoded reply, 0 if it has none. */
    static int code(byte[] reply) {
        if (reply.length < 3) {
            return 0;
        }
        int a = reply[0] - '0';
        int b = reply[1] - '0';
        int c = reply[2] - '0';
        if (a < 0 || a > 9 || b < 0 || b > 9 || c < 0 || c > 9) {
            return 0;
        }
        return a * 100 + b * 10 + c;
    }
}
