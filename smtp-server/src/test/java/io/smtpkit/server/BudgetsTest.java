package io.smtpkit.server;

import static io.smtpkit.server.TestSupport.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.server.TestSupport.Capture;
import io.smtpkit.server.testsupport.Eventually;
import io.smtpkit.server.testsupport.SmtpClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** Server-wide memory budgets: clients meet an SMTP answer long before the heap runs out. */
class BudgetsTest {

    private static final String STORAGE = "452 4.3.1 Error: insufficient system storage, try again later";
    /** What MAIL FROM:<s@x.y> and RCPT TO:<a@b.c> each cost: 160 octets plus two a character. */
    private static final int ENTRY = 160 + 2 * 4;

    @Test
    void aClientsShareIsGivenBackWhenItsTransactionEnds() throws Exception {
        try (SmtpServer server = server(new Capture()).envelopeMemory(4 * 3 * ENTRY).build().start();
                SmtpClient a = SmtpClient.connect(server);
                SmtpClient b = SmtpClient.connect(server)) {
            a.reply();
            b.reply();
            a.command("EHLO a.example");
            b.command("EHLO b.example");
            assertTrue(a.command("MAIL FROM:<s@x.y>").startsWith("250"));
            assertTrue(a.command("RCPT TO:<a@b.c>").startsWith("250"));
            assertTrue(a.command("RCPT TO:<a@b.d>").startsWith("250")); // this client's quarter, exactly
            assertEquals(STORAGE, a.command("RCPT TO:<a@b.e>"));        // one entry over
            assertEquals(STORAGE, b.command("MAIL FROM:<s@x.y>"));      // both are 127.0.0.1
            // The client delivers what it has; its transaction's share comes back at the end.
            assertTrue(a.command("DATA").startsWith("354"));
            a.send("Subject: t\r\n\r\nbody\r\n.\r\n");
            assertTrue(a.reply().startsWith("250"));
            assertTrue(b.command("MAIL FROM:<s@x.y>").startsWith("250"));
            assertTrue(b.command("RCPT TO:<a@b.c>").startsWith("250"));
            assertTrue(b.command("RSET").startsWith("250"));
            assertTrue(a.command("MAIL FROM:<s@x.y>").startsWith("250"));
            assertTrue(a.command("RCPT TO:<a@b.c>").startsWith("250"));
            assertTrue(a.command("RCPT TO:<a@b.d>").startsWith("250"));
        }
    }

    @Test
    void theEnvelopeBudgetIsServerWide() throws Exception {
        List<SmtpClient> clients = new ArrayList<>();
        try (SmtpServer server = server(new Capture()).envelopeMemory(4 * ENTRY).build().start()) {
            try {
                for (int i = 2; i <= 6; i++) {
                    SmtpClient c = SmtpClient.connect(server.addresses().get(0), new InetSocketAddress("127.0.0." + i, 0));
                    clients.add(c);
                    c.reply();
                    c.command("EHLO x.example");
                }
                for (int i = 0; i < 4; i++) { // four clients, a quarter each: the whole budget
                    assertTrue(clients.get(i).command("MAIL FROM:<s@x.y>").startsWith("250"));
                }
                assertEquals(STORAGE, clients.get(4).command("MAIL FROM:<s@x.y>"));
                assertTrue(clients.get(0).command("RSET").startsWith("250"));
                assertTrue(clients.get(4).command("MAIL FROM:<s@x.y>").startsWith("250"));
            } finally {
                for (SmtpClient c : clients) {
                    c.close();
                }
            }
        }
    }

    @Test
    void oneClientMayHoldAQuarterOfTheEnvelopeBudget() throws Exception {
        try (SmtpServer server = server(new Capture()).envelopeMemory(4 * 2 * ENTRY).build().start();
                SmtpClient a = SmtpClient.connect(server);
                SmtpClient b = SmtpClient.connect(server);
                SmtpClient other = SmtpClient.connect(server.addresses().get(0), new InetSocketAddress("127.0.0.2", 0))) {
            for (SmtpClient c : List.of(a, b, other)) {
                c.reply();
                c.command("EHLO x.example");
            }
            assertTrue(a.command("MAIL FROM:<s@x.y>").startsWith("250"));
            assertTrue(a.command("RCPT TO:<a@b.c>").startsWith("250")); // 127.0.0.1's quarter, exactly
            assertEquals(STORAGE, b.command("MAIL FROM:<s@x.y>"));       // another connection, same client
            assertTrue(other.command("MAIL FROM:<s@x.y>").startsWith("250"));
            assertTrue(other.command("RCPT TO:<a@b.c>").startsWith("250"));
            assertTrue(a.command("RSET").startsWith("250"));
            assertTrue(b.command("MAIL FROM:<s@x.y>").startsWith("250"));
        }
    }

    @Test
    void aClosedConnectionGivesItsEnvelopeBack() throws Exception {
        try (SmtpServer server = server(new Capture()).envelopeMemory(4 * 2 * ENTRY).build().start()) {
            try (SmtpClient a = SmtpClient.connect(server)) {
                a.reply();
                a.command("EHLO a.example");
                assertTrue(a.command("MAIL FROM:<s@x.y>").startsWith("250"));
                assertTrue(a.command("RCPT TO:<a@b.c>").startsWith("250"));
            } // gone in the middle of its transaction
            Eventually.await(() -> server.connectionCount() == 0, java.time.Duration.ofSeconds(5), "a has gone");
            try (SmtpClient b = SmtpClient.connect(server)) {
                b.reply();
                b.command("EHLO b.example");
                assertTrue(b.command("MAIL FROM:<s@x.y>").startsWith("250"));
                assertTrue(b.command("RCPT TO:<a@b.c>").startsWith("250"));
            }
        }
    }

