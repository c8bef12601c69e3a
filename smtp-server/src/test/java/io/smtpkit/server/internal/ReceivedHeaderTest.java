package io.smtpkit.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.smtpkit.protocol.MailPath;
import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.protocol.SessionInfo;
import io.smtpkit.protocol.SessionState;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** RFC 3848's protocol keywords in the trace header, for SMTP and LMTP (RFC 2033). */
class ReceivedHeaderTest {

    @ParameterizedTest(name = "lmtp={0} extended={1} secure={2} user={3}: {4}")
    @CsvSource({
        "false, false, false, , SMTP",
        "false, true,  false, , ESMTP",
        "false, true,  true,  , ESMTPS",
        "false, true,  false, u, ESMTPA",
        "false, true,  true,  u, ESMTPSA",
        "true,  true,  false, , LMTP",
        "true,  true,  true,  , LMTPS",
        "true,  true,  false, u, LMTPA",
        "true,  true,  true,  u, LMTPSA",
    })
    void protocolKeyword(boolean lmtp, boolean extended, boolean secure, String user, String with) throws Exception {
        SessionConfig config = SessionConfig.builder().hostname("mx.example").lmtp(lmtp).build();
        SessionInfo session = new SessionInfo() {
            @Override public SessionState state() { return SessionState.DATA; }
            @Override public String heloName() { return "client.example"; }
            @Override public boolean isExtended() { return extended; }
            @Override public boolean isSecure() { return secure; }
            @Override public String authenticatedUser() { return user; }
            @Override public MailPath reversePath() { return MailPath.NULL; }
            @Override public List<MailPath> recipients() { return List.of(); }
            @Override public SessionConfig config() { return config; }
        };
        byte[] header = ReceivedHeader.build(session, InetAddress.getByName("192.0.2.1"), "ID1", null,
                ZonedDateTime.of(2026, 12, 1, 13, 0, 0, 0, ZoneOffset.UTC));
        assertEquals("Received: from client.example ([192.0.2.1])\r\n\tby mx.example with " + with
                + " id ID1; Tue, 1 Dec 2026 13:00:00 +0000\r\n", new String(header, StandardCharsets.US_ASCII));
    }

    @Test
    void theDateIsReusedOnlyWithinItsSecondAndOffset() {
        ZonedDateTime utc = ZonedDateTime.of(2026, 12, 1, 13, 0, 0, 100, ZoneOffset.UTC);
        assertEquals("Tue, 1 Dec 2026 13:00:00 +0000", ReceivedHeader.date(utc));
        assertEquals("Tue, 1 Dec 2026 13:00:00 +0000", ReceivedHeader.date(utc.plusNanos(999_999_000)));
        assertEquals("Tue, 1 Dec 2026 13:00:01 +0000", ReceivedHeader.date(utc.plusSeconds(1)));
        // the same instant in another zone is another text
        assertEquals("Tue, 1 Dec 2026 14:00:01 +0100",
                ReceivedHeader.date(utc.plusSeconds(1).withZoneSameInstant(ZoneOffset.ofHours(1))));
        assertEquals("Tue, 1 Dec 2026 13:00:00 +0000", ReceivedHeader.date(utc));
    }
}
