package io.smtpkit.server.internal;

import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.SessionState;
import io.smtpkit.server.ConnectionTap;
import io.smtpkit.server.SessionContext;
import io.smtpkit.server.TapAction;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;

/**
 * One tapped connection's {@link ConnectionTap.Listener} and the gates its actions close: a delay
 * or a stall holds input back, a throttle rations reads per second, a content limit slices a
 * message where the tap asked. Also frames the command lines the tap is shown (redacting AUTH
 * credentials) and turns written replies back into {@link Reply} values. Exists only for tapped
 * connections, on the event loop. Not API.
 */
final class TapGate {

    private static final Logger log = Transport.log;
    /** A partial line is kept for the tap up to this long; past it the session refuses the line anyway. */
    private static final int MAX_PARTIAL = 16 * 1024;
    private static final Pattern ENHANCED = Pattern.compile("[245]\\.\\d{1,3}\\.\\d{1,3} .*", Pattern.DOTALL);

    private final ConnectionTap.Listener listener;
    private final Loop loop;
    private final String id;
    /** A delay timer is pending. */
    private boolean delaying;
    private boolean stalled;
    /** The line at the head of the input was already allowed (it was delayed, or is the end of an overlong line). */
    private boolean lineAllowed;
    /** The start of a command line whose end has not arrived, or null. */
    private ByteBuffer partial;
    /** Octets per second, 0 when reads are not throttled. */
    private int rate;
    private long tokens;
    private long tokensAt;
    private boolean refillPending;
    /** The content limit of the current transaction, or -1 before its content began. */
    private long contentLimit = -1;
    private long contentSeen;

    private TapGate(ConnectionTap.Listener listener, Loop loop, String id) {
        this.listener = listener;
        this.loop = loop;
        this.id = id;
    }

    /** Asks {@code tap} for a listener; null when it wants none (or threw). */
    static TapGate open(ConnectionTap tap, SessionContext context, Loop loop) {
        try {
            ConnectionTap.Listener listener = tap.open(context);
            return listener == null ? null : new TapGate(listener, loop, context.id());
        } catch (RuntimeException e) {
            log.warn("[{}] connection tap failed in open, leaving the connection untapped: {}", context.id(), Printable.of(e));
            return null;
        }
    }

    // ------------------------------------------------------------------------------------------
    // Gates

    /** False while a delay or stall holds input back. */
    boolean letsInput() {
        return !delaying && !stalled;
    }

    /** The idle timer does not run while the tap delays: that time is the server's. */
    boolean delaying() {
        return delaying;
    }

    /** Whether the socket may be read now (a throttle with nothing left this second says no). */
    boolean readable() {
        return rate == 0 || tokens > 0;
    }

    /** How many octets the next read may take. */
    int readAllowance(int room) {
        if (rate == 0) {
            return room;
        }
        refill();
        return (int) Math.min(room, tokens);
    }

    /** {@code n} octets were read; when the second's ration is used up, {@code resume} runs once it refills. */
    void read(int n, Runnable resume) {
        if (rate == 0) {
            return;
        }
        tokens -= n;
        if (tokens <= 0 && !refillPending) {
            refillPending = true;
            // Wait for a worthwhile ration rather than a timer per octet.
            long want = Math.min(rate, 1024) - tokens;
            loop.schedule(TimeUnit.SECONDS.toNanos(1) * want / rate + 1, () -> {
                refillPending = false;
                refill();
                resume.run();
            });
        }
    }

    private void refill() {
        long now = loop.now();
        long elapsed = Math.min(now - tokensAt, TimeUnit.SECONDS.toNanos(1));
        tokens = Math.min(rate, tokens + elapsed * rate / TimeUnit.SECONDS.toNanos(1));
        tokensAt = now;
    }

    /**
     * Applies {@code action}; true if the connection goes on at once. A delay runs {@code resume}
     * on the loop when it ends; a disconnect runs {@code disconnect}.
     */
    boolean apply(TapAction action, Runnable resume, Runnable disconnect) {
        if (action instanceof TapAction.Delay d) {
            delaying = true;
            loop.schedule(d.delay().toNanos(), () -> {
                delaying = false;
                resume.run();
            });
            return false;
        } else if (action instanceof TapAction.Stall) {
            stalled = true;
            return false;
        } else if (action instanceof TapAction.Disconnect) {
            disconnect.run();
            return false;
        } else if (action instanceof TapAction.Throttle t) {
            boolean starting = rate == 0;
            rate = t.octetsPerSecond();
            if (starting) {
                tokensAt = loop.now();
                tokens = 0;
                read(0, resume); // the ration starts empty: the first refill is due now
            }
        } else if (action instanceof TapAction.Refuse) {
            log.debug("[{}] connection tap refused where it cannot: proceeding", id);
        }
        return true;
    }

    // ------------------------------------------------------------------------------------------
    // Callbacks, each of which may throw

    TapAction connected() {
        return ask("connected", listener::connected);
    }

    TapAction command(String line, boolean pipelined) {
        return ask("command", () -> listener.command(line, pipelined));
    }

    /** Reports the replies in {@code wire}, as written. */
    void replies(byte[] wire, boolean extended) {
        for (Reply reply : parse(wire, extended)) {
            reply(reply);
        }
    }

    void reply(Reply reply) {
        tell("reply", () -> listener.reply(reply));
    }

