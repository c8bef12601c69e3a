package io.smtpkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.server.testsupport.ClientHello;
import io.smtpkit.server.testsupport.SmtpClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What one client could do to a server in a normal container-sized heap, each as it was first
 * found (issue #7): the server keeps greeting and delivering, SIGTERM still ends it, and nothing
 * the client sent reaches the log raw.
 */
class HostileClientsTest {

    private static final String TLS = "../smtp-server/src/test/resources/tls/";

    @TempDir
    Path dir;

    @Test
    void pipelinedCommandsBetweenBdatChunksCannotRunTheHeapOut() throws Exception {
        try (ServerProcess server = ServerProcess.start(dir, List.of("-Xmx64m"),
                "-l", "127.0.0.1:0", "-c", "sink", "-q", "--max-connections-per-client", "0")) {
            List<SocketChannel> flooders = new ArrayList<>();
            try {
                // Each: a transaction in BDAT state, then 256 KiB of HELP that it never reads
                // the answers to, about 1 MB of replies per 64 KiB read.
                byte[] start = "EHLO flood.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nBDAT 1\r\nX"
                        .getBytes(StandardCharsets.US_ASCII);
                byte[] help = "HELP\r\n".repeat(256 * 1024 / 6).getBytes(StandardCharsets.US_ASCII);
                List<ByteBuffer> pending = new ArrayList<>();
                for (int i = 0; i < 300; i++) {
                    SocketChannel c = SocketChannel.open();
                    c.setOption(StandardSocketOptions.SO_RCVBUF, 4096);
                    c.connect(server.address);
                    c.configureBlocking(false);
                    flooders.add(c);
                    pending.add(ByteBuffer.allocate(start.length + help.length).put(start).put(help).flip());
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
                boolean progress = true;
                while (progress && System.nanoTime() < deadline) {
                    progress = false;
                    for (int i = 0; i < flooders.size(); i++) {
                        try {
                            progress |= pending.get(i).hasRemaining() && flooders.get(i).write(pending.get(i)) > 0;
                        } catch (IOException closedByServer) {
                            pending.get(i).position(pending.get(i).limit());
                        }
                    }
                    if (!progress) {
                        Thread.sleep(200); // the server may still be working through what it read
                        for (int i = 0; i < flooders.size() && !progress; i++) {
                            try {
                                progress = pending.get(i).hasRemaining() && flooders.get(i).write(pending.get(i)) > 0;
                            } catch (IOException closedByServer) {
                                pending.get(i).position(pending.get(i).limit());
                            }
                        }
                    }
                }
                assertTrue(server.isAlive(), server.stderrText());
                assertDelivers(server.address);
            } finally {
                for (SocketChannel c : flooders) {
                    c.close();
                }
            }
            assertDelivers(server.address);
            assertExitedBySigterm(server.terminate(), server);
            assertTrue(!server.stderrText().contains("OutOfMemoryError"), server.stderrText());
        }
    }

    @Test
    void manyConnectionsWithAThousandLongRecipientsEachCannotRunTheHeapOut() throws Exception {
        try (ServerProcess server = ServerProcess.start(dir, List.of("-Xmx64m"),
                "-l", "127.0.0.1:0", "-c", "sink", "-q", "--max-connections-per-client", "0")) {
            String domain = ("d".repeat(60) + ".").repeat(2) + "e".repeat(50) + ".example";
            StringBuilder rcpts = new StringBuilder();
            for (int i = 0; i < 1000; i++) {
                rcpts.append("RCPT TO:<").append(String.format("%04d", i)).append("x".repeat(60)).append('@')
                        .append(domain).append(">\r\n");
            }
            byte[] burst = rcpts.toString().getBytes(StandardCharsets.US_ASCII);
            List<SmtpClient> attackers = new ArrayList<>();
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<String>> results = new ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    SmtpClient s = SmtpClient.connect(server.address).deadline(Duration.ofSeconds(30));
                    attackers.add(s);
                    results.add(pool.submit(() -> {
                        String greeting = s.reply();
                        s.command("EHLO many.example");
                        String mail = s.command("MAIL FROM:<a@example.org>");
                        if (!greeting.startsWith("220") || !mail.startsWith("250")) {
                            return greeting.startsWith("220") ? mail : greeting;
                        }
                        s.send(burst);
                        for (int r = 0; r < 1000; r++) {
                            String reply = s.reply();
                            if (!reply.startsWith("250 ") && !reply.startsWith("452 4.3.1 ")) {
                                return "RCPT " + r + ": " + reply;
                            }
                        }
                        return "ok"; // and it keeps its transaction open
                    }));
                }
                for (Future<String> result : results) {
                    String outcome = result.get(120, TimeUnit.SECONDS);
                    assertTrue(outcome.equals("ok") || outcome.startsWith("452 4.3.1"), outcome);
                }
                assertTrue(server.isAlive(), server.stderrText());
                // Another client still has its room: one client holds a quarter of the budget at most.
                assertDelivers(server.address);
                // Everyone idle in a transaction is told 421 at once; SIGTERM ends the process.
                assertExitedBySigterm(server.terminate(), server);
            } finally {
                pool.shutdownNow();
                for (SmtpClient s : attackers) {
                    s.close();
                }
            }
            assertTrue(!server.stderrText().contains("OutOfMemoryError"), server.stderrText());
        }
    }

    @Test
    void aTlsServerNameCannotWriteIntoTheLog() throws Exception {
        try (ServerProcess server = ServerProcess.start(dir, List.of(), "-l", "127.0.0.1:0", "-c", "sink", "-vv",
                "--tls-cert", TLS + "rsa-cert.pem", "--tls-key", TLS + "rsa-key.pem", "--tls-port", "0")) {
            byte[] name = "evil.example\r\n[main] ERROR FORGED \u001b[2J\u001b]0;pwned\u0007 \u009b"
                    .getBytes(StandardCharsets.UTF_8);
            // On the implicit-TLS port, before any SMTP at all:
            try (Socket s = new Socket()) {
                s.connect(server.tlsAddress, 10_000);
                s.setSoTimeout(10_000);
                s.getOutputStream().write(ClientHello.withServerName(name));
                drain(s.getInputStream());
            }
            // And after STARTTLS:
            try (SmtpClient s = SmtpClient.connect(server.address).deadline(Duration.ofSeconds(10))) {
                s.reply();
                s.command("EHLO x.example");
                assertTrue(s.command("STARTTLS").startsWith("220"));
                s.send(ClientHello.withServerName(name));
                drain(s.socket().getInputStream());
            }
            assertExitedBySigterm(server.terminate(), server);
            assertLogIsClean(server);
            assertTrue(server.stderrText().contains("TLS failed"), "the failures are logged: " + server.stderrText());
        }
    }

    /** The JVM's status after SIGTERM and its shutdown hooks: 143 (128 + 15), or 0. */
    private static void assertExitedBySigterm(int status, ServerProcess server) throws IOException {
        assertTrue(status == 143 || status == 0, "exit status " + status + "; stderr: " + server.stderrText());
    }

    /** No control byte the client sent, and no line it could have forged. */
    private static void assertLogIsClean(ServerProcess server) throws IOException {
        byte[] log = server.stderrBytes();
        String text = server.stderrText();
        for (int i = 0; i < log.length; i++) {
            int b = log[i] & 0xff;
            assertTrue(b >= 0x20 && b != 0x7f || b == '\n' || b == '\t', () -> "a control byte in the log: " + text);
            if (b == 0xc2 && i + 1 < log.length) {
                int next = log[i + 1] & 0xff;
                assertTrue(next < 0x80 || next > 0x9f, () -> "a C1 control in the log: " + text);
            }
        }
        assertTrue(text.lines().noneMatch(l -> l.contains("ERROR FORGED") && !l.contains("\\x")), text);
    }

    private static void assertDelivers(InetSocketAddress server) throws IOException {
        try (SmtpClient s = SmtpClient.connect(server, new InetSocketAddress("127.0.0.2", 0))) {
            assertTrue(s.reply().startsWith("220"));
            for (String command : List.of("EHLO good.example", "MAIL FROM:<good@example.org>", "RCPT TO:<to@example.org>")) {
                String reply = s.command(command);
                assertTrue(reply.startsWith("250"), command + ": " + reply);
            }
            assertTrue(s.command("DATA").startsWith("354"));
            String done = s.command("Subject: fine\r\n\r\nstill served\r\n.");
            assertTrue(done.startsWith("250"), done);
        }
    }

    private static void drain(InputStream in) {
        try {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        } catch (IOException ignored) {
            // closed or reset by the server: either way it is over
        }
    }
}
