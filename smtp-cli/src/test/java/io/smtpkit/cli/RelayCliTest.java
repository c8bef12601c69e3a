package io.smtpkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.server.SmtpServer;
import io.smtpkit.server.testsupport.SmtpClient;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The relay handler as the command line makes it: smtpd's spelling, its options, its errors. */
class RelayCliTest {

    private final CliHarness cli = new CliHarness();
    private final List<String> delivered = new CopyOnWriteArrayList<>();
    private SmtpServer upstream;

    @AfterEach
    void close() {
        cli.close();
        if (upstream != null) {
            upstream.close();
        }
    }

    private String upstreamAddress() throws Exception {
        upstream = SmtpServer.builder().listen(new InetSocketAddress("127.0.0.1", 0))
                .config(SessionConfig.builder().hostname("upstream.test").build()).receivedHeader(false)
                .handler((session, envelope, message) -> {
                    delivered.add(envelope.recipientAddresses() + " " + new String(message.bytes(), java.nio.charset.StandardCharsets.UTF_8));
                    return null;
                }).build().start();
        return "127.0.0.1:" + upstream.port();
    }

    @Test
    void listHandlersShowsRelayWithEveryOption() {
        String out = cli.run("--list-handlers").out();
        String relay = out.lines().filter(l -> l.startsWith("relay")).findFirst().orElseThrow(() -> new AssertionError(out));
        assertTrue(relay.contains("PureProxy"), relay);
        for (String option : List.of("upstream", "route", "helo", "tls", "tls-trust", "tls-verify", "auth-user",
                "auth-password-file", "auth-insecure", "networks", "domains", "timeout-connect", "timeout-reply", "timeout-data")) {
            assertTrue(out.contains("-o " + option + "=..."), option + " listed:\n" + out);
        }
    }

    @Test
    void smtpdsPureProxyCommandLineRelaysToTheSecondAddress() throws Exception {
        String up = upstreamAddress();
        CliHarness.Serving serving = cli.serve("-n", "-c", "PureProxy", "127.0.0.1:0", up);
        assertEquals("relay", serving.startLine().group(3));
        String reply = SmtpClient.deliver(serving.address(), "alice@example.org", "bob@example.net", "Subject: x\r\n\r\nhi\r\n");
        assertTrue(reply.startsWith("250"), reply);
        assertEquals(1, delivered.size());
        assertTrue(delivered.get(0).startsWith("[bob@example.net] Received: from client.example"), delivered.get(0));
        assertTrue(delivered.get(0).endsWith("Subject: x\r\n\r\nhi\r\n"), delivered.get(0));
    }

    @Test
    void routeMayBeRepeated() throws Exception {
        String up = upstreamAddress();
        CliHarness.Serving serving = cli.serve("-l", "127.0.0.1:0", "-c", "relay", "-o", "upstream=" + up,
                "-o", "route=a.test=" + up, "-o", "route=b.test=" + up);
        assertTrue(SmtpClient.deliver(serving.address(), "alice@example.org", "x@b.test", "Subject: y\r\n\r\nhi\r\n").startsWith("250"));
    }

    @Test
    void wrongValuesAreUsageErrorsNamingTheOption() {
        String line = cli.run("-l", "127.0.0.1:0", "-c", "relay", "-o", "upstream=h:25", "-o", "tls=maybe").assertUsageError();
        assertTrue(line.contains("tls") && line.contains("maybe"), line);
        line = cli.run("-l", "127.0.0.1:0", "-c", "relay").assertUsageError();
        assertTrue(line.contains("upstream"), line);
        line = cli.run("-l", "127.0.0.1:0", "-c", "relay", "127.0.0.1:0", "127.0.0.1:25", "-o", "upstream=127.0.0.1:26").assertUsageError();
        assertTrue(line.contains("twice"), line);
    }

    // ------------------------------------------------------------------------------------------
    // lmtp, smtpd's MailmanProxy

    @Test
    void listHandlersShowsLmtpWithItsOptionsAndEveryRelayOption() {
        String out = cli.run("--list-handlers").out();
        String lmtp = out.lines().filter(l -> l.startsWith("lmtp")).findFirst().orElseThrow(() -> new AssertionError(out));
        assertTrue(lmtp.contains("MailmanProxy"), lmtp);
        String after = out.substring(out.indexOf(lmtp) + lmtp.length() + 1);
        String section = after.lines().takeWhile(l -> l.startsWith(" ")).collect(java.util.stream.Collectors.joining("\n"));
        for (String option : List.of("lmtp", "lists", "list", "upstream", "route", "helo", "tls", "tls-trust", "tls-verify",
                "auth-user", "auth-password-file", "auth-insecure", "networks", "domains", "timeout-connect", "timeout-reply",
                "timeout-data")) {
            assertTrue(section.contains("-o " + option + "=..."), option + " listed under lmtp:\n" + out);
        }
    }

    @Test
    void smtpdsMailmanProxyCommandLineSendsListMailOverLmtpAndRelaysTheRest() throws Exception {
        String up = upstreamAddress();
        List<String> lists = new CopyOnWriteArrayList<>();
        SmtpServer mailman = SmtpServer.builder().listen(new InetSocketAddress("127.0.0.1", 0))
                .config(SessionConfig.builder().hostname("mailman.test").lmtp(true).build()).receivedHeader(false)
                .handler((session, envelope, message) -> {
                    lists.add(envelope.recipientAddresses().toString());
                    return null;
                }).build().start();
        try {
            CliHarness.Serving serving = cli.serve("-n", "-c", "MailmanProxy", "-o", "lmtp=127.0.0.1:" + mailman.port(),
                    "-o", "list=dev@example.org", "-o", "list=ops@example.org", "127.0.0.1:0", up);
            assertEquals("lmtp", serving.startLine().group(3));
            String reply = SmtpClient.deliver(serving.address(), "alice@example.org", "ops-request@example.org", "Subject: x\r\n\r\nhi\r\n");
            assertTrue(reply.startsWith("250"), reply);
            assertEquals(List.of("[ops-request@example.org]"), lists);
            reply = SmtpClient.deliver(serving.address(), "alice@example.org", "bob@example.net", "Subject: y\r\n\r\nhi\r\n");
            assertTrue(reply.startsWith("250"), reply);
            assertEquals(1, delivered.size());
            assertTrue(delivered.get(0).startsWith("[bob@example.net] "), delivered.get(0));
        } finally {
            mailman.close();
        }
    }

    @Test
    void lmtpWithoutListsIsAUsageErrorNamingTheOption() {
        String line = cli.run("-l", "127.0.0.1:0", "-c", "MailmanProxy", "-o", "upstream=127.0.0.1:25").assertUsageError();
        assertTrue(line.contains("lists"), line);
    }
}
