package io.smtpkit.server;

import static io.smtpkit.server.TestSupport.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.Reply;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ShutdownTest {

    @Test
    void closeLetsTheMessageInFlightFinishAndTurnsIdleSessionsAway() throws Exception {
        CountDownLatch inHook = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch delivered = new CountDownLatch(1);
        SmtpHandler handler = (SessionContext session, Envelope envelope, Message message) -> {
            inHook.countDown();
            assertTrue(release.await(30, TimeUnit.SECONDS));
            delivered.countDown();
            return Reply.of(250, "2.0.0", "stored");
        };
        SmtpServer server = server(handler).build().start();
        try (TestClient busy = TestClient.connect(server); TestClient idle = TestClient.connect(server)) {
            busy.reply();
            idle.reply();
            busy.command("EHLO busy.example");
            idle.command("EHLO idle.example");
            busy.command("MAIL FROM:<a@example.org>");
            busy.command("RCPT TO:<b@example.org>");
            busy.command("DATA");
            busy.send("in flight\r\n.\r\n");
            assertTrue(inHook.await(30, TimeUnit.SECONDS));

            CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
            assertEquals("421 4.3.2 Service shutting down, closing transmission channel", idle.reply());
            assertTrue(idle.closedByServer());
            assertFalse(closing.isDone());

            release.countDown();
            assertEquals("250 2.0.0 stored", busy.reply());
            assertEquals("421 4.3.2 Service shutting down, closing transmission channel", busy.reply());
            assertTrue(busy.closedByServer());
            closing.get(30, TimeUnit.SECONDS);
            assertEquals(0, delivered.getCount());
            assertEquals(0, server.connectionCount());
        } finally {
            release.countDown();
            server.close();
        }
    }

    @Test
    void closeIsIdempotentAndWorksBeforeStart() throws Exception {
        SmtpServer never = server(new TestSupport.Capture()).build();
        never.close();
        SmtpServer server = server(new TestSupport.Capture()).build().start();
        server.close();
        server.close();
    }
}
