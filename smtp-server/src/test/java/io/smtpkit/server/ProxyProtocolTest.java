package io.smtpkit.server;

import static io.smtpkit.server.TestSupport.LOOPBACK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.Reply;
import io.smtpkit.server.testsupport.Eventually;
import io.smtpkit.server.testsupport.SmtpClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Listeners behind a load balancer, over real sockets: this test plays HAProxy, writing the
 * PROXY header itself before the client's SMTP, from 127.0.0.1 (trusted by default).
 */
class ProxyProtocolTest {

    private static final String FROM_CLIENT = "421 4.7.0 Error: too many connections from your address, try again later";
    private static final String V1_CLIENT = "PROXY TCP4 192.0.2.10 198.51.100.25 40000 25\r\n";

    /** What the handler and the tap saw of each session. */
    static final class Seen implements SmtpHandler, ConnectionTap {
        final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
        final BlockingQueue<InetSocketAddress> remotes = new LinkedBlockingQueue<>();
        final BlockingQueue<InetSocketAddress> locals = new LinkedBlockingQueue<>();
        final BlockingQueue<InetSocketAddress> tapped = new LinkedBlockingQueue<>();

        @Override
        public Reply onConnect(SessionContext session) {
            remotes.add(session.remoteAddress());
            locals.add(session.localAddress());
            return null;
        }

        @Override
        public Reply onMessage(SessionContext session, Envelope envelope, Message message) throws Exception {
            messages.add(new String(message.bytes(), StandardCharsets.UTF_8));
            return null;
        }

        @Override
        public Listener open(SessionContext session) {
            tapped.add(session.remoteAddress());
            return null;
        }

        static <T> T take(BlockingQueue<T> queue) throws InterruptedException {
            T value = queue.poll(20, TimeUnit.SECONDS);
            if (value == null) {
                throw new AssertionError("nothing arrived");
            }
            return value;
        }
    }

    private static SmtpServer.Builder proxied(Seen seen, ProxyProtocol proxy) {
        return SmtpServer.builder().listen(LOOPBACK, proxy).handler(seen).tap(seen).shutdownTimeout(Duration.ofSeconds(5));
    }

    @Test
    void v1HeaderMakesTheOriginalClientTheSessionsAndTheReceivedHeaders() throws Exception {
        Seen seen = new Seen();
        try (SmtpServer server = proxied(seen, ProxyProtocol.fromLoopback()).build().start();
                SmtpClient client = SmtpClient.connect(server)) {
            client.send(V1_CLIENT);
            assertTrue(client.reply().startsWith("220"));
            assertTrue(client.command("EHLO client.example").startsWith("250"));
            assertTrue(client.sendMail("a@example.com", "b@example.com", "Subject: hi\r\n\r\nhello").startsWith("250"));
            assertEquals(new InetSocketAddress("192.0.2.10", 40000), Seen.take(seen.remotes));
            assertEquals(new InetSocketAddress("198.51.100.25", 25), Seen.take(seen.locals));
            assertEquals(new InetSocketAddress("192.0.2.10", 40000), Seen.take(seen.tapped));
            String message = Seen.take(seen.messages);
            assertTrue(message.startsWith("Received: from client.example ([192.0.2.10])\r\n"), message);
        }
    }

    @Test
    void v2HeaderWithTlvsAndTheClientsFirstCommandInOneWrite() throws Exception {
        Seen seen = new Seen();
        try (SmtpServer server = proxied(seen, ProxyProtocol.fromLoopback()).build().start();
                SmtpClient client = SmtpClient.connect(server)) {
            byte[] addresses = concat(ip6("2001:db8::7"), ip6("2001:db8::25"), port(50000), port(587));
            byte[] tlvs = concat(new byte[] {0x05, 0, 3, 'i', 'd', '1'}, new byte[] {0x04, 0, 0});
            // a pipelining client: its EHLO (and a NOOP) travel with the header, before the greeting
            client.send(concat(v2(0x21, 0x21, concat(addresses, tlvs)), ascii("EHLO v6.example\r\nNOOP\r\n")));
            assertTrue(client.reply().startsWith("220"));
            assertTrue(client.reply().startsWith("250"), "EHLO");
            assertTrue(client.reply().startsWith("250"), "NOOP");
            assertTrue(client.sendMail("a@example.com", "b@example.com", "Subject: hi\r\n\r\nhello").startsWith("250"));
            assertEquals(new InetSocketAddress("2001:db8::7", 50000), Seen.take(seen.remotes));
            String message = Seen.take(seen.messages);
            assertTrue(message.startsWith("Received: from v6.example ([IPv6:2001:db8:0:0:0:0:0:7])"), message);
        }
    }

