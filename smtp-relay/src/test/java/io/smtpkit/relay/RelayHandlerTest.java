package io.smtpkit.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.server.ProxyProtocol;
import io.smtpkit.server.SmtpServer;
import io.smtpkit.server.testsupport.SmtpClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The relay between a client and a second smtpkit server, over real sockets on loopback. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RelayHandlerTest {

    private final List<AutoCloseable> closing = new ArrayList<>();
    private final Upstreams.Capture capture = new Upstreams.Capture();

    @AfterEach
    void close() throws Exception {
        capture.release();
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    private SmtpServer upstream(UnaryOperator<SessionConfig.Builder> config) throws IOException {
        return upstream(config, b -> b);
    }

    private SmtpServer upstream(UnaryOperator<SessionConfig.Builder> config, UnaryOperator<SmtpServer.Builder> server)
            throws IOException {
        SmtpServer s = Upstreams.start(capture, config, server);
        closing.add(s);
        return s;
    }

    /** The relay under test, made from -o options as the command line makes it. */
    private SmtpServer relay(String... options) throws IOException {
        return relay(c -> c, b -> b, options);
    }

    private SmtpServer relay(UnaryOperator<SessionConfig.Builder> session, UnaryOperator<SmtpServer.Builder> server,
            String... options) throws IOException {
        Map<String, String> o = new HashMap<>();
        for (String option : options) {
            int eq = option.indexOf('=');
            o.put(option.substring(0, eq), option.substring(eq + 1));
        }
        RelayHandler handler = (RelayHandler) new RelayProvider().create(o);
        SessionConfig config = session.apply(SessionConfig.builder().hostname("relay.test").smtpUtf8(true).dsn(true)).build();
        SmtpServer s = server.apply(SmtpServer.builder().listen(new InetSocketAddress("127.0.0.1", 0)).config(config)
                .handler(handler)).build().start();
        closing.add(s);
        return s;
    }

    private SmtpClient client(SmtpServer relay) throws IOException {
        return client(relay, null);
    }

    private SmtpClient client(SmtpServer relay, String from) throws IOException {
        SmtpClient c = SmtpClient.connect(relay.addresses().get(0), from == null ? null : new InetSocketAddress(from, 0));
        closing.add(c);
        return Upstreams.greet(c);
    }

    private static String data(SmtpClient c, String content) throws IOException {
        return Upstreams.data(c, content);
    }

    // ------------------------------------------------------------------------------------------
    // Verdicts, live

    @Test
    void eachRecipientGetsTheUpstreamsOwnVerdictAndOnlyAcceptedOnesGetTheMessage() throws Exception {
        SmtpServer up = upstream(c -> c);
        SmtpClient c = client(relay("upstream=" + Upstreams.hostPort(up)));
        assertTrue(c.command("MAIL FROM:<alice@example.org>").startsWith("250"));
        assertEquals(1, capture.mails.size(), "the upstream session opened at MAIL");
        assertEquals("550 5.1.1 No such user here", c.command("RCPT TO:<refuse@example.net>"));
        assertEquals("452 4.2.2 Mailbox full, try later", c.command("RCPT TO:<busy@example.net>"));
        assertTrue(c.command("RCPT TO:<bob@example.net>").startsWith("250"));
        assertEquals("250 2.0.0 Ok: queued as UP1", data(c, "Subject: hi\r\n\r\nhello\r\n"));
        assertEquals(1, capture.messages.size());
        assertEquals(List.of("bob@example.net"), capture.messages.get(0).envelope().recipientAddresses());
    }

    @Test
    void theUpstreamsReplyAfterTheDataIsTheClients() throws Exception {
        SmtpServer up = upstream(c -> c);
        SmtpClient c = client(relay("upstream=" + Upstreams.hostPort(up)));
        c.command("MAIL FROM:<alice@example.org>");
        c.command("RCPT TO:<later@example.net>");
        assertEquals("451 4.3.0 Queue trouble, try later", data(c, "x\r\n"));
        c.command("MAIL FROM:<alice@example.org>");
        c.command("RCPT TO:<reject@example.net>");
        assertEquals("554 5.6.0 Content refused", data(c, "x\r\n"));
        c.command("MAIL FROM:<alice@example.org>");
        c.command("RCPT TO:<bob@example.net>");
        assertTrue(data(c, "x\r\n").startsWith("250"));
        assertEquals(1, capture.connections.get(), "one upstream connection for the client session's transactions");
    }

    @Test
    void dsnParametersArePassedOn() throws Exception {
        SmtpServer up = upstream(c -> c);
        SmtpClient c = client(relay("upstream=" + Upstreams.hostPort(up)));
        assertTrue(c.command("MAIL FROM:<alice@example.org> RET=HDRS ENVID=QQ314159").startsWith("250"));
        assertTrue(c.command("RCPT TO:<bob@example.net> NOTIFY=FAILURE,DELAY ORCPT=rfc822;bob@example.net").startsWith("250"));
        assertTrue(data(c, "x\r\n").startsWith("250"));
        var envelope = capture.messages.get(0).envelope();
        assertEquals("HDRS", envelope.mailParameters().get("RET"));
        assertEquals("QQ314159", envelope.mailParameters().get("ENVID"));
        assertEquals("FAILURE,DELAY", envelope.recipientParameters().get(0).get("NOTIFY"));
        assertEquals("rfc822;bob@example.net", envelope.recipientParameters().get(0).get("ORCPT"));
    }

    @Test
    void anAbandonedTransactionIsResetUpstreamAndTheNextOneStandsAlone() throws Exception {
        SmtpServer up = upstream(c -> c);
        SmtpClient c = client(relay("upstream=" + Upstreams.hostPort(up)));
        c.command("MAIL FROM:<first@example.org>");
        c.command("RCPT TO:<carol@example.net>");
        assertTrue(c.command("RSET").startsWith("250"));
        c.command("MAIL FROM:<second@example.org>");
        c.command("RCPT TO:<bob@example.net>");
        assertTrue(data(c, "x\r\n").startsWith("250"));
        assertEquals("second@example.org", capture.messages.get(0).envelope().reversePath().address());
        assertEquals(List.of("bob@example.net"), capture.messages.get(0).envelope().recipientAddresses());
    }

    @Test
    void aRoutedDomainGoesToItsOwnNextHopOneNextHopPerTransaction() throws Exception {
        SmtpServer up = upstream(c -> c);
        Upstreams.Capture lists = new Upstreams.Capture();
        SmtpServer listServer = Upstreams.start(lists, c -> c, b -> b);
        closing.add(listServer);
        SmtpClient c = client(relay("upstream=" + Upstreams.hostPort(up), "route=lists.test=" + Upstreams.hostPort(listServer)));
        assertTrue(c.command("MAIL FROM:<alice@example.org>").startsWith("250"));
        assertTrue(c.command("RCPT TO:<bob@example.net>").startsWith("250"));
        assertTrue(c.command("RCPT TO:<dev@lists.test>").startsWith("452 4.5.3"), "another next hop: a later transaction");
        assertTrue(data(c, "x\r\n").startsWith("250"));
        c.command("MAIL FROM:<alice@example.org>");
        assertTrue(c.command("RCPT TO:<dev@lists.test>").startsWith("250"));
        assertTrue(data(c, "x\r\n").startsWith("250"));
        assertEquals(List.of("bob@example.net"), capture.messages.get(0).envelope().recipientAddresses());
        assertEquals(1, capture.messages.size());
        assertEquals(List.of("dev@lists.test"), lists.messages.get(0).envelope().recipientAddresses());
    }

    // ------------------------------------------------------------------------------------------
    // Faults

    @Test
    void anUnreachableUpstreamIsATemporaryFailure() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        SmtpClient c = client(relay("upstream=127.0.0.1:" + port, "timeout-connect=2s"));
        assertTrue(c.command("MAIL FROM:<alice@example.org>").startsWith("451 4.4.1"));
    }

    @Test
    void anUpstreamSlowerThanTheTimeoutIsATemporaryFailure() throws Exception {
        SmtpServer up = upstream(c -> c);
        SmtpClient c = client(relay("upstream=" + Upstreams.hostPort(up), "timeout-data=1s"));
        c.command("MAIL FROM:<alice@example.org>");
        c.command("RCPT TO:<stall@example.net>");
        assertTrue(data(c, "x\r\n").startsWith("451 4.4.1"));
        assertTrue(capture.stalled.await(10, TimeUnit.SECONDS));
    }

    @Test
    void anUpstreamCutInTheMiddleOfTheDataIsATemporaryFailure() throws Exception {
        ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        closing.add(listener);
        Thread peer = new Thread(() -> {
            try (Socket s = listener.accept()) {
                s.setSoTimeout(20_000);
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                out.write("220 cut.test ESMTP\r\n".getBytes(StandardCharsets.US_ASCII));
                for (String reply : List.of("250-cut.test\r\n250 8BITMIME\r\n", "250 OK\r\n", "250 OK\r\n", "354 go\r\n")) {
                    readLine(in);
                    out.write(reply.getBytes(StandardCharsets.US_ASCII));
                }
                in.readNBytes(1000); // part of the content, then the line goes dead
            } catch (IOException ignored) {
                // the relay may close first
            }
        });
        peer.start();
        SmtpClient c = client(relay("upstream=127.0.0.1:" + listener.getLocalPort()));
        assertTrue(c.command("MAIL FROM:<alice@example.org>").startsWith("250"));
        assertTrue(c.command("RCPT TO:<bob@example.net>").startsWith("250"));
        String reply = data(c, "x".repeat(70) + "\r\n" + ("y".repeat(998) + "\r\n").repeat(3000));
        assertTrue(reply.startsWith("451 4.4.2"), reply);
        peer.join(20_000);
    }

    private static void readLine(InputStream in) throws IOException {
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            // up to the line's end
        }
    }

    @Test
    void requiredTlsThatIsNotOfferedDefersAndSendsNothingInClear() throws Exception {
        SmtpServer up = upstream(c -> c);
        SmtpClient c = client(relay("upstream=" + Upstreams.hostPort(up), "tls=required"));
        assertTrue(c.command("MAIL FROM:<alice@example.org>").startsWith("451 4.7.10"));
        assertTrue(capture.mails.isEmpty(), "no MAIL went out in clear");
    }

    @Test
    void requiredTlsChecksTheCertificateAgainstTheGivenTrust() throws Exception {
        SmtpServer up = upstream(c -> c.startTls(true), b -> b.tls(TestCerts.serverContext()));
        SmtpClient c = client(relay("upstream=localhost:" + up.port(), "tls=required", "tls-trust=" + TestCerts.certificate()));
        c.command("MAIL FROM:<alice@example.org>");
        c.command("RCPT TO:<bob@example.net>");
        assertTrue(data(c, "x\r\n").startsWith("250"));
        assertTrue(capture.messages.get(0).secure());
    }

    @Test
    void requiredTlsWithAnUntrustedCertificateDefers() throws Exception {
        SmtpServer up = upstream(c -> c.startTls(true), b -> b.tls(TestCerts.serverContext()));
        SmtpClient c = client(relay("upstream=localhost:" + up.port(), "tls=required")); // the JDK's trust: not our test CA
        assertTrue(c.command("MAIL FROM:<alice@example.org>").startsWith("451 4.7.5"));
        assertTrue(capture.mails.isEmpty());
        SmtpClient unverified = client(relay("upstream=localhost:" + up.port(), "tls=required", "tls-verify=false"));
        assertTrue(unverified.command("MAIL FROM:<alice@example.org>").startsWith("250"), "only when asked");
    }

    @Test
    void authToTheUpstreamOverTlsAndARefusedAuthSendsNothing() throws Exception {
        SmtpServer up = upstream(c -> c.startTls(true).authentication(true),
                b -> b.tls(TestCerts.serverContext()).authenticator((user, password) -> user.equals("relay") && password.equals("s3cret")));
        String good = TestCerts.passwordFile("s3cret\nnot this line\n");
        SmtpClient c = client(relay("upstream=localhost:" + up.port(), "auth-user=relay", "auth-password-file=" + good));
        c.command("MAIL FROM:<alice@example.org>");
        c.command("RCPT TO:<bob@example.net>");
        assertTrue(data(c, "x\r\n").startsWith("250"));
        assertEquals("relay", capture.messages.get(0).user());
        String bad = TestCerts.passwordFile("wrong\n");
        SmtpClient refused = client(relay("upstream=localhost:" + up.port(), "auth-user=relay", "auth-password-file=" + bad));
        assertTrue(refused.command("MAIL FROM:<alice@example.org>").startsWith("451 4.7.0"));
        assertEquals(1, capture.mails.size(), "no MAIL after the refused AUTH");
    }

    @Test
    void authIsNotSentInClearUnlessAsked() throws Exception {
        SmtpServer up = upstream(c -> c.authentication(true).allowInsecureAuth(true),
                b -> b.authenticator((user, password) -> true));
        String pw = TestCerts.passwordFile("pw\n");
        SmtpClient c = client(relay("upstream=" + Upstreams.hostPort(up), "auth-user=relay", "auth-password-file=" + pw));
        assertTrue(c.command("MAIL FROM:<alice@example.org>").startsWith("451 4.7.0"));
        assertTrue(capture.mails.isEmpty());
        SmtpClient insecure = client(relay("upstream=" + Upstreams.hostPort(up), "auth-user=relay",
                "auth-password-file=" + pw, "auth-insecure=true"));
        assertTrue(insecure.command("MAIL FROM:<alice@example.org>").startsWith("250"));
    }

    // ------------------------------------------------------------------------------------------
    // Policy

    @Test
    void aClientOutsideTheNetworksRelaysOnlyToTheDomains() throws Exception {
        SmtpServer up = upstream(c -> c);
        SmtpServer relay = relay("upstream=" + Upstreams.hostPort(up), "networks=127.0.0.1/32", "domains=Example.COM");
        SmtpClient c = client(relay, "127.0.0.2");
        assertTrue(c.command("MAIL FROM:<alice@example.org>").startsWith("250"));
        assertEquals("554 5.7.1 Relay access denied", c.command("RCPT TO:<victim@elsewhere.test>"));
        assertEquals(0, capture.connections.get(), "the upstream was never contacted");
        assertTrue(c.command("RCPT TO:<bob@example.com>").startsWith("250"));
        assertTrue(data(c, "x\r\n").startsWith("250"));
        assertEquals(List.of("bob@example.com"), capture.messages.get(0).envelope().recipientAddresses());
        SmtpClient trusted = client(relay, "127.0.0.1");
        trusted.command("MAIL FROM:<alice@example.org>");
        assertTrue(trusted.command("RCPT TO:<anyone@elsewhere.test>").startsWith("250"));
    }

    @Test
    void behindAProxyProtocolBalancerNetworksJudgeTheOriginalClient() throws Exception {
        SmtpServer up = upstream(c -> c);
        SmtpServer relay = relay(c -> c, b -> b.listen(new InetSocketAddress("127.0.0.1", 0), ProxyProtocol.fromLoopback()),
                "upstream=" + Upstreams.hostPort(up), "networks=192.0.2.0/24");
        InetSocketAddress proxied = relay.addresses().get(1);
        // the balancer (127.0.0.1) is not in networks=, the client it names is
        SmtpClient inside = proxiedClient(proxied, "192.0.2.7");
        inside.command("MAIL FROM:<alice@example.org>");
        assertTrue(inside.command("RCPT TO:<anyone@elsewhere.test>").startsWith("250"));
        SmtpClient outside = proxiedClient(proxied, "203.0.113.7");
        outside.command("MAIL FROM:<alice@example.org>");
        assertEquals("554 5.7.1 Relay access denied", outside.command("RCPT TO:<anyone@elsewhere.test>"));
        // and 127.0.0.1 itself, straight to the plain listener, is a stranger too
        SmtpClient direct = client(relay);
        direct.command("MAIL FROM:<alice@example.org>");
        assertEquals("554 5.7.1 Relay access denied", direct.command("RCPT TO:<anyone@elsewhere.test>"));
    }

    private SmtpClient proxiedClient(InetSocketAddress listener, String client) throws IOException {
        SmtpClient c = SmtpClient.connect(listener);
        closing.add(c);
        c.send("PROXY TCP4 " + client + " 127.0.0.1 40000 25\r\n");
        return Upstreams.greet(c);
    }

    @Test
    void anAuthenticatedClientRelaysFromAnywhere() throws Exception {
        SmtpServer up = upstream(c -> c);
        // The relay's own AUTH in clear: only because this test's relay allows it.
        SmtpServer relay = relay(c -> c.authentication(true).allowInsecureAuth(true),
                b -> b.authenticator((user, password) -> user.equals("me") && password.equals("pw")),
                "upstream=" + Upstreams.hostPort(up), "networks=127.0.0.1/32");
        SmtpClient stranger = client(relay, "127.0.0.2");
        stranger.command("MAIL FROM:<alice@example.org>");
        assertEquals("554 5.7.1 Relay access denied", stranger.command("RCPT TO:<anyone@elsewhere.test>"));
        SmtpClient c = client(relay, "127.0.0.2");
        String plain = Base64.getEncoder().encodeToString("\0me\0pw".getBytes(StandardCharsets.US_ASCII));
        assertTrue(c.command("AUTH PLAIN " + plain).startsWith("235"));
        c.command("MAIL FROM:<alice@example.org>");
        assertTrue(c.command("RCPT TO:<anyone@elsewhere.test>").startsWith("250"));
    }

    // ------------------------------------------------------------------------------------------
    // Byte transparency

    @Test
    void eightBitContentAndDotLinesArriveExactlyBehindOurReceivedHeader() throws Exception {
        SmtpServer up = upstream(c -> c);
        SmtpClient c = client(relay("upstream=" + Upstreams.hostPort(up)));
        String content = "Subject: caf\u00e9\r\n\r\n.\r\n..\r\n.leading dot\r\nna\u00efve \u00fcber\r\n\r\n.\r\n";
        c.command("MAIL FROM:<alice@example.org> BODY=8BITMIME");
        c.command("RCPT TO:<bob@example.net>");
        assertTrue(data(c, content).startsWith("250"));
        assertDeliveredExactly(content.getBytes(StandardCharsets.UTF_8));
        assertTrue(capture.mails.get(0).contains("BODY=8BITMIME"), capture.mails.get(0));
    }

    @Test
    void aTwentyMebibyteMessageArrivesExactly() throws Exception {
        SmtpServer up = upstream(c -> c);
        SmtpClient c = client(relay("upstream=" + Upstreams.hostPort(up)));
        StringBuilder s = new StringBuilder("Subject: big\r\n\r\n");
        Random random = new Random(7);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/.";
        while (s.length() < 20 * 1024 * 1024) {
            for (int i = 0; i < 76; i++) {
                s.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            s.append("\r\n");
        }
        byte[] content = s.toString().getBytes(StandardCharsets.US_ASCII);
        c.command("MAIL FROM:<alice@example.org> SIZE=" + content.length);
        c.command("RCPT TO:<bob@example.net>");
        assertTrue(data(c, s.toString()).startsWith("250"));
        assertDeliveredExactly(content);
    }

    @Test
    void binaryMimeOverBdatArrivesExactly() throws Exception {
        SmtpServer up = upstream(c -> c);
        SmtpClient c = client(relay("upstream=" + Upstreams.hostPort(up)));
        byte[] content = new byte[200_000];
        new Random(3).nextBytes(content);
        byte[] header = "Content-Type: application/octet-stream\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(header, 0, content, 0, header.length);
        assertTrue(c.command("MAIL FROM:<alice@example.org> BODY=BINARYMIME").startsWith("250"));
        assertTrue(c.command("RCPT TO:<bob@example.net>").startsWith("250"));
        c.send(("BDAT " + content.length + " LAST\r\n").getBytes(StandardCharsets.US_ASCII));
        c.send(content);
        assertTrue(c.reply().startsWith("250"));
        assertDeliveredExactly(content);
    }

    @Test
    void smtpUtf8AddressesArePassedOnAndRefusedWhenTheUpstreamLacksIt() throws Exception {
        SmtpServer up = upstream(c -> c);
        SmtpClient c = client(relay("upstream=" + Upstreams.hostPort(up)));
        assertTrue(c.command("MAIL FROM:<j\u00f6rg@b\u00fccher.example> SMTPUTF8").startsWith("250"));
        assertTrue(c.command("RCPT TO:<\u5c0f\u660e@\u4f8b\u5b50.test>").startsWith("250"));
        String content = "Subject: =?utf-8?q?hi?=\r\n\r\n\u00e9\r\n";
        assertTrue(data(c, content).startsWith("250"));
        assertDeliveredExactly(content.getBytes(StandardCharsets.UTF_8));
        assertEquals("\u5c0f\u660e@\u4f8b\u5b50.test", capture.messages.get(0).envelope().recipientAddresses().get(0));

        SmtpServer ascii = Upstreams.start(capture, b -> b.smtpUtf8(false).eightBitMime(false), b -> b);
        closing.add(ascii);
        SmtpClient d = client(relay("upstream=" + Upstreams.hostPort(ascii)));
        String utf8 = d.command("MAIL FROM:<j\u00f6rg@b\u00fccher.example> SMTPUTF8");
        assertTrue(utf8.startsWith("553 5.6.7"), utf8);
        assertTrue(d.command("MAIL FROM:<alice@example.org> BODY=8BITMIME").startsWith("554 5.6.3"));
    }

    @Test
    void theUpstreamsSizeIsHonouredBeforeTheDataIsSent() throws Exception {
        SmtpServer up = upstream(c -> c.maxMessageSize(1000));
        SmtpClient c = client(relay("upstream=" + Upstreams.hostPort(up)));
        String declared = c.command("MAIL FROM:<alice@example.org> SIZE=5000");
        assertTrue(declared.startsWith("552 5.3.4"), declared);
        assertTrue(c.command("MAIL FROM:<alice@example.org>").startsWith("250"));
        c.command("RCPT TO:<bob@example.net>");
        assertTrue(data(c, ("z".repeat(98) + "\r\n").repeat(50)).startsWith("552 5.3.4"), "actual size");
        assertTrue(capture.messages.isEmpty());
    }

    private void assertDeliveredExactly(byte[] content) throws Exception {
        assertEquals(1, capture.messages.size());
        byte[] got = capture.messages.get(0).content();
        String head = new String(got, 0, Math.min(got.length, 400), StandardCharsets.UTF_8);
        assertTrue(head.startsWith("Received: from client.test"), head);
        int headerLength = got.length - content.length;
        assertTrue(headerLength > 0);
        String trace = new String(got, 0, headerLength, StandardCharsets.UTF_8);
        assertTrue(trace.endsWith("\r\n") && trace.indexOf("\r\n") > 0, trace);
        // The trace is one header field: continuation lines only after its first line.
        for (String line : trace.substring(trace.indexOf("\r\n") + 2).split("\r\n")) {
            assertTrue(line.isEmpty() || line.startsWith(" ") || line.startsWith("\t"), "one Received field: " + trace);
        }
        ByteArrayOutputStream rest = new ByteArrayOutputStream();
        rest.write(got, headerLength, content.length);
        assertEquals(sha256(content), sha256(rest.toByteArray()));
        assertArrayEquals(content, rest.toByteArray());
        assertFalse(trace.indexOf("Received:", 1) >= 0, "exactly one Received header added");
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
