package io.smtpkit.server;

import static io.smtpkit.server.TestSupport.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.server.TestSupport.Capture;
import io.smtpkit.server.testsupport.SmtpClient;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Per-client limits on by default: one address cannot take every place (Postfix's anvil). */
class ClientLimitsTest {

    private static final String FROM_CLIENT = "421 4.7.0 Error: too many connections from your address, try again later";

    @Test
    void byDefaultOneAddressGetsFiftyPlacesAndOthersStillGetIn() throws Exception {
        List<SmtpClient> held = new ArrayList<>();
        try (SmtpServer server = server(new Capture()).build().start()) {
            try {
                for (int i = 0; i < 50; i++) {
                    SmtpClient c = SmtpClient.connect(server);
                    held.add(c);
                    assertTrue(c.reply().startsWith("220"), "connection " + (i + 1));
                }
                try (SmtpClient greedy = SmtpClient.connect(server)) {
                    assertEquals(FROM_CLIENT, greedy.reply());
                    assertTrue(greedy.closedByServer());
                }
                try (SmtpClient other = SmtpClient.connect(server.addresses().get(0), new InetSocketAddress("127.0.0.2", 0))) {
                    assertTrue(other.reply().startsWith("220"));
                    assertTrue(other.command("EHLO other.example").startsWith("250"));
                }
            } finally {
                for (SmtpClient c : held) {
                    c.close();
                }
            }
        }
    }

    @Test
    void zeroTurnsThePerClientLimitOff() throws Exception {
        List<SmtpClient> held = new ArrayList<>();
        try (SmtpServer server = server(new Capture()).maxConnectionsPerClient(0).build().start()) {
            try {
                for (int i = 0; i < 60; i++) {
                    SmtpClient c = SmtpClient.connect(server);
                    held.add(c);
                    assertTrue(c.reply().startsWith("220"), "connection " + (i + 1));
                }
            } finally {
                for (SmtpClient c : held) {
                    c.close();
                }
            }
        }
    }

    @Test
    void newConnectionsPerMinuteAreLimitedPerClient() throws Exception {
        try (SmtpServer server = server(new Capture()).maxConnectionRatePerClient(5).build().start()) {
            for (int i = 0; i < 5; i++) {
                try (SmtpClient c = SmtpClient.connect(server)) {
                    assertTrue(c.reply().startsWith("220"), "connection " + (i + 1));
                    c.command("QUIT");
                }
            }
            try (SmtpClient sixth = SmtpClient.connect(server)) {
                assertEquals(FROM_CLIENT, sixth.reply());
            }
            try (SmtpClient other = SmtpClient.connect(server.addresses().get(0), new InetSocketAddress("127.0.0.3", 0))) {
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
                try (SmtpClient c = SmtpClient.connect(server)) {
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
