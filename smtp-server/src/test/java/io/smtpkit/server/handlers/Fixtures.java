package io.smtpkit.server.handlers;

import io.smtpkit.protocol.BodyType;
import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.MailPath;
import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.protocol.SessionInfo;
import io.smtpkit.protocol.SessionState;
import io.smtpkit.server.Message;
import io.smtpkit.server.SessionContext;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLSession;

/** What a handler is handed, made without a server, for testing handlers on their own. */
final class Fixtures {
    private Fixtures() {}

    static Envelope envelope(String from, String... to) {
        List<MailPath> recipients = java.util.Arrays.stream(to).map(Fixtures::path).toList();
        return new Envelope(path(from), recipients, Map.of("SIZE", "100"),
                recipients.stream().map(r -> Map.<String, String>of()).toList(), BodyType.EIGHT_BIT_MIME, false);
    }

    static MailPath path(String address) {
        if (address.isEmpty()) {
            return MailPath.NULL;
        }
        int at = address.lastIndexOf('@');
        return new MailPath(address.substring(0, at), address.substring(at + 1));
    }

    static Message message(byte[] content) {
        return new Message() {
            @Override
            public long size() {
                return content.length;
            }

            @Override
            public InputStream openStream() {
                return new ByteArrayInputStream(content);
            }
        };
    }

    /** A message whose stream fails after {@code good} bytes, like a spool file that vanished. */
    static Message failingMessage(byte[] content, int good) {
        return new Message() {
            @Override
            public long size() {
                return content.length;
            }

            @Override
            public InputStream openStream() {
                return new InputStream() {
                    int pos;

                    @Override
                    public int read() throws IOException {
                        if (pos == good) {
                            throw new IOException("spool read failed");
                        }
                        return pos < content.length ? content[pos++] & 0xff : -1;
                    }
                };
            }
        };
    }

    static SessionContext session(String peerIp) {
        SessionInfo info = new SessionInfo() {
            @Override public SessionState state() { return SessionState.DATA; }
            @Override public String heloName() { return "client.example"; }
            @Override public boolean isExtended() { return true; }
            @Override public boolean isSecure() { return false; }
            @Override public String authenticatedUser() { return null; }
            @Override public MailPath reversePath() { return null; }
            @Override public List<MailPath> recipients() { return List.of(); }
            @Override public SessionConfig config() { return SessionConfig.builder().build(); }
        };
        return new SessionContext() {
            @Override public String id() { return "test1"; }
            @Override public InetSocketAddress remoteAddress() { return new InetSocketAddress(peerIp, 40000); }
            @Override public InetSocketAddress localAddress() { return new InetSocketAddress("127.0.0.1", 25); }
            @Override public SessionInfo protocol() { return info; }
            @Override public SSLSession tlsSession() { return null; }
        };
    }
}