    @Test
    void v2LocalAndV1UnknownKeepTheRealEndpoints() throws Exception {
        Seen seen = new Seen();
        try (SmtpServer server = proxied(seen, ProxyProtocol.fromLoopback()).build().start()) {
            for (byte[] header : List.of(v2(0x20, 0x00, new byte[0]), ascii("PROXY UNKNOWN\r\n"))) {
                try (SmtpClient client = SmtpClient.connect(server)) {
                    client.send(header);
                    assertTrue(client.reply().startsWith("220"));
                    assertTrue(client.command("EHLO health.example").startsWith("250"));
                    assertTrue(client.sendMail("a@example.com", "b@example.com", "x").startsWith("250"));
                    assertEquals(client.socket().getLocalSocketAddress(), Seen.take(seen.remotes));
                    assertEquals(server.addresses().get(0), Seen.take(seen.locals));
                    assertTrue(Seen.take(seen.messages).startsWith("Received: from health.example ([127.0.0.1])"));
                }
            }
        }
    }

    @Test
    void perClientLimitCountsTheProxiedClientNotTheBalancer() throws Exception {
        Seen seen = new Seen();
        List<SmtpClient> held = new ArrayList<>();
        try (SmtpServer server = proxied(seen, ProxyProtocol.fromLoopback()).maxConnectionsPerClient(2).build().start()) {
            try {
                // the same client twice fills its places, though three sockets come from 127.0.0.1
                for (int i = 0; i < 2; i++) {
                    held.add(proxiedClient(server, "192.0.2.1", 220));
                }
                try (SmtpClient third = SmtpClient.connect(server)) {
                    third.send("PROXY TCP4 192.0.2.1 198.51.100.25 40003 25\r\n");
                    assertEquals(FROM_CLIENT, third.reply());
                    assertTrue(third.closedByServer());
                }
                // other clients behind the same balancer still get in
                held.add(proxiedClient(server, "192.0.2.2", 220));
                held.add(proxiedClient(server, "192.0.2.3", 220));
                assertEquals(4, server.connectionCount());
            } finally {
                for (SmtpClient c : held) {
                    c.close();
                }
            }
            // each place was given back once, the refused one's included
            Eventually.await(() -> server.connectionCount() == 0, Duration.ofSeconds(10), "every connection uncounted");
            held.clear();
            try {
                held.add(proxiedClient(server, "192.0.2.1", 220));
                held.add(proxiedClient(server, "192.0.2.1", 220));
            } finally {
                for (SmtpClient c : held) {
                    c.close();
                }
            }
        }
    }

    @Test
    void connectionRateCountsTheProxiedClientOnce() throws Exception {
        Seen seen = new Seen();
        try (SmtpServer server = proxied(seen, ProxyProtocol.fromLoopback()).maxConnectionRatePerClient(3).build().start()) {
            for (int i = 0; i < 3; i++) {
                proxiedClient(server, "192.0.2.1", 220).close();
            }
            proxiedClient(server, "192.0.2.1", 421).close();
            // the balancer itself and other clients have used none of theirs
            for (int i = 0; i < 3; i++) {
                proxiedClient(server, "192.0.2.2", 220).close();
            }
        }
    }

    @Test
    void peerOutsideTheTrustedNetworksIsClosedWithoutAGreeting() throws Exception {
        Seen seen = new Seen();
        try (SmtpServer server = proxied(seen, ProxyProtocol.from(List.of("10.0.0.0/8", "::1/128"))).build().start();
                SmtpClient client = SmtpClient.connect(server)) {
            client.send(V1_CLIENT);
            assertTrue(client.closedByServer());
            assertTrue(seen.remotes.isEmpty(), "no session began");
            Eventually.await(() -> server.connectionCount() == 0, Duration.ofSeconds(10), "uncounted");
        }
    }

