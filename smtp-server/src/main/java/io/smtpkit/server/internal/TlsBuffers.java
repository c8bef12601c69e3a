package io.smtpkit.server.internal;

import java.nio.ByteBuffer;
import javax.net.ssl.SSLSession;

/**
 * The event loop's TLS scratch buffers, shared by every connection's {@link TlsLayer}: one layer
 * runs at a time, and what it must keep it copies out, so an idle TLS connection holds no
 * buffer of its own. They only grow, to fit the largest session seen.
 */
final class TlsBuffers {

    /** TLS records are at most about 16 KiB (32 KiB with large fragments); this is plenty. */
    private static final int MAX = 256 * 1024;

    private ByteBuffer app;
    private ByteBuffer net;

    /** Makes both buffers large enough for what {@code session} says its records take. */
    void fit(SSLSession session) {
        if (app == null || app.capacity() < session.getApplicationBufferSize()) {
            app = ByteBuffer.allocate(session.getApplicationBufferSize() + 1024);
        }
        if (net == null || net.capacity() < session.getPacketBufferSize()) {
            net = ByteBuffer.allocate(session.getPacketBufferSize() + 1024);
        }
    }

    /** Decrypted input lands here. */
    ByteBuffer app() {
        return app;
    }

    /** Encrypted output is produced here. */
    ByteBuffer net() {
        return net;
    }

    /** Replaces {@link #app()} with one room for {@code wanted} octets; null (keeping the old one) past the maximum. */
    ByteBuffer growApp(int wanted) {
        ByteBuffer larger = larger(app, wanted);
        if (larger != null) {
            app = larger;
        }
        return larger;
    }

    /** As {@link #growApp}, for {@link #net()}. */
    ByteBuffer growNet(int wanted) {
        ByteBuffer larger = larger(net, wanted);
        if (larger != null) {
            net = larger;
        }
        return larger;
    }

    /** At least twice the old size, since the engine asked for more than its session said (SSLEngine's contract). */
    private static ByteBuffer larger(ByteBuffer old, int wanted) {
        long size = Math.max((long) wanted + 1024, 2L * old.capacity());
        return old.capacity() >= MAX ? null : ByteBuffer.allocate((int) Math.min(size, MAX));
    }
}