    void tlsStarted(SSLSession session) {
        tell("tlsStarted", () -> listener.tlsStarted(session));
    }

    void closed() {
        tell("closed", listener::closed);
    }

    private TapAction ask(String what, Supplier<TapAction> call) {
        try {
            TapAction action = call.get();
            return action == null ? TapAction.proceed() : action;
        } catch (RuntimeException e) {
            log.warn("[{}] connection tap failed in {}, proceeding: {}", id, what, Printable.of(e));
            return TapAction.proceed();
        }
    }

    private void tell(String what, Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            log.warn("[{}] connection tap failed in {}: {}", id, what, Printable.of(e));
        }
    }

    // ------------------------------------------------------------------------------------------
    // Message content

    /**
     * How many content octets may reach the session now (asking for the transaction's limit when
     * its content begins); 0 when the limit is reached and {@link #limitReached} must be asked.
     */
    long contentAllowance() {
        if (contentLimit < 0) {
            long limit;
            try {
                limit = listener.contentLimit();
            } catch (RuntimeException e) {
                log.warn("[{}] connection tap failed in contentLimit, proceeding: {}", id, Printable.of(e));
                limit = Long.MAX_VALUE;
            }
            contentLimit = Math.max(0, limit);
            contentSeen = 0;
        }
        return contentLimit - contentSeen;
    }

    void contentRead(long octets) {
        contentSeen += octets;
    }

    /** Asks what to do at the content limit; whatever the answer, the rest is not sliced again. */
    TapAction limitReached() {
        long seen = contentSeen;
        contentLimit = Long.MAX_VALUE;
        return ask("contentLimitReached", () -> listener.contentLimitReached(seen));
    }

    /** The transaction is over: the next one's content asks for its own limit. */
    void transactionOver() {
        contentLimit = -1;
    }

    // ------------------------------------------------------------------------------------------
    // Command lines

    /** {@code in} behind the start of a line kept from an earlier read (copied once), or {@code in}. */
    ByteBuffer joinPartial(ByteBuffer in) {
        if (partial == null) {
            return in;
        }
        ByteBuffer joined = ByteBuffer.allocate(partial.remaining() + in.remaining()).put(partial).put(in).flip();
        partial = null;
        return joined;
    }

    /** Keeps the rest of {@code in}, the start of a line, for the next read; false if it is too long to keep. */
    boolean keepPartial(ByteBuffer in) {
        if (in.remaining() > MAX_PARTIAL) {
            lineAllowed = true; // its end, when it comes, goes to the session unasked: it refuses the line
            return false;
        }
        partial = Bytes.copy(in);
        return true;
    }

    long heldCapacity() {
        return partial == null ? 0 : partial.capacity();
    }

    /** The line at the head of the input was allowed already; takes the permission. */
    boolean takeAllowance() {
        boolean allowed = lineAllowed;
        lineAllowed = false;
        return allowed;
    }

    /** The line at the head of the input is allowed when it is fed again (after a delay). */
    void allowLine() {
        lineAllowed = true;
    }

    /** Where the line at {@code in}'s position ends (after its LF), or -1 if it has not ended. */
    static int lineEnd(ByteBuffer in) {
        for (int i = in.position(), end = in.limit(); i < end; i++) {
            if (in.get(i) == '\n') {
                return i + 1;
            }
        }
        return -1;
    }

    /** The line from {@code in}'s position to {@code end}, without CRLF, as the tap may see it. */
    static String shown(ByteBuffer in, int end, SessionState state) {
        if (state == SessionState.AUTH) {
            return "****"; // a SASL response (RFC 4954 §4): credentials, never shown
        }
        int stop = end - 1;
        if (stop > in.position() && in.get(stop - 1) == '\r') {
            stop--;
        }
        byte[] bytes = new byte[stop - in.position()];
        in.get(in.position(), bytes);
        String line = new String(bytes, StandardCharsets.UTF_8);
        if (line.regionMatches(true, 0, "AUTH ", 0, 5)) {
            int mechanismEnd = line.indexOf(' ', 5);
            if (mechanismEnd > 0 && !line.substring(mechanismEnd).isBlank()) {
                return line.substring(0, mechanismEnd) + " ****"; // the initial response (RFC 4954 §4)
            }
        }
        return line;
    }

    /** The replies in {@code wire} (whole replies, CRLF-ended), as values. */
    static List<Reply> parse(byte[] wire, boolean extended) {
        List<Reply> replies = new ArrayList<>(1);
        List<String> lines = new ArrayList<>();
        String enhanced = null;
        for (String line : new String(wire, StandardCharsets.UTF_8).split("\r\n")) {
            if (line.length() < 4) {
                continue;
            }
            String text = line.substring(4);
            if (extended && ENHANCED.matcher(text).matches()) {
                int space = text.indexOf(' ');
                enhanced = text.substring(0, space);
                text = text.substring(space + 1);
            }
            lines.add(text);
            if (line.charAt(3) == ' ') {
                int code = Integer.parseInt(line.substring(0, 3));
                try {
                    replies.add(new Reply(code, enhanced, lines));
                } catch (IllegalArgumentException e) {
                    replies.add(new Reply(code, null, lines));
                }
                lines = new ArrayList<>();
                enhanced = null;
            }
        }
        return replies;
    }
}
