package io.smtpkit.server;

import static io.smtpkit.server.TestSupport.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.server.TestSupport.Capture;
import io.smtpkit.server.TestSupport.Received;
import io.smtpkit.server.handlers.MaildirHandler;
import io.smtpkit.server.testsupport.SmtpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** 200 clients at once, each with its own message: every message arrives intact, once. */
class ConcurrencyTest {

    private static final int CLIENTS = 200;

    /** A distinct body per client, some lines dot-stuffed, a few KiB long. */
    private static String body(int n) {
        StringBuilder b = new StringBuilder("Subject: message " + n + "\r\nX-Client: " + n + "\r\n\r\n");
        for (int line = 0; line < 20 + n % 50; line++) {
            b.append(line % 7 == 0 ? "." : "").append("client ").append(n).append(" line ").append(line).append(" ")
                    .append("x".repeat(n % 60)).append("\r\n");
        }
        return b.toString();
    }

    private static String wire(String body) {
        return body.replace("\r\n.", "\r\n..");
    }

    private static void sendAll(SmtpServer server) throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                int n = i;
                results.add(clients.submit(() -> {
                    try (SmtpClient c = SmtpClient.connect(server)) {
                        c.reply();
                        c.command("EHLO client" + n + ".example");
                        String reply = c.sendMail("from" + n + "@example.org", "to" + n + "@example.org",
                                wire(body(n)).substring(0, wire(body(n)).length() - 2));
                        c.command("QUIT");
                        return reply;
                    }
                }));
            }
            for (Future<String> result : results) {
                assertTrue(result.get(60, TimeUnit.SECONDS).startsWith("250"));
            }
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void toACapturingHandler() throws Exception {
        Capture capture = new Capture();
        // All 200 come from 127.0.0.1: past the default per-client limit of 50.
        try (SmtpServer server = server(capture).maxConnectionsPerClient(0).receivedHeader(false).build().start()) {
            sendAll(server);
            Map<Integer, Received> byClient = new HashMap<>();
            for (int i = 0; i < CLIENTS; i++) {
                Received r = capture.take();
                int n = Integer.parseInt(r.envelope().reversePath().localPart().substring(4));
                assertEquals(null, byClient.put(n, r), "duplicate message from client " + n);
                assertEquals("to" + n + "@example.org", r.envelope().recipients().get(0).address());
                assertEquals("client" + n + ".example", r.helo());
                assertEquals(body(n), r.text(), "content of client " + n);
            }
            assertEquals(CLIENTS, byClient.size());
        }
    }

    @Test
    void fiftyStartTlsClientsAtOnce() throws Exception {
        Capture capture = new Capture();
        int clients = 50;
        try (SmtpServer server = server(capture).receivedHeader(false).tls(TestSupport.serverTls()).build().start()) {
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            try {
                List<Future<String>> results = new ArrayList<>();
                for (int i = 0; i < clients; i++) {
                    int n = i;
                    results.add(pool.submit(() -> {
                        try (SmtpClient c = SmtpClient.connect(server)) {
                            c.reply();
                            c.command("EHLO tls" + n + ".example");
                            c.command("STARTTLS");
                            c.startTls(TestSupport.trustAll());
                            c.command("EHLO tls" + n + ".example");
                            return c.sendMail("from" + n + "@example.org", "to@example.org", wire(body(n)).substring(0, wire(body(n)).length() - 2));
                        }
                    }));
                }
                for (Future<String> result : results) {
                    assertEquals("250 2.0.0 OK", result.get(60, TimeUnit.SECONDS));
                }
            } finally {
                pool.shutdownNow();
            }
            for (int i = 0; i < clients; i++) {
                Received r = capture.take();
                int n = Integer.parseInt(r.envelope().reversePath().localPart().substring(4));
                assertEquals(body(n), r.text());
                assertTrue(r.tls() != null);
            }
        }
    }

    @Test
    void toAMaildir(@TempDir Path dir) throws Exception {
        MaildirHandler maildir = new MaildirHandler(dir);
        try (SmtpServer server = server(maildir).maxConnectionsPerClient(0).build().start()) {
            sendAll(server);
        }
        List<String> files = new ArrayList<>();
        try (Stream<Path> list = Files.list(maildir.newDirectory())) {
            for (Path p : (Iterable<Path>) list::iterator) {
                files.add(Files.readString(p, StandardCharsets.UTF_8));
            }
        }
        assertEquals(CLIENTS, files.size());
        for (int n = 0; n < CLIENTS; n++) {
            String expected = body(n);
            String recipient = "Delivered-To: to" + n + "@example.org\r\n";
            long matches = files.stream().filter(f -> f.contains(recipient) && f.endsWith(expected)).count();
            assertEquals(1, matches, "client " + n);
        }
    }
}