    @Test
    void malformedHeaderIsClosedWithoutAGreeting() throws Exception {
        Seen seen = new Seen();
        try (SmtpServer server = proxied(seen, ProxyProtocol.fromLoopback()).build().start()) {
            for (String bad : List.of("EHLO client.example\r\n", "PROXY TCP4 192.0.2.10 198.51.100.25 40000 65536\r\n",
                    "PROXY TCP4 192.0.2.10 198.51.100.25 40000 25\n")) {
                try (SmtpClient client = SmtpClient.connect(server)) {
                    client.send(bad);
                    assertTrue(client.closedByServer(), bad);
                }
            }
            try (SmtpClient client = SmtpClient.connect(server)) {
                // a v2 header whose length is one short of its IPv4 addresses
                client.send(concat(v2(0x21, 0x11, new byte[11]), ascii("EHLO client.example\r\n")));
                assertTrue(client.closedByServer());
            }
            assertTrue(seen.remotes.isEmpty(), "no session began");
            Eventually.await(() -> server.connectionCount() == 0, Duration.ofSeconds(10), "uncounted");
        }
    }

    @Test
    void truncatedHeaderIsClosedWithoutAGreeting() throws Exception {
        Seen seen = new Seen();
        ProxyProtocol proxy = ProxyProtocol.fromLoopback().headerTimeout(Duration.ofMillis(300));
        try (SmtpServer server = proxied(seen, proxy).build().start()) {
            try (SmtpClient client = SmtpClient.connect(server)) {
                client.send(V1_CLIENT.substring(0, 20));
                client.socket().shutdownOutput(); // the balancer gave up in mid-header
                assertTrue(client.closedByServer());
            }
            try (SmtpClient client = SmtpClient.connect(server)) {
                client.send(java.util.Arrays.copyOf(v2(0x21, 0x11, new byte[12]), 20)); // stays cut short
                assertTrue(client.closedByServer());
            }
            assertTrue(seen.remotes.isEmpty(), "no session began");
            Eventually.await(() -> server.connectionCount() == 0, Duration.ofSeconds(10), "uncounted");
        }
    }

    @Test
    void noHeaderWithinTheTimeoutIsClosedWithoutAGreeting() throws Exception {
        Seen seen = new Seen();
        Duration timeout = Duration.ofMillis(300);
        try (SmtpServer server = proxied(seen, ProxyProtocol.fromLoopback().headerTimeout(timeout)).build().start();
                SmtpClient client = SmtpClient.connect(server)) {
            long start = System.nanoTime();
            assertTrue(client.closedByServer());
            assertTrue(System.nanoTime() - start >= timeout.toNanos() - TimeUnit.MILLISECONDS.toNanos(20), "not before the timeout");
            assertTrue(seen.remotes.isEmpty());
            Eventually.await(() -> server.connectionCount() == 0, Duration.ofSeconds(10), "uncounted");
        }
    }

