package io.smtpkit.server.internal;

import io.smtpkit.server.ProxyProtocol;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * A socket on a PROXY protocol listener before its header is complete: reads it (nothing is
 * written: no greeting before the header) and gives the connection to a {@link Connection} for
 * the client the header names, with what came after the header in the same reads, or closes it
 * and logs one line if the header is broken, cut short or late. It counts as
 * {@link SharedLimits#UNIDENTIFIED} until then. On the loop thread that will serve the client. Not API.
 */
final class ProxyIntake {

    private final Transport loop;
    private final SocketChannel channel;
    /** The balancer, as the socket sees it. */
    private final InetSocketAddress peer;
    private final boolean tls;
    private final ProxyProtocol proxy;
    SelectionKey key;
    /** Every octet read so far: the parser is given all of them each time. */
    private byte[] received = new byte[128];
    private int length;
    private boolean ended;

    ProxyIntake(Transport loop, SocketChannel channel, InetSocketAddress peer, boolean tls, ProxyProtocol proxy) {
        this.loop = loop;
        this.channel = channel;
        this.peer = peer;
        this.tls = tls;
        this.proxy = proxy;
    }

    void onReadable() {
        if (ended) {
            return;
        }
        ByteBuffer buffer = loop.readBuffer();
        buffer.clear();
        int n;
        try {
            n = channel.read(buffer);
        } catch (IOException e) {
            fail("read failed: " + e.getMessage());
            return;
        }
        if (n < 0) {
            fail(length == 0 ? "closed before sending a PROXY header" : "closed in the middle of its PROXY header");
            return;
        }
        if (length + n > received.length) {
            received = Arrays.copyOf(received, Math.max(received.length * 2, length + n));
        }
        buffer.flip();
        buffer.get(received, length, n);
        length += n;
        ProxyHeader.Result header = ProxyHeader.parse(ByteBuffer.wrap(received, 0, length));
        switch (header.status()) {
            case NEED_MORE -> { }
            case INVALID -> fail(header.reason());
            case PROXIED, LOCAL -> accept(header);
        }
    }

    private void accept(ProxyHeader.Result header) {
        ended = true;
        InetSocketAddress remote = header.status() == ProxyHeader.Status.PROXIED ? header.source() : peer;
        // Only what the last read brought past the header: every earlier read ended inside it.
        ByteBuffer early = length > header.consumed()
                ? ByteBuffer.wrap(Arrays.copyOfRange(received, header.consumed(), length)) : null;
        received = null;
        try {
            InetSocketAddress local = header.status() == ProxyHeader.Status.PROXIED
                    ? header.destination() : (InetSocketAddress) channel.getLocalAddress();
            if (header.status() == ProxyHeader.Status.PROXIED) {
                Transport.log.debug("PROXY header from {}: client {}", Acceptor.describe(peer), Acceptor.describe(remote));
            } else {
                Transport.log.debug("PROXY header from {}: LOCAL or UNKNOWN, the real endpoints", Acceptor.describe(peer));
            }
            loop.identified(this, channel, remote, local, tls, early);
        } catch (IOException e) {
            Transport.log.debug("connection dropped after its PROXY header: {}", Printable.of(e));
            loop.intakeEnded(this);
            Acceptor.closeQuietly(channel);
        }
    }

    /** The header timeout: a connection still without a whole header is closed. */
    void expire() {
        if (!ended) {
            long millis = proxy.headerTimeout().toMillis();
            fail((length == 0 ? "no PROXY header" : "PROXY header incomplete") + " after "
                    + (millis % 1000 == 0 ? TimeUnit.MILLISECONDS.toSeconds(millis) + " s" : millis + " ms"));
        }
    }

    /** The server is closing: nothing was said and nothing is owed, so the socket just goes. */
    void abandon() {
        if (!ended) {
            ended = true;
            close();
        }
    }

    private void fail(String why) {
        ended = true;
        Transport.log.warn("PROXY protocol: closed the connection from {} without a greeting: {}",
                Acceptor.describe(peer), Printable.of(why));
        close();
    }

    private void close() {
        received = null;
        if (key != null) {
            key.cancel();
        }
        loop.intakeEnded(this);
        Acceptor.closeQuietly(channel);
    }
}
