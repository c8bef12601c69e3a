package io.smtpkit.server.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * A connection's way to the socket: each batch goes out in one write, and only what the socket
 * would not take is copied aside, so a connection whose client reads holds no output buffer.
 */
final class Outbox {

    private final SocketChannel channel;
    /** What the socket has not taken yet, or null. */
    private ByteBuffer pending;

    Outbox(SocketChannel channel) {
        this.channel = channel;
    }

    /** Writes {@code data} (a loop buffer) behind what is pending; keeps a copy of what is left. */
    void write(ByteBuffer data) throws IOException {
        if (pending == null) {
            channel.write(data);
            if (data.hasRemaining()) {
                pending = Bytes.copy(data);
            }
        } else {
            ByteBuffer joined = ByteBuffer.allocate(pending.remaining() + data.remaining());
            joined.put(pending).put(data).flip();
            pending = joined;
            writePending();
        }
    }

    /** Writes what is pending, as far as the socket takes it. */
    void writePending() throws IOException {
        if (pending == null) {
            return;
        }
        channel.write(pending);
        if (!pending.hasRemaining()) {
            pending = null;
        }
    }

    /** True when everything written has reached the socket. */
    boolean isEmpty() {
        return pending == null;
    }

    int pendingOctets() {
        return pending == null ? 0 : pending.remaining();
    }

    long capacity() {
        return pending == null ? 0 : pending.capacity();
    }

    void drop() {
        pending = null;
    }
}
