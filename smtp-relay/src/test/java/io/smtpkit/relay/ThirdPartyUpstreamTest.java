package io.smtpkit.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.server.SmtpServer;
import io.smtpkit.server.testsupport.Eventually;
import io.smtpkit.server.testsupport.SmtpClient;
import io.smtpkit.server.testsupport.Tools;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The relay in front of servers it did not write: Postfix's {@code smtp-sink} and Python's
 * {@code aiosmtpd} (with STARTTLS and AUTH). Skipped without them, failed under {@code CI=true}
 * ({@code scripts/install-tools.sh} installs both).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ThirdPartyUpstreamTest {

    @TempDir
    Path temp;

    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    private SmtpServer relay(String... options) throws IOException {
        Map<String, String> o = new HashMap<>();
        for (String option : options) {
            int eq = option.indexOf('=');
            o.put(option.substring(0, eq), option.substring(eq + 1));
        }
        SmtpServer s = SmtpServer.builder().listen(new InetSocketAddress("127.0.0.1", 0))
                .config(SessionConfig.builder().hostname("relay.test").build())
                .handler(new RelayProvider().create(o)).build().start();
        closing.add(s);
        return s;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private Process start(int port, List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(temp.resolve("peer.log").toFile()).start();
        closing.add(() -> {
            p.getOutputStream().close(); // aiosmtpd's script stops when its stdin closes
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        });
        Eventually.await(() -> accepts(port) || !p.isAlive(), Duration.ofSeconds(20), "the peer listens on " + port);
        assertTrue(p.isAlive(), () -> "the peer exited: " + log());
        return p;
    }

    private String log() {
        try {
            return Files.readString(temp.resolve("peer.log"));
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static SmtpClient client(SmtpServer relay) throws IOException {
        return Upstreams.greet(SmtpClient.connect(relay.addresses().get(0)));
    }

    private static String data(SmtpClient c, String content) throws IOException {
        return Upstreams.data(c, content);
    }

    // ------------------------------------------------------------------------------------------
    // Postfix's smtp-sink

    private Path smtpSink() {
        Path sink = Tools.onPath("smtp-sink");
        if (sink == null && Files.isExecutable(Path.of("/usr/sbin/smtp-sink"))) {
            sink = Path.of("/usr/sbin/smtp-sink");
        }
        if (sink == null) {
            Tools.unavailable("Postfix's smtp-sink is not installed (scripts/install-tools.sh installs postfix)");
        }
        return sink;
    }

    /** Outside the private @TempDir: smtp-sink, run as root, writes as nobody. */
    private Path dumpDirectory() throws IOException {
        Path dump = Files.createTempDirectory("relay-sink");
        Files.setPosixFilePermissions(dump, PosixFilePermissions.fromString("rwxrwxrwx"));
        closing.add(() -> {
            try (var files = Files.list(dump)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dump);
        });
        return dump;
    }

    private List<String> sinkCommand(Path dump, int port, String... options) {
        List<String> command = new ArrayList<>(List.of(smtpSink().toString()));
        if ("root".equals(System.getProperty("user.name"))) {
            command.addAll(List.of("-u", "nobody")); // smtp-sink drops root; nobody must write the dumps
        }
        command.addAll(List.of(options));
        command.addAll(List.of("-d", dump + "/%M.", "127.0.0.1:" + port, "10"));
        return command;
    }

    @Test
    void smtpSinkReceivesTheMessageBehindOurReceivedHeader() throws Exception {
        Path dump = dumpDirectory();
        int port = freePort();
        start(port, sinkCommand(dump, port));
        SmtpClient c = client(relay("upstream=127.0.0.1:" + port));
        closing.add(c);
        assertTrue(c.command("MAIL FROM:<alice@example.org>").startsWith("250"));
        assertTrue(c.command("RCPT TO:<bob@example.net>").startsWith("250"));
        String reply = data(c, "Subject: to the sink\r\n\r\n.a dot line\r\nbody\r\n");
        assertEquals("250 2.0.0 Ok", reply);
        Eventually.await(() -> dumpCount(dump) == 1, Duration.ofSeconds(10), "smtp-sink wrote the message");
        String got;
        try (var files = Files.list(dump)) {
            got = Files.readString(files.findFirst().orElseThrow(), StandardCharsets.UTF_8);
        }
        // smtp-sink writes its own X- lines and Received first, LF line ends; ours comes next.
        int ours = got.indexOf("Received: from client.test");
        assertTrue(ours > 0, got);
        assertTrue(got.indexOf("by relay.test", ours) > ours, got);
        assertTrue(got.contains("\nSubject: to the sink\n\n.a dot line\nbody\n"), got);
    }

    @Test
    void smtpSinksRefusalsReachTheClientAsTheyAre() throws Exception {
        Path dump = dumpDirectory();
        int port = freePort();
        start(port, sinkCommand(dump, port, "-r", "RCPT"));
        SmtpClient c = client(relay("upstream=127.0.0.1:" + port));
        closing.add(c);
        assertTrue(c.command("MAIL FROM:<alice@example.org>").startsWith("250"));
        String rcpt = c.command("RCPT TO:<bob@example.net>");
        assertTrue(rcpt.startsWith("4"), "smtp-sink's soft refusal: " + rcpt);
    }

    private static long dumpCount(Path dump) {
        try (var files = Files.list(dump)) {
            return files.count();
        } catch (IOException e) {
            return -1;
        }
    }

    // ------------------------------------------------------------------------------------------
    // aiosmtpd, with STARTTLS and AUTH required

    private Path python() throws Exception {
        for (String candidate : List.of("python3", "/usr/bin/python3")) {
            Path exe = candidate.startsWith("/") ? Path.of(candidate) : Tools.onPath(candidate);
            if (exe != null && Files.isExecutable(exe)) {
                Process p = new ProcessBuilder(exe.toString(), "-c", "import aiosmtpd").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return exe;
                }
            }
        }
        Tools.unavailable("python3 with aiosmtpd is not installed (Debian python3-aiosmtpd; scripts/install-tools.sh)");
        return null;
    }

    private Path aiosmtpd() throws Exception {
        Path python = python();
        Path script = script("aiosmtpd_upstream.py");
        Path out = Files.createDirectory(temp.resolve("aiosmtpd"));
        int port = freePort();
        start(port, List.of(python.toString(), script.toString(), String.valueOf(port), TestCerts.certificate().toString(),
                TestCerts.key().toString(), out.toString()));
        this.aiosmtpdPort = port;
        return out;
    }

    private int aiosmtpdPort;

    /** A test script from the resources, copied with the module it imports where python can run it. */
    private Path script(String name) throws IOException {
        for (String file : List.of(name, "aiosmtpd_store.py")) {
            try (var in = getClass().getResourceAsStream("/" + file)) {
                Files.copy(in, temp.resolve(file), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return temp.resolve(name);
    }

    @Test
    void aiosmtpdWithStartTlsAndAuthGetsTheExactOctets() throws Exception {
        Path out = aiosmtpd();
        String pw = TestCerts.passwordFile("pw\n");
        SmtpClient c = client(relay("upstream=localhost:" + aiosmtpdPort, "tls=required", "tls-trust=" + TestCerts.certificate(),
                "auth-user=relay", "auth-password-file=" + pw));
        closing.add(c);
        assertTrue(c.command("MAIL FROM:<alice@example.org> BODY=8BITMIME").startsWith("250"));
        assertEquals("550 5.1.1 refused by aiosmtpd", c.command("RCPT TO:<refuse@example.net>"));
        assertTrue(c.command("RCPT TO:<bob@example.net>").startsWith("250"));
        String content = "Subject: caf\u00e9\r\n\r\n.\r\n..two dots\r\n\u00fcber\r\n";
        assertEquals("250 2.0.0 stored by aiosmtpd", data(c, content));
        Path stored = out.resolve("1.eml");
        Eventually.await(() -> Files.exists(stored), Duration.ofSeconds(10), "aiosmtpd stored the message");
        byte[] got = Files.readAllBytes(stored);
        byte[] sent = content.getBytes(StandardCharsets.UTF_8);
        String text = new String(got, StandardCharsets.UTF_8);
        assertTrue(text.startsWith("Received: from client.test"), text);
        int trace = got.length - sent.length;
        assertEquals(RelayHandlerTest.sha256(sent), RelayHandlerTest.sha256(java.util.Arrays.copyOfRange(got, trace, got.length)), text);
        assertTrue(text.substring(0, trace).lines().skip(1).allMatch(l -> l.startsWith(" ") || l.startsWith("\t")),
                "one Received header before the client's octets: " + text);
    }

    @Test
    void aiosmtpdRefusingOurCredentialsMeansNothingIsSent() throws Exception {
        Path out = aiosmtpd();
        String wrong = TestCerts.passwordFile("not-pw\n");
        SmtpClient c = client(relay("upstream=localhost:" + aiosmtpdPort, "tls=required", "tls-trust=" + TestCerts.certificate(),
                "auth-user=relay", "auth-password-file=" + wrong));
        closing.add(c);
        String mail = c.command("MAIL FROM:<alice@example.org>");
        assertTrue(mail.startsWith("451 4.7.0"), mail);
        try (var files = Files.list(out)) {
            assertEquals(0, files.count());
        }
    }

    @Test
    void aiosmtpdWithoutTlsForTheRelayRefusesMailAndTheClientGetsItsReply() throws Exception {
        aiosmtpd();
        SmtpClient c = client(relay("upstream=localhost:" + aiosmtpdPort, "tls=off"));
        closing.add(c);
        String mail = c.command("MAIL FROM:<alice@example.org>");
        assertTrue(mail.startsWith("530"), "aiosmtpd requires STARTTLS first: " + mail);
    }

    // ------------------------------------------------------------------------------------------
    // aiosmtpd's LMTP class, standing in for Mailman 3's runner (it refuses unknown lists at RCPT)

    @Test
    void aiosmtpdLmtpRefusesAnUnknownListAtRcptAndTakesTheListsOctets() throws Exception {
        Path python = python();
        Path script = script("aiosmtpd_lmtp.py");
        Path out = Files.createDirectory(temp.resolve("lmtp"));
        int port = freePort();
        start(port, List.of(python.toString(), script.toString(), String.valueOf(port), out.toString(), "dev@lists.test"));
        Map<String, String> o = Map.of("lmtp", "127.0.0.1:" + port, "lists", "lists.test", "upstream", "127.0.0.1:" + freePort());
        SmtpServer s = SmtpServer.builder().listen(new InetSocketAddress("127.0.0.1", 0))
                .config(SessionConfig.builder().hostname("mx.test").build())
                .handler(new LmtpProvider().create(o)).build().start();
        closing.add(s);
        SmtpClient c = client(s);
        closing.add(c);
        assertTrue(c.command("MAIL FROM:<alice@example.org>").startsWith("250"));
        assertEquals("550 5.1.1 No such list", c.command("RCPT TO:<nosuch@lists.test>"));
        assertTrue(c.command("RCPT TO:<dev-bounces+bob=example.net@lists.test>").startsWith("250"));
        assertTrue(c.command("RCPT TO:<dev@lists.test>").startsWith("250"));
        String content = "Subject: [dev] hello\r\n\r\n.leading dot\r\n";
        assertEquals("250 2.0.0 Ok", data(c, content));
        Path stored = out.resolve("1.eml");
        Eventually.await(() -> Files.exists(stored), Duration.ofSeconds(10), "aiosmtpd's LMTP server stored the message");
        String text = Files.readString(stored, StandardCharsets.UTF_8);
        assertTrue(text.startsWith("Received: from client.test") && text.endsWith("\r\n" + content), text);
    }
}