    @Test
    void clientsThatDoNotReadRunIntoTheBufferBudgetAndOthersAreStillServed() throws Exception {
        int flooders = 4;
        try (SmtpServer server = server(new Capture()).bufferMemory(150_000).build().start()) {
            ExecutorService pool = Executors.newFixedThreadPool(flooders);
            List<Socket> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < flooders; i++) {
                    Socket s = new Socket();
                    s.setReceiveBufferSize(4096); // fill up quickly: the server must keep what it cannot send
                    s.connect(server.addresses().get(0), 10_000);
                    s.setSoTimeout(20_000);
                    sockets.add(s);
                    pool.submit(() -> flood(s.getOutputStream()));
                }
                // Each flooder makes the server hold up to ~100 KB (held input and unsent
                // replies): together more than the budget, so some are closed.
                int open = Eventually.poll(server::connectionCount, n -> n < flooders, java.time.Duration.ofSeconds(30));
                assertTrue(open < flooders, "no flooder was closed although they held more than the budget");
                // While the others hold what they hold, a client that reads its replies is served.
                try (SmtpClient good = SmtpClient.connect(server)) {
                    assertTrue(good.reply().startsWith("220"));
                    assertTrue(good.command("EHLO good.example").startsWith("250"));
                    assertTrue(good.sendMail("s@x.y", "a@b.c", "Subject: ok\r\n\r\nok").startsWith("250"));
                }
                int closed = 0;
                for (Socket s : sockets) {
                    s.setSoTimeout(500);
                    if (drainsToEnd(s.getInputStream())) {
                        closed++;
                    }
                }
                assertTrue(closed >= 1, "the server says it closed a flooder, the flooders saw no close");
            } finally {
                pool.shutdownNow();
                for (Socket s : sockets) {
                    s.close();
                }
            }
        }
    }

    @Test
    void aPipeliningClientThatReadsIsNotTouchedByTheBufferBudget() throws Exception {
        try (SmtpServer server = server(new Capture()).bufferMemory(150_000).build().start();
                SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            c.command("EHLO x.example");
            int noops = 5_000;
            c.send("NOOP\r\n".repeat(noops));
            for (int i = 0; i < noops; i++) {
                assertTrue(c.reply().startsWith("250"), "reply " + i);
            }
            assertTrue(c.command("QUIT").startsWith("221"));
        }
    }

    @Test
    void commandsBetweenBdatChunksAreFedInSlicesLikeAnyOthers() throws Exception {
        // One 64 KiB read of HELP makes megabytes of replies. Fed whole, that would be over this
        // budget at once and the connection closed; in slices, the session stops at 32 KiB of
        // unsent output and the client gets every reply once it reads.
        try (SmtpServer server = server(new Capture()).bufferMemory(130_000).build().start()) {
            Socket s = new Socket();
            s.setReceiveBufferSize(4096);
            s.connect(server.addresses().get(0), 10_000);
            s.setSoTimeout(20_000);
            int helps = 40_000;
            Thread writer = new Thread(() -> {
                try {
                    s.getOutputStream().write(("EHLO x.example\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nBDAT 1\r\nX"
                            + "HELP\r\n".repeat(helps)).getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    // the reader below tells what happened
                }
            }, "bdat-pipeliner");
            writer.setDaemon(true);
            try (s) {
                writer.start();
                Thread.sleep(500); // not reading yet: the server must hold back
                InputStream in = s.getInputStream();
                int ok = 0;
                StringBuilder line = new StringBuilder();
                int b;
                while (ok < helps + 4 && (b = in.read()) >= 0) {
                    if (b == '\n') {
                        if (line.length() > 3 && line.charAt(3) == ' ' && line.charAt(0) == '2') {
                            ok++;
                        }
                        line.setLength(0);
                    } else {
                        line.append((char) b);
                    }
                }
                // greeting, EHLO, MAIL, RCPT, BDAT and every HELP: all 2xx, in full
                assertEquals(helps + 4, ok);
            }
        }
    }

    /** 4 MiB of pipelined NOOPs after EHLO, never reading; stops quietly when the server closes. */
    private static Void flood(OutputStream out) {
        byte[] noops = "NOOP\r\n".repeat(10_000).getBytes(StandardCharsets.US_ASCII);
        try {
            out.write("EHLO flood.example\r\n".getBytes(StandardCharsets.US_ASCII));
            for (int written = 0; written < 4 << 20; written += noops.length) {
                out.write(noops);
            }
        } catch (IOException closedByServer) {
            // what the test hopes for
        }
        return null;
    }

    /** Reads until the server closes (true) or stays silent for the socket timeout (false). */
    private static boolean drainsToEnd(InputStream in) {
        byte[] buffer = new byte[64 * 1024];
        try {
            while (in.read(buffer) >= 0) {
                // replies the client did not read before
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }
}
