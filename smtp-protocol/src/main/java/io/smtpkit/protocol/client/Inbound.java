package io.smtpkit.protocol.client;

import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.internal.ReplyReader;
import java.nio.ByteBuffer;

/**
 * What the server sent, on its way into a {@link ClientSession}: framed into replies, read only
 * while no event waits to be taken (h11's way), the rest held back until one is; and the loss of
 * the connection, which takes effect once the bytes before it have been read.
 */
final class Inbound {

    private final ClientSession session;
    private final ClientOutput out;
    private final ReplyReader reader;
    private ByteBuffer held = ByteBuffer.allocate(0);
    private boolean lost;

    Inbound(ClientSession session, ClientOutput out, int maxReplyLines) {
        this.session = session;
        this.out = out;
        this.reader = new ReplyReader(maxReplyLines);
    }

    void receive(ByteBuffer in) {
        if (held.position() == 0 && !out.hasEvents()) {
            read(in);
        }
        if (!in.hasRemaining() || session.dropsInput()) {
            in.position(in.limit());
            return;
        }
        int max = ClientSession.MAX_HELD;
        if (held.position() + in.remaining() > max) {
            in.position(in.limit());
            session.fail(ClientFailure.Kind.PROTOCOL_ERROR, "more than " + max + " octets sent ahead of the replies asked for", null);
            return;
        }
        if (held.remaining() < in.remaining()) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.min(max, Math.max(held.capacity() * 2, held.position() + in.remaining())));
            held.flip();
            bigger.put(held);
            held = bigger;
        }
        held.put(in);
    }

    void connectionLost() {
        lost = true;
        if (held.position() == 0 && !out.hasEvents()) {
            session.lost();
        }
    }

    /** Reads what was held back while events waited, then a deferred connection loss. */
    void pump() {
        if (held.position() > 0) {
            held.flip();
            read(held);
            held.compact();
            if (session.dropsInput()) {
                held.clear();
            }
        }
        if (lost && held.position() == 0 && !out.hasEvents()) {
            session.lost();
        }
    }

    /** RFC 3207 §4.2: what came in clear, read or not, is forgotten once TLS is on. */
    void tlsStarted() {
        reader.reset();
        held.clear();
    }

    /** Reads replies from {@code in} until it is used up or an event waits to be taken. */
    private void read(ByteBuffer in) {
        while (in.hasRemaining() && !out.hasEvents() && !session.dropsInput()) {
            Reply reply = reader.read(in);
            if (reply != null) {
                session.onReply(reply);
            } else if (reader.problem() != null) {
                session.fail(ClientFailure.Kind.PROTOCOL_ERROR, reader.problem(), null);
            }
        }
        if (session.dropsInput()) {
            in.position(in.limit()); // RFC 3207 §4.2: nothing read in clear after the 220 counts
        }
    }
}
