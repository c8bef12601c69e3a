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

    /**
     * Writes what the event staged in {@code plain} (through {@code tls}, when there is one, into
     * {@code wire}) in one write, and clears both: each reply batch leaves in one write, so it
     * never waits on Nagle and delayed ACK. Nothing is wrapped during a TLS handshake.
     */
    void flush(Bytes plain, Bytes wire, TlsLayer tls) throws IOException {
        try {
            ByteBuffer data;
            if (tls == null) {
                data = plain.buffer();
            } else {
                if (!plain.isEmpty() && !tls.handshaking()) {
                    ByteBuffer source = plain.buffer();
                    while (source.hasRemaining()) {
                        if (!tls.wrap(source)) {
                            return;
                        }
                    }
                }
                data = wire.buffer();
            }
            if (data.hasRemaining()) {
                write(data);
            }
        } finally {
            plain.clear();
            wire.clear();
        }
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
