package io.smtpkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.server.testsupport.SmtpClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The command line in-process, against real sockets on 127.0.0.1 with port 0. */
class CliTest {

    private static final String MESSAGE = "From: alice@example.org\r\n"
            + "To: bob@example.org\r\n"
            + "Subject: hello from the cli test\r\n"
            + "\r\n"
            + "Hi Bob,\r\n"
            + ".a line that starts with a dot\r\n";

    private final CliHarness cli = new CliHarness();

    @TempDir
    Path temp;

    @AfterEach
    void closeServers() {
        cli.close();
    }

    @Test
    void helpListsEveryOptionOfTheContract() {
        CliHarness.Result result = cli.run("--help");
        assertEquals(0, result.exitCode());
        for (String option : List.of("-l, --listen", "-c, --handler", "-o, --option", "-s, --size", "--smtputf8",
                "--hostname", "--max-connections", "--max-recipients", "--timeout", "--tls-cert", "--tls-key",
                "--tls-port", "--lmtp", "--auth-file", "--require-auth", "--allow-insecure-auth", "--auth-failure-delay",
                "--max-auth-per-client", "--max-auth-failures", "--max-connections-per-client",
                "--max-connection-rate", "--envelope-memory", "--buffer-memory", "--max-recipient-overshoot",
                "--max-errors", "--plugins", "--loops", "--proxy-protocol", "--proxy-from",
                "--list-handlers", "-v, --verbose", "-q, --quiet", "-h, --help", "-V, --version", "-n ")) {
            assertTrue(result.out().contains(option), () -> "help mentions " + option + ":\n" + result.out());
        }
        assertTrue(result.out().contains("LOCALHOST:PORT [REMOTEHOST:PORT]"));
        assertEquals("", result.err());
        assertEquals(result.out(), cli.run("-h").out());
    }

    @Test
    void helpShowsTheDefaultsOfTheAuthLimits() {
        String help = cli.run("--help").out().replaceAll("\\s+", " ");
        for (String option : List.of("--auth-failure-delay=SECONDS", "--max-auth-per-client=N", "--max-auth-failures=N")) {
            int at = help.indexOf(option);
            assertTrue(at >= 0, option);
            String text = help.substring(at, help.indexOf(" --", at + option.length()));
            assertTrue(text.contains("0 for "), () -> "0 turns it off: " + text);
            assertTrue(text.contains("Default " + Map.of("--auth-failure-delay=SECONDS", "2.", "--max-auth-per-client=N", "3.",
                    "--max-auth-failures=N", "30.").get(option)), () -> "the default: " + text);
        }
    }

    @Test
    void versionPrintsTheProjectVersion() {
        CliHarness.Result result = cli.run("--version");
        assertEquals(0, result.exitCode());
        assertTrue(result.out().strip().matches("smtpkit \\d+\\.\\d+\\.\\d+\\S*"), result.out());
        assertEquals(result.out(), cli.run("-V").out());
    }

    @Test
    void listHandlersShowsTheShippedHandlersWithOptions() {
        CliHarness.Result result = cli.run("--list-handlers");
        assertEquals(0, result.exitCode(), result.err());
        List<String> names = result.out().lines().filter(l -> !l.startsWith(" ")).map(l -> l.split(" ")[0]).toList();
        assertTrue(names.containsAll(List.of("debug", "sink", "maildir")), () -> "handlers: " + names);
        assertTrue(result.out().contains("DebuggingServer"), "smtpd's alias shown:\n" + result.out());
        assertTrue(result.out().contains("-o dir=..."), "maildir's option shown:\n" + result.out());
    }

