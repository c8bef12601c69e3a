package io.smtpkit.server.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The test client against a scripted peer: what it parses, what it sends, that its deadline holds. */
class SmtpClientTest {

    /** A peer that writes {@code script} once the client's first {@code expected} octets arrived, then closes. */
    private static CompletableFuture<String> peer(ServerSocket listener, int expected, String script) {
        return CompletableFuture.supplyAsync(() -> {
            try (Socket s = listener.accept()) {
                s.setSoTimeout(10_000);
                InputStream in = s.getInputStream();
                byte[] got = in.readNBytes(expected);
                s.getOutputStream().write(script.getBytes(StandardCharsets.UTF_8));
                s.getOutputStream().flush();
                return new String(got, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new CompletionException(e);
            }
        });
    }

    private static ServerSocket listener() throws IOException {
        return new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    }

    private static InetSocketAddress address(ServerSocket listener) {
        return new InetSocketAddress(listener.getInetAddress(), listener.getLocalPort());
    }

    @Test
    void aMultiLineReplyIsReadWholeWithItsCodes() throws Exception {
        try (ServerSocket listener = listener()) {
            CompletableFuture<String> peer = peer(listener, 0,
                    "250-mx.example\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n550 5.7.1 no\r\n421 bye\r\n");
            try (SmtpClient client = SmtpClient.connect(address(listener))) {
                SmtpClient.Reply ehlo = client.readReply();
                assertEquals(250, ehlo.code());
                assertNull(ehlo.enhancedCode());
                assertEquals(List.of("mx.example", "PIPELINING", "ENHANCEDSTATUSCODES"), ehlo.texts());
                assertEquals("250-mx.example\n250-PIPELINING\n250 ENHANCEDSTATUSCODES", ehlo.text());
                SmtpClient.Reply refused = client.readReply();
                assertEquals(550, refused.code());
                assertEquals("5.7.1", refused.enhancedCode());
                assertEquals("421 bye", client.reply());
                assertTrue(client.closedByServer());
            }
            peer.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void pipelinedCommandsGoInOneWriteAndGetOneReplyEach() throws Exception {
        try (ServerSocket listener = listener()) {
            String commands = "MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n";
            CompletableFuture<String> peer = peer(listener, commands.length(), "250 ok\r\n550 5.1.1 no\r\n554 no rcpt\r\n");
            try (SmtpClient client = SmtpClient.connect(address(listener))) {
                assertEquals(List.of("250 ok", "550 5.1.1 no", "554 no rcpt"),
                        client.pipeline("MAIL FROM:<a@b.c>", "RCPT TO:<d@e.f>", "DATA"));
            }
            assertEquals(commands, peer.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void aReplyCutOffByTheCloseIsAnError() throws Exception {
        try (ServerSocket listener = listener()) {
            CompletableFuture<String> peer = peer(listener, 0, "250-first line\r\n");
            try (SmtpClient client = SmtpClient.connect(address(listener))) {
                IOException e = assertThrows(IOException.class, client::reply);
                assertTrue(e.getMessage().contains("250-first line"), e.getMessage());
            }
            peer.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aSilentPeerFailsTheReadAtTheDeadline() throws Exception {
        try (ServerSocket listener = listener();
                SmtpClient client = SmtpClient.connect(address(listener)).deadline(Duration.ofMillis(300));
                Socket silent = listener.accept()) {
            long start = System.nanoTime();
            assertThrows(SocketTimeoutException.class, client::reply);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertTrue(took.compareTo(Duration.ofMillis(250)) > 0 && took.compareTo(Duration.ofSeconds(10)) < 0, took.toString());
            assertTrue(silent.isConnected(), "the peer was there all along, saying nothing");
        }
    }
}
