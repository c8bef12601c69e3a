package io.smtpkit.server.internal;

import io.smtpkit.protocol.SessionState;
import io.smtpkit.protocol.SmtpSession;
import io.smtpkit.server.TapAction;
import java.nio.ByteBuffer;

/**
 * A connection's way from the socket to its session: commands go in slices and content in whole
 * buffers while the session takes input, and only what it cannot take yet is copied aside. Under a
 * {@link TapGate}, command lines go one at a time, each shown to the tap first, and content is
 * sliced at the tap's limit. On the event loop. Not API.
 */
final class Inbox {

    /**
     * Commands are fed to the session in slices this big, and the output is checked between
     * slices: a client pipelining thousands of commands cannot make the server queue thousands
     * of replies. That holds wherever commands are parsed, between BDAT chunks too (the session
     * returns where content ends, so the commands after a chunk are sliced as well). Message
     * content gives no replies and goes in whole.
     */
    private static final int COMMAND_SLICE = 2048;

    private final Connection c;
    private final SmtpSession session;
    private final Loop loop;
    private final Outbox out;
    /** Null when untapped: then the tapped path costs this one check per feed. */
    private TapGate tap;
    /** Input the session could not take yet, or null. */
    private ByteBuffer pending;

    Inbox(Connection c, SmtpSession session, Loop loop, Outbox out) {
        this.c = c;
        this.session = session;
        this.loop = loop;
        this.out = out;
    }

    void tap(TapGate tap) {
        this.tap = tap;
    }

    /** True while input is held back. */
    boolean holds() {
        return pending != null;
    }

    int heldOctets() {
        return pending == null ? 0 : pending.remaining();
    }

    long heldCapacity() {
        return pending == null ? 0 : pending.capacity();
    }

    void drop() {
        pending = null;
    }

    /** Feeds the input held back, if the session takes input again. */
    void resume() {
        if (pending != null && c.canTakeInput()) {
            ByteBuffer in = pending;
            pending = null;
            feed(in, false);
        }
    }

    /**
     * Feeds plaintext to the session while it takes it; keeps the rest.
     *
     * @param shared true if {@code in} is a loop buffer that must be copied to be kept
     */
    void feed(ByteBuffer in, boolean shared) {
        int end = in.limit();
        if (tap != null) {
            ByteBuffer joined = tap.joinPartial(in);
            if (joined != in) {
                in.position(end);
                in = joined;
                end = in.limit();
                shared = false;
            }
            feedTapped(in);
        } else {
            while (in.hasRemaining() && c.canTakeInput()) {
                if (!session.isReceivingContent()) {
                    in.limit(Math.min(end, in.position() + COMMAND_SLICE));
                }
                session.receive(in);
                in.limit(end);
                c.dispatch();
            }
        }
        in.limit(end);
        if (c.dropsInput()) {
            in.position(end);
        }
        if (in.hasRemaining()) {
            if (pending != null) {
                // Cannot happen by the rules above; if it did, keep the order rather than lose bytes.
                ByteBuffer joined = ByteBuffer.allocate(pending.remaining() + in.remaining());
                pending = joined.put(pending).put(in).flip();
            } else {
                pending = shared ? Bytes.copy(in) : in;
            }
        }
    }

    /** {@link #feed} under a tap. A line not yet ended waits in the tap for its end. */
    private void feedTapped(ByteBuffer in) {
        int end = in.limit();
        while (in.hasRemaining() && c.canTakeInput()) {
            if (session.isReceivingContent()) {
                long allowed = tap.contentAllowance();
                if (allowed == 0) {
                    if (!tap.apply(tap.limitReached(), c::resumeAfterWait, () -> c.closeNow("disconnected by the tap in content"))) {
                        break;
                    }
                    continue;
                }
                in.limit(in.position() + (int) Math.min(end - in.position(), allowed)); // no overflow past MAX_VALUE
                int before = in.position();
                session.receive(in);
                tap.contentRead(in.position() - before);
            } else {
                if (session.reversePath() == null) {
                    tap.transactionOver();
                }
                int lineEnd = TapGate.lineEnd(in);
                if (lineEnd < 0 && tap.keepPartial(in)) {
                    in.position(end);
                    break;
                }
                if (lineEnd >= 0 && !tap.takeAllowance() && !allowedByTap(in, lineEnd)) {
                    in.limit(end);
                    if (c.isClosed() || !tap.letsInput()) {
                        break;
                    }
                    continue; // refused: the line was answered without the session
                }
                in.limit(lineEnd < 0 ? end : lineEnd);
                session.receive(in);
            }
            in.limit(end);
            c.dispatch();
        }
        in.limit(end);
    }

    /** Shows the line ending at {@code lineEnd} to the tap; true if the session may read it now. */
    private boolean allowedByTap(ByteBuffer in, int lineEnd) {
        // Pipelined (RFC 2920) when an earlier reply is still staged or unsent.
        boolean pipelined = loop.staging().length() > 0 || !out.isEmpty();
        String shown = TapGate.shown(in, lineEnd, session.state());
        TapAction action = tap.command(shown, pipelined);
        if (action instanceof TapAction.Refuse refuse && refusable(shown)) {
            // Answered in the session's place, as if it had sent the reply; a 421 closes.
            in.position(lineEnd);
            c.send(refuse.reply().encode(session.isExtended()));
            if (refuse.reply().code() == 421) {
                c.close();
            }
            return false;
        }
        if (action instanceof TapAction.Refuse) {
            action = TapAction.proceed(); // TapGate.apply logs it
        }
        if (!tap.apply(action, c::resumeAfterWait, () -> c.closeNow("disconnected by the tap"))) {
            tap.allowLine(); // after a delay, the line goes on as it is
            return false;
        }
        return true;
    }

    /**
     * Whether the session would stay consistent if it never saw the line: not inside a SASL exchange
     * (the session waits for the response) and not a BDAT command (its chunk follows at once,
     * RFC 3030 §2, and would be read as commands).
     */
    private boolean refusable(String shown) {
        return session.state() != SessionState.AUTH && !shown.regionMatches(true, 0, "BDAT", 0, 4);
    }
}
