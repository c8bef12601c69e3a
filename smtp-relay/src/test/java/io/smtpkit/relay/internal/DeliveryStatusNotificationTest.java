package io.smtpkit.relay.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.MailPath;
import io.smtpkit.protocol.Reply;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The notification's parts, field by field (RFC 3464), apart from any socket. */
class DeliveryStatusNotificationTest {

    private static final ZonedDateTime ARRIVAL = ZonedDateTime.of(2026, 12, 1, 13, 0, 0, 0, ZoneOffset.UTC);
    private static final MailPath ALICE = new MailPath("alice", "example.org");

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void theHeaderEndsAtTheBlankLineWhateverTheLineEnds() throws Exception {
        assertEquals("A: 1\r\nB: 2\r\n", text(DeliveryStatusNotification.headerOf(
                new ByteArrayInputStream("A: 1\r\nB: 2\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)))));
        assertEquals("A: 1\n", text(DeliveryStatusNotification.headerOf(
                new ByteArrayInputStream("A: 1\n\nbody\n".getBytes(StandardCharsets.US_ASCII)))));
        byte[] huge = ("X: " + "y".repeat(100) + "\r\n").repeat(1000).getBytes(StandardCharsets.US_ASCII);
        byte[] cut = DeliveryStatusNotification.headerOf(new ByteArrayInputStream(huge));
        assertTrue(cut.length <= DeliveryStatusNotification.MAX_HEADER_BYTES && text(cut).endsWith("\r\n"), "cut at a line's end");
    }

    @Test
    void aReplyWithoutEnhancedCodeGetsItsClassAsStatus() {
        DeliveryStatusNotification dsn = new DeliveryStatusNotification("mx.test", null, ARRIVAL,
                List.of(new DeliveryStatusNotification.Failed(new MailPath("dev", "lists.test"), "rfc822;Dev@lists.test",
                        Reply.of(451, "local trouble\u00e9"))),
                "Subject: x\r\n".getBytes(StandardCharsets.US_ASCII));
        String m = text(dsn.toMessage(ALICE, ARRIVAL));
        assertTrue(m.contains("\r\nOriginal-Recipient: rfc822;Dev@lists.test\r\nFinal-Recipient: rfc822; dev@lists.test\r\n"
                + "Action: failed\r\nStatus: 4.0.0\r\nDiagnostic-Code: smtp; 451 local trouble?\r\n"), m);
        assertTrue(m.contains("\r\nArrival-Date: Tue, 1 Dec 2026 13:00:00 +0000\r\n"), m);
        assertTrue(m.contains("\r\nAuto-Submitted: auto-replied\r\n"), m);
        assertFalse(dsn.isEightBit());
        assertFalse(m.contains("Content-Transfer-Encoding"), m);
    }

    @Test
    void eightBitHeadersAreMarkedAndNothingGoesToTheNullPath() {
        DeliveryStatusNotification dsn = new DeliveryStatusNotification("mx.test", "lmtp.test", ARRIVAL,
                List.of(new DeliveryStatusNotification.Failed(new MailPath("dev", "lists.test"), null, Reply.MAILBOX_UNAVAILABLE)),
                "Subject: caf\u00e9\r\n".getBytes(StandardCharsets.UTF_8));
        assertTrue(dsn.isEightBit());
        assertTrue(text(dsn.toMessage(ALICE, ARRIVAL)).contains("Content-Transfer-Encoding: 8bit\r\n\r\nSubject: caf\u00e9\r\n"));
        assertTrue(text(dsn.toMessage(ALICE, ARRIVAL)).contains("Remote-MTA: dns; lmtp.test\r\n"));
        assertFalse(DeliveryStatusNotification.mayBeSentTo(MailPath.NULL));
        assertThrows(IllegalArgumentException.class, () -> dsn.toMessage(MailPath.NULL, ARRIVAL));
        assertThrows(IllegalArgumentException.class, () -> new DeliveryStatusNotification("mx.test", null, ARRIVAL, List.of(), new byte[0]));
    }
}
