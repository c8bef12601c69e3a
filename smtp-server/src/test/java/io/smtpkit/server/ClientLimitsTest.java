package io.smtpkit.server;

import static io.smtpkit.server.TestSupport.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.server.TestSupport.Capture;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Per-client limits on by default: one address cannot take every place (Postfix's anvil). */
class ClientLimitsTest {

    private static final String FROM_CLIENT = "421 4.7.0 Error: too many connections from your address, try again later";

    @Test
    void byDefaultOneAddressGetsFiftyPlacesAndOthersStillGetIn() throws Exception {
        List<TestClient> held = new ArrayList<>();
        try (SmtpServer server = server(new Capture()).build().start()) {
            try {
                for (int i = 0; i < 50; i++) {
                    TestClient c = TestClient.connect(server);
                    held.add(c);
                    assertTrue(c.reply().startsWith("220"), "connection " + (i + 1));
                }
                try (TestClient greedy = TestClient.connect(server)) {
                    assertEquals(FROM_CLIENT, greedy.reply());
                    assertTrue(greedy.closedByServer());
                }
                try (TestClient other = new TestClient(server.addresses().get(0), new InetSocketAddress("127.0.0.2", 0))) {
                    assertTrue(other.reply().startsWith("220"));
                    assertTrue(other.command("EHLO other.example").startsWith("250"));
                }
            } finally {
                for (TestClient c : held) {
                    c.close();
                }
            }
        }
    }

    @Test
    void zeroTurnsThePerClientLimitOff() throws Exception {
        List<TestClient> held = new ArrayList<>();
        try (SmtpServer server = server(new Capture()).maxConnectionsPerClient(0).build().start()) {
            try {
                for (int i = 0; i < 60; i++) {
                    TestClient c = TestClient.connect(server);
                    held.add(c);
                    assertTrue(c.reply().startsWith("220"), "connection " + (i + 1));
                }
            } finally {
                for (TestClient c : held) {
                    c.close();
                }
            }
        }
    }

    @Test
    void newConnectionsPerMinuteAreLimitedPerClient() throws Exception {
        try (SmtpServer server = server(new Capture()).maxConnectionRatePerClient(5).build().start()) {
            for (int i = 0; i < 5; i++) {
                try (TestClient c = TestClient.connect(server)) {
                    assertTrue(c.reply().startsWith("220"), "connection " + (i + 1));
                    c.command("QUIT");
                }
            }
            try (TestClient sixth = TestClient.connect(server)) {
                assertEquals(FROM_CLIENT, sixth.reply());
            }
            try (TestClient other = new TestClient(server.addresses().get(0), new InetSocketAddress("127.0.0.3", 0))) {
                assertTrue(other.reply().startsWith("220"));
            }
        }
    }

    @Test
    void zeroTurnsTheRateLimitOff() throws Exception {
        // Closed on this side, a connection may still count on the server's until its loop sees
        // the end: the per-client limit is off so only the rate is under test.
        try (SmtpServer server = server(new Capture()).maxConnectionRatePerClient(0).maxConnectionsPerClient(0)
                .build().start()) {
            for (int i = 0; i < 700; i++) { // past the default of 600 a minute
                try (TestClient c = TestClient.connect(server)) {
                    assertTrue(c.reply().startsWith("220"), "connection " + (i + 1));
                }
            }
        }
    }

    @Test
    void negativeLimitsAreRefusedByTheBuilder() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SmtpServer.builder().maxConnectionsPerClient(-1));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SmtpServer.builder().maxConnectionRatePerClient(-1));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SmtpServer.builder().envelopeMemory(-1));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SmtpServer.builder().bufferMemory(-1));
    }
}