    static Stream<Arguments> badInput() throws IOException {
        return Stream.of(
                Arguments.of(List.of("--lisen", "127.0.0.1:0"), "--listen"),
                Arguments.of(List.of("--no-such-option"), "Unknown option"),
                Arguments.of(List.of("-l"), "--listen"),
                Arguments.of(List.of("-q", "-v"), "--quiet"),
                Arguments.of(List.of("-l", "localhost"), "HOST:PORT"),
                Arguments.of(List.of("-l", "127.0.0.1:99999"), "port"),
                Arguments.of(List.of("-l", "127.0.0.1:http"), "port"),
                Arguments.of(List.of("-l", "::1:8025"), "[::1]:8025"),
                Arguments.of(List.of("-l", "[::1:8025"), "[IPV6]:PORT"),
                Arguments.of(List.of("-l", "[localhost]:8025"), "not an IPv6 address"), // and no DNS query
                Arguments.of(List.of("-l", ":8025"), "no host"),
                Arguments.of(List.of("-l", "no-such-host.invalid:25"), "unknown host"),
                Arguments.of(List.of("127.0.0.1:0", "127.0.0.1:25", "extra"), "extra"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "-c", "no-such-handler"), "available: "),
                Arguments.of(List.of("-l", "127.0.0.1:0", "-o", "dir"), "KEY=VALUE"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "-o", "=blue"), "KEY=VALUE"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "-o", "colour=blue"), "colour"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "-c", "maildir", "-o", "dir=a", "-o", "dir=b"), "twice"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "-c", "maildir"), "dir"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "-s", "-1"), "--size"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "-s", "big"), "--size"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "--timeout", "0"), "--timeout"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "--max-connections", "-5"), "--max-connections"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "--loops", "0"), "--loops"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "--loops", "-1"), "--loops"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "--loops", "many"), "--loops"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "--proxy-from", "10.0.0.0/8"), "--proxy-protocol"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "--proxy-protocol", "--proxy-from", "10.0.0.0/33"), "--proxy-from"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "--proxy-protocol", "--proxy-from", "balancer.example"), "--proxy-from"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "--max-recipients", "-1"), "--max-recipients"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "--max-connections-per-client", "-1"), "--max-connections-per-client"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "--max-connection-rate", "-1"), "--max-connection-rate"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "--max-connection-rate", "fast"), "--max-connection-rate"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "--envelope-memory", "-1"), "--envelope-memory"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "--buffer-memory", "1g"), "--buffer-memory"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "--max-recipient-overshoot", "-1"), "--max-recipient-overshoot"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "--max-errors", "-1"), "--max-errors"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "--hostname", "two words"), "--hostname"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "--tls-cert", "/no/such/cert.pem", "--tls-key", "/no/such/key.pem"),
                        "no such file"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "--tls-cert", "/no/such/cert.pem"), "--tls-key"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "--tls-port", "0"), "--tls-port"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "--auth-file", "/no/such/users"), "no such file"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "--require-auth"), "--auth-file"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "--auth-failure-delay", "-1"), "--auth-failure-delay"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "--auth-failure-delay", "soon"), "--auth-failure-delay"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "--max-auth-per-client", "-1"), "--max-auth-per-client"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "--max-auth-failures", "-1"), "--max-auth-failures"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "--max-auth-failures", "5"), "needs --auth-file"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "--plugins", "/no/such/folder"), "--plugins"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "--plugins", "pom.xml"), "not a folder"),
                Arguments.of(List.of("-l", "127.0.0.1:0", "-c", "debug", "127.0.0.1:0", "127.0.0.1:25"), "upstream"),
                Arguments.of(List.of("-c", "debug", "127.0.0.1:0", "nohost"), "REMOTEHOST:PORT"),
                // RFC 2033 §5: never LMTP on the SMTP port, however the port is given.
                Arguments.of(List.of("--lmtp", "-l", "127.0.0.1:25"), "port 25"),
                Arguments.of(List.of("--lmtp", "127.0.0.1:25"), "port 25"),
                Arguments.of(List.of("--lmtp", "-l", "127.0.0.1:0", "-l", "[::1]:25"), "port 25"),
                Arguments.of(List.of("--lmtp", "-l", "127.0.0.1:0", "--tls-port", "25"), "port 25"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInput")
    void badInputIsOneLineAndStatus2(List<String> args, String mentioned) {
        String line = cli.run(args.toArray(String[]::new)).assertUsageError();
        assertTrue(line.contains(mentioned), () -> "the line says what is wrong (" + mentioned + "): " + line);
    }

    @Test
    void aCertificateThatIsNotPemIsOneLineAndStatus2() throws IOException {
        Path cert = Files.writeString(temp.resolve("cert.pem"), "not a certificate\n");
        Path key = Files.writeString(temp.resolve("key.pem"), "not a key\n");
        cli.run("-l", "127.0.0.1:0", "--tls-cert", cert.toString(), "--tls-key", key.toString()).assertUsageError();
    }

    @Test
    void aPluginsPathThatIsAFileIsOneLineAndStatus2() throws IOException {
        Path file = Files.writeString(temp.resolve("plugins.txt"), "x");
        String line = cli.run("--plugins", file.toString(), "--list-handlers").assertUsageError();
        assertTrue(line.contains("--plugins"), line);
    }

    @Test
    void aPortInUseIsOneLineAndStatus2() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            String line = cli.run("-l", "127.0.0.1:" + taken.getLocalPort()).assertUsageError();
            assertTrue(line.contains("127.0.0.1:" + taken.getLocalPort()), line);
        }
    }

    @Test
    void unknownHandlerListsTheAvailableOnes() {
        String line = cli.run("-l", "127.0.0.1:0", "-c", "nonesuch").assertUsageError();
        assertTrue(line.contains("debug") && line.contains("sink") && line.contains("maildir"), line);
    }

    @Test
    void smtpdProxyAliasesNameTheirSmtpkitHandler() {
        // PureProxy and MailmanProxy name relay and lmtp; while a handler is missing from a build
        // its smtpd name says so, once it is there --list-handlers shows the name as its alias.
        String list = cli.run("--list-handlers").out();
        for (String[] alias : new String[][] {{"PureProxy", "relay"}, {"MailmanProxy", "lmtp"}}) {
            String smtpd = alias[0];
            String handler = alias[1];
            java.util.Optional<String> shown = list.lines().filter(l -> l.startsWith(handler + " ")
                    || l.equals(handler)).findFirst();
            if (shown.isEmpty()) {
                String line = cli.run("-l", "127.0.0.1:0", "-c", smtpd).assertUsageError();
                assertTrue(line.contains("'" + handler + "'") && line.contains("not available"), line);
            } else {
                assertTrue(shown.get().contains(smtpd), smtpd + " is listed as an alias of " + handler + ": " + shown.get());
                String line = cli.run("-l", "127.0.0.1:0", "-c", smtpd, "-o", "nonesuch=1").assertUsageError();
                assertTrue(line.contains("'" + handler + "'"), smtpd + " picks " + handler + ": " + line);
            }
        }
    }

    @Test
    void startLinePrintsTheRealPortAndTheHandler() {
        CliHarness.Serving serving = cli.serve("-l", "127.0.0.1:0");
        Matcher line = serving.startLine();
        assertEquals("127.0.0.1", line.group(1));
        assertEquals("debug", line.group(3));
        assertEquals(1, serving.outText().lines().count(), "exactly one line on start");
    }

    @Test
    void smtpdCommandLineWorks() throws Exception {
        CliHarness.Serving serving = cli.serve("-n", "-c", "DebuggingServer", "127.0.0.1:0");
        assertEquals("debug", serving.startLine().group(3), "DebuggingServer is debug");
    }

    @Test
    void listensOnEveryAddressGiven() throws Exception {
        CliHarness.Serving serving = cli.serve("-l", "127.0.0.1:0", "-l", "127.0.0.1:0", "-c", "sink");
        assertEquals(2, serving.started().addresses().size());
        String line = serving.outText().lines().findFirst().orElseThrow();
        for (var address : serving.started().addresses()) {
            assertTrue(line.contains("127.0.0.1:" + address.getPort()), line);
            assertTrue(SmtpClient.deliver(address, "a@example.org", "b@example.org", MESSAGE).startsWith("250"));
        }
    }

    @Test
    void listensOnIpv6Loopback() throws Exception {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("::1"))) {
            probe.getLocalPort();
        } catch (IOException noIpv6) {
            org.junit.jupiter.api.Assumptions.abort("no IPv6 loopback here");
        }
        CliHarness.Serving serving = cli.serve("-l", "[::1]:0", "-c", "sink");
        String line = serving.outText().lines().findFirst().orElseThrow();
        assertTrue(line.contains("listening on [::1]:" + serving.address().getPort()), line);
        assertTrue(SmtpClient.deliver(serving.address(), "a@example.org", "b@example.org", MESSAGE).startsWith("250"));
    }

    @Test
    void debugPrintsTheMessageBetweenSmtpdsMarkers() throws Exception {
        // The real command in its own JVM: the debug handler prints to that process's stdout, so
        // no test has to swap this JVM's System.out (which breaks tests running alongside).
        try (ServerProcess server = ServerProcess.start(temp, List.of(), "-l", "127.0.0.1:0")) {
            String reply = SmtpClient.deliver(server.address, "alice@example.org", "bob@example.org", MESSAGE);
            assertTrue(reply.startsWith("250"), reply);
            String printed = server.awaitStdout(t -> t.contains("------------ END MESSAGE ------------"), Duration.ofSeconds(10));
            int begin = printed.indexOf("---------- MESSAGE FOLLOWS ----------");
            int end = printed.indexOf("------------ END MESSAGE ------------");
            assertTrue(begin >= 0 && end > begin, () -> "markers in:\n" + printed);
            String body = printed.substring(begin, end);
            assertTrue(body.contains("Subject: hello from the cli test"), body);
            assertTrue(body.contains(".a line that starts with a dot"), "dot-unstuffed: " + body);
        }
    }

    @Test
    void maildirDeliversToTheDirGivenWithDashO() throws Exception {
        Path mail = temp.resolve("mail");
        CliHarness.Serving serving = cli.serve("-l", "127.0.0.1:0", "-c", "maildir", "-o", "dir=" + mail);
        assertEquals("maildir", serving.startLine().group(3));
        for (int i = 0; i < 3; i++) {
            String reply = SmtpClient.deliver(serving.address(), "alice@example.org", "bob@example.org", MESSAGE);
            assertTrue(reply.startsWith("250"), reply);
        }
        List<Path> delivered;
        try (Stream<Path> files = Files.list(mail.resolve("new"))) {
            delivered = files.toList();
        }
        assertEquals(3, delivered.size(), () -> "files in new/: " + delivered);
        String content = Files.readString(delivered.get(0), StandardCharsets.UTF_8);
        assertTrue(content.contains("Subject: hello from the cli test"), content);
    }

    /** --lmtp over a raw socket: LHLO only, and after the data one reply per recipient (RFC 2033 §4.1, §4.2). */
    @Test
    void lmtpAnswersEachRecipientAfterTheData() throws Exception {
        Path mail = temp.resolve("lmtp-mail");
        CliHarness.Serving serving = cli.serve("--lmtp", "-l", "127.0.0.1:0", "-c", "maildir", "-o", "dir=" + mail);
        try (SmtpClient client = SmtpClient.connect(serving.address())) {
            assertEquals("220 localhost LMTP smtpkit", client.reply());
            assertEquals("500 Error: command \"EHLO\" not recognized", client.command("EHLO client.example"));
            assertTrue(client.command("LHLO client.example").startsWith("250-localhost"));
            List<String> replies = client.pipeline("MAIL FROM:<alice@example.org>", "RCPT TO:<bob@example.org>",
                    "RCPT TO:<carol@example.org>", "DATA");
            assertEquals(List.of("250 2.1.0 OK", "250 2.1.5 OK", "250 2.1.5 OK"), replies.subList(0, 3));
            client.send(MESSAGE.replace("\r\n.a", "\r\n..a") + ".\r\n");
            assertEquals("250 2.0.0 OK", client.reply(), "bob");
            assertEquals("250 2.0.0 OK", client.reply(), "carol");
            assertEquals("250 2.0.0 OK", client.command("NOOP"), "nothing more was sent");
        }
        List<Path> delivered;
        try (Stream<Path> files = Files.list(mail.resolve("new"))) {
            delivered = files.toList();
        }
        assertEquals(1, delivered.size(), () -> "files in new/: " + delivered);
        String content = Files.readString(delivered.get(0), StandardCharsets.UTF_8);
        assertTrue(content.contains(" with LMTP id ") && content.endsWith(MESSAGE), content);
    }

    /** Python's smtplib.LMTP against --lmtp; smtplib reads one reply after the data, so two recipients are read by hand. */
    @Test
    void pythonSmtplibLmtp() throws Exception {
        Path python = io.smtpkit.server.testsupport.Tools.require("python3");
        CliHarness.Serving serving = cli.serve("--lmtp", "-l", "127.0.0.1:0", "-c", "sink");
        String script = String.join("\n",
                "import smtplib, sys",
                "s = smtplib.LMTP('127.0.0.1', int(sys.argv[1]))",
                "refused = s.sendmail('py@example.org', ['one@example.org'], b'Subject: lmtp\\r\\n\\r\\nfrom smtplib\\r\\n')",
                "assert refused == {}, refused",
                "assert s.does_esmtp and s.has_extn('pipelining') and s.has_extn('enhancedstatuscodes'), s.esmtp_features",
                "s.mail('py@example.org'); s.rcpt('a@example.org'); s.rcpt('b@example.org')",
                "code, _ = s.docmd('DATA'); assert code == 354, code",
                "s.send(b'Subject: two\\r\\n\\r\\nx\\r\\n.\\r\\n')",
                "codes = [s.getreply()[0] for _ in range(2)]",
                "assert codes == [250, 250], codes",
                "code, _ = s.noop(); assert code == 250, code",
                "s.quit()",
                "");
        io.smtpkit.server.testsupport.ChildProcess.Result result = io.smtpkit.server.testsupport.ChildProcess.run(
                new ProcessBuilder(python.toString(), "-c", script, String.valueOf(serving.address().getPort()))
                        .redirectErrorStream(true), Duration.ofSeconds(60));
        assertEquals(0, result.exitCode(), result::output);
    }

    @Test
    void sizeLimitIsAdvertisedAndEnforced() throws Exception {
        CliHarness.Serving serving = cli.serve("-l", "127.0.0.1:0", "-c", "sink", "-s", "1000");
        try (SmtpClient client = SmtpClient.connect(serving.address())) {
            client.reply();
            String ehlo = client.command("EHLO client.example");
            assertTrue(ehlo.contains("SIZE 1000"), ehlo);
            assertTrue(client.command("MAIL FROM:<a@example.org> SIZE=5000").startsWith("552"));
        }
    }

    @Test
    void smtpUtf8IsOfferedOnlyWhenAsked() throws Exception {
        CliHarness.Serving plain = cli.serve("-l", "127.0.0.1:0", "-c", "sink");
        CliHarness.Serving utf8 = cli.serve("-l", "127.0.0.1:0", "-c", "sink", "--smtputf8", "--hostname", "mx.example.org");
        try (SmtpClient a = SmtpClient.connect(plain.address()); SmtpClient b = SmtpClient.connect(utf8.address())) {
            a.reply();
            assertFalse(a.command("EHLO c").contains("SMTPUTF8"));
            assertTrue(b.reply().contains("mx.example.org"), "--hostname is in the greeting");
            assertTrue(b.command("EHLO c").contains("SMTPUTF8"));
        }
    }

    @Test
    void maxRecipientsIsEnforced() throws Exception {
        CliHarness.Serving serving = cli.serve("-l", "127.0.0.1:0", "-c", "sink", "--max-recipients", "2");
        try (SmtpClient client = SmtpClient.connect(serving.address())) {
            client.reply();
            client.command("EHLO c");
            client.command("MAIL FROM:<a@example.org>");
            assertTrue(client.command("RCPT TO:<b1@example.org>").startsWith("250"));
            assertTrue(client.command("RCPT TO:<b2@example.org>").startsWith("250"));
            assertTrue(client.command("RCPT TO:<b3@example.org>").startsWith("452"));
        }
    }

    @Test
    void sizeZeroMeansNoLimit() throws Exception {
        CliHarness.Serving serving = cli.serve("-l", "127.0.0.1:0", "-c", "sink", "-s", "0");
        try (SmtpClient client = SmtpClient.connect(serving.address())) {
            client.reply();
            String ehlo = client.command("EHLO c");
            assertTrue(ehlo.contains("250-SIZE 0"), ehlo); // RFC 1870 §4: 0 is "no fixed maximum"
            assertTrue(client.command("MAIL FROM:<a@example.org> SIZE=1000000000000").startsWith("250"));
        }
    }

    @Test
    void timeoutClosesASilentClientWith421() throws Exception {
        CliHarness.Serving serving = cli.serve("-l", "127.0.0.1:0", "-c", "sink", "--timeout", "1");
        try (SmtpClient client = SmtpClient.connect(serving.address())) {
            client.reply();
            client.command("EHLO c");
            assertTrue(client.reply().startsWith("421 4.4.2"));
        }
    }

    @Test
    void maxConnectionsTurnsTheNextClientAway() throws Exception {
        CliHarness.Serving serving = cli.serve("-l", "127.0.0.1:0", "-c", "sink", "--max-connections", "1");
        try (SmtpClient first = SmtpClient.connect(serving.address())) {
            assertTrue(first.reply().startsWith("220"));
            try (SmtpClient second = SmtpClient.connect(serving.address())) {
                assertTrue(second.reply().startsWith("421 4.7.0"));
            }
        }
    }

    @Test
    void proxyProtocolListenersTakeTheClientFromTheHeader() throws Exception {
        Path dir = temp.resolve("maildir");
        CliHarness.Serving serving = cli.serve("-l", "127.0.0.1:0", "-c", "maildir", "-o", "dir=" + dir, "--proxy-protocol");
        try (SmtpClient c = SmtpClient.connect(serving.address())) {
            c.send("PROXY TCP4 192.0.2.44 127.0.0.1 40000 25\r\n");
            assertTrue(c.reply().startsWith("220"));
            assertTrue(c.command("EHLO proxied.example").startsWith("250"));
            assertTrue(c.sendMail("a@example.org", "b@example.org", "Subject: t\r\n\r\nproxied").startsWith("250"));
        }
        try (Stream<Path> files = Files.list(dir.resolve("new"))) {
            Path file = files.filter(Files::isRegularFile).findFirst().orElseThrow();
            assertTrue(Files.readString(file).contains("\nReceived: from proxied.example ([192.0.2.44])"), Files.readString(file));
        }
        // the balancer allowed is not this host: closed without a greeting
        CliHarness.Serving elsewhere = cli.serve("-l", "127.0.0.1:0", "-c", "sink", "--proxy-protocol", "--proxy-from", "10.0.0.0/8,::1");
        try (SmtpClient c = SmtpClient.connect(elsewhere.address())) {
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void loopsServeMailOnOneLoopOrMany() throws Exception {
        for (String loops : List.of("1", "3")) {
            CliHarness.Serving serving = cli.serve("-l", "127.0.0.1:0", "-c", "sink", "--loops", loops);
            try (SmtpClient c = SmtpClient.connect(serving.address())) {
                assertTrue(c.reply().startsWith("220"));
                assertTrue(c.command("EHLO loops.example").startsWith("250"));
                assertTrue(c.sendMail("a@example.org", "b@example.org", "Subject: t\r\n\r\nloops " + loops).startsWith("250"),
                        "--loops " + loops);
            }
        }
    }

    @Test
    void authLimitsReachTheServer() throws Exception {
        Path users = Files.writeString(temp.resolve("users"), "alice:wonderland\n");
        CliHarness.Serving serving = cli.serve("-l", "127.0.0.1:0", "-c", "sink", "--auth-file", users.toString(),
                "--allow-insecure-auth", "--auth-failure-delay", "0", "--max-auth-per-client", "1", "--max-auth-failures", "2");
        String wrong = "AUTH PLAIN " + java.util.Base64.getEncoder().encodeToString("\0alice\0guess".getBytes(StandardCharsets.UTF_8));
        String right = "AUTH PLAIN " + java.util.Base64.getEncoder().encodeToString("\0alice\0wonderland".getBytes(StandardCharsets.UTF_8));
        try (SmtpClient client = SmtpClient.connect(serving.address())) {
            client.reply();
            client.command("EHLO c");
            long start = System.nanoTime();
            assertTrue(client.command(wrong).startsWith("535"));
            assertTrue(client.command(wrong).startsWith("535"));
            // Both well within the default delay of 2 s each: --auth-failure-delay 0 took.
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(4).toNanos());
            assertTrue(client.command(right).startsWith("421 4.7.0"), "the third AUTH is past --max-auth-failures 2");
        }
    }

    @Test
    void clientLimitsReachTheServer() throws Exception {
        CliHarness.Serving serving = cli.serve("-l", "127.0.0.1:0", "-c", "sink", "--max-connections-per-client", "1",
                "--max-recipients", "1", "--max-recipient-overshoot", "1", "--max-errors", "1");
        try (SmtpClient first = SmtpClient.connect(serving.address())) {
            assertTrue(first.reply().startsWith("220"));
            try (SmtpClient second = SmtpClient.connect(serving.address())) {
                assertTrue(second.reply().startsWith("421 4.7.0"), "past --max-connections-per-client 1");
            }
            first.command("EHLO c");
            assertTrue(first.command("MAIL FROM:<a@example.org>").startsWith("250"));
            assertTrue(first.command("RCPT TO:<b@example.org>").startsWith("250"));
            assertTrue(first.command("RCPT TO:<c@example.org>").startsWith("452"));
            assertTrue(first.command("RCPT TO:<d@example.org>").startsWith("421 4.7.0"), "past --max-recipient-overshoot 1");
        }
        CliHarness.Serving rate = cli.serve("-l", "127.0.0.1:0", "-c", "sink", "--max-connection-rate", "1", "--max-errors", "1");
        try (SmtpClient first = SmtpClient.connect(rate.address())) {
            assertTrue(first.reply().startsWith("220"));
            assertTrue(first.command("BOGUS").startsWith("500"));
            assertTrue(first.command("BOGUS").startsWith("421"), "past --max-errors 1");
        }
        try (SmtpClient second = SmtpClient.connect(rate.address())) {
            assertTrue(second.reply().startsWith("421 4.7.0"), "past --max-connection-rate 1");
        }
    }

    @Test
    void closeStopsListening() throws Exception {
        CliHarness.Serving serving = cli.serve("-l", "127.0.0.1:0", "-c", "sink");
        var address = serving.address();
        serving.started().close();
        assertFalse(serving.started().isRunning());
        try (ServerSocket again = new ServerSocket()) {
            again.bind(address); // the port is free again
        }
    }
}