    @Test
    void closeEndsSocketsStillWaitingForTheirHeaderAtOnce() throws Exception {
        Seen seen = new Seen();
        SmtpServer server = proxied(seen, ProxyProtocol.fromLoopback()).shutdownTimeout(Duration.ofSeconds(30)).build().start();
        try (SmtpClient client = SmtpClient.connect(server)) {
            client.send(V1_CLIENT.substring(0, 20));
            Eventually.await(() -> server.connectionCount() == 1, Duration.ofSeconds(10), "the socket counted");
            long start = System.nanoTime();
            server.close();
            // no session and nothing in flight: not held for the shutdown timeout, and nothing said
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(10).toNanos(), "close waited for the header");
            assertTrue(client.closedByServer());
            assertEquals(0, server.connectionCount());
        } finally {
            server.close();
        }
    }

    @Test
    void aPlainListenerNeverReadsAHeader() throws Exception {
        Seen seen = new Seen();
        try (SmtpServer server = SmtpServer.builder().listen(LOOPBACK).listen(LOOPBACK, ProxyProtocol.fromLoopback())
                .handler(seen).shutdownTimeout(Duration.ofSeconds(5)).build().start();
                SmtpClient plain = SmtpClient.connect(server.addresses().get(0))) {
            // greeted at once, and the header line is just a bad command
            assertTrue(plain.reply().startsWith("220"));
            assertTrue(plain.command(V1_CLIENT.trim()).startsWith("500"));
            assertTrue(plain.command("EHLO client.example").startsWith("250"));
            assertTrue(plain.sendMail("a@example.com", "b@example.com", "x").startsWith("250"));
            assertTrue(Seen.take(seen.messages).startsWith("Received: from client.example ([127.0.0.1])"));
        }
    }

    @Test
    void implicitTlsBeginsAfterTheHeader() throws Exception {
        Seen seen = new Seen();
        try (SmtpServer server = SmtpServer.builder().tls(TestSupport.serverTls())
                .listenTls(LOOPBACK, ProxyProtocol.fromLoopback()).handler(seen).shutdownTimeout(Duration.ofSeconds(5))
                .build().start();
                SmtpClient client = SmtpClient.connect(server)) {
            client.send(v2(0x21, 0x11, concat(new byte[] {(byte) 203, 0, 113, 5}, new byte[] {127, 0, 0, 1}, port(1234), port(465))));
            client.startTls(TestSupport.trustAll());
            assertTrue(client.reply().startsWith("220"));
            assertTrue(client.command("EHLO tls.example").startsWith("250"));
            assertTrue(client.sendMail("a@example.com", "b@example.com", "x").startsWith("250"));
            String message = Seen.take(seen.messages);
            assertTrue(message.startsWith("Received: from tls.example ([203.0.113.5])"), message);
            assertTrue(message.contains("with ESMTPS"), message);
        }
    }

    @Test
    void aClientHelloInTheHeadersSegmentReachesTls() throws Exception {
        Seen seen = new Seen();
        javax.net.ssl.SSLEngine engine = TestSupport.trustAll().createSSLEngine("localhost", 465);
        engine.setUseClientMode(true);
        java.nio.ByteBuffer hello = java.nio.ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(java.nio.ByteBuffer.allocate(0), hello);
        byte[] clientHello = java.util.Arrays.copyOf(hello.array(), hello.position());
        try (SmtpServer server = SmtpServer.builder().tls(TestSupport.serverTls())
                .listenTls(LOOPBACK, ProxyProtocol.fromLoopback()).handler(seen).shutdownTimeout(Duration.ofSeconds(5))
                .build().start();
                SmtpClient client = SmtpClient.connect(server)) {
            // as a balancer may send them: header and the client's first TLS record in one segment
            client.send(concat(v2(0x21, 0x11, new byte[12]), clientHello));
            client.socket().setSoTimeout(10_000);
            int first = client.socket().getInputStream().read();
            assertEquals(0x16, first, "a TLS handshake record (the ServerHello) answers the hello");
        }
    }

    // ------------------------------------------------------------------------------------------

    /** A proxied connection from {@code client}, whose first reply must have {@code code}. */
    private static SmtpClient proxiedClient(SmtpServer server, String client, int code) throws IOException {
        SmtpClient c = SmtpClient.connect(server);
        c.send("PROXY TCP4 " + client + " 198.51.100.25 40000 25\r\n");
        String reply = c.reply();
        if (!reply.startsWith(String.valueOf(code))) {
            c.close();
            throw new AssertionError("expected " + code + " for " + client + ": " + reply);
        }
        return c;
    }

    private static byte[] v2(int versionCommand, int familyProtocol, byte[] body) {
        return concat(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
                (byte) versionCommand, (byte) familyProtocol, (byte) (body.length >>> 8), (byte) body.length}, body);
    }

    private static byte[] ip6(String literal) throws IOException {
        return java.net.InetAddress.getByName(literal).getAddress();
    }

    private static byte[] port(int port) {
        return new byte[] {(byte) (port >>> 8), (byte) port};
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
