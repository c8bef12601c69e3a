package io.smtpkit.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.smtpkit.protocol.transcript.RecordingOutput;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The MAIL and RCPT line limits of every extension combination, on both sides: a line of exactly
 * the limit (CRLF included) is accepted, one octet more is refused with 500 5.5.2, and the session
 * goes on. The expected limits are written out here from the RFC allowances (RFC 5321 §4.5.3.1.4:
 * 512; SIZE +26, RFC 1870 §3; BODY +16, RFC 3030 §3; SMTPUTF8 +10, RFC 6531; AUTH +500, RFC 4954 §5; DSN +100
 * on MAIL and +500 on RCPT, RFC 3461 §4), not computed by the code under test.
 */
class LineLimitTest {

    @ParameterizedTest(name = "8bitmime={0} chunking={1} smtputf8={2} auth={3} dsn={4}: MAIL {5}, RCPT {6}")
    @CsvSource({
        // 8bitmime, chunking, smtputf8, auth, dsn, MAIL limit, RCPT limit
        "true,  true,  false, false, false, 554,  512",
        "false, false, false, false, false, 538,  512",
        "false, true,  false, false, false, 554,  512",
        "true,  false, false, false, false, 554,  512",
        "true,  true,  true,  false, false, 564,  512",
        "true,  true,  false, true,  false, 1054, 512",
        "true,  true,  false, false, true,  654,  1012",
        "true,  true,  true,  true,  true,  1164, 1012",
        "false, false, true,  true,  true,  1164, 1012", // SMTPUTF8 brings 8BITMIME
    })
    void mailAndRcptLimits(boolean eightBit, boolean chunking, boolean utf8, boolean auth, boolean dsn,
            int mailLimit, int rcptLimit) {
        SessionConfig config = SessionConfig.builder().eightBitMime(eightBit).chunking(chunking).smtpUtf8(utf8)
                .authentication(auth).allowInsecureAuth(auth).dsn(dsn).build();
        assertEquals(mailLimit, config.maxMailLine(), "documented allowance");
        assertEquals(rcptLimit, config.maxRcptLine(), "documented allowance");

        String mail = "MAIL FROM:<alice@example.org> SIZE=100";
        String rcpt = "RCPT TO:<bob@example.org>";
        assertEquals("250 2.1.0 OK", reply(config, padded(mail, mailLimit), null));
        assertEquals("500 5.5.2 Error: line too long", reply(config, padded(mail, mailLimit + 1), null));
        assertEquals("250 2.1.5 OK", reply(config, mail, padded(rcpt, rcptLimit)));
        assertEquals("500 5.5.2 Error: line too long", reply(config, mail, padded(rcpt, rcptLimit + 1)));
        // Other commands keep the base limit.
        assertEquals("250 2.0.0 OK", reply(config, padded("NOOP ", 512), null));
        assertEquals("500 5.5.2 Error: line too long", reply(config, padded("NOOP ", 513), null));
    }

    /** RFC 4954 §4: a SASL response line may be 12288 octets with its CRLF; one more is 500 5.5.6. */
    @org.junit.jupiter.api.Test
    void saslResponseLimit() {
        SessionConfig config = SessionConfig.builder().authentication(true).allowInsecureAuth(true).build();
        // "\0alice\0" + password, base64 without padding: 9214 octets make 12286 characters.
        String atLimit = plain(9214 - 7);
        String overLimit = plain(9215 - 7);
        assertEquals(12286, atLimit.length());
        assertEquals(12287, overLimit.length());
        // The credentials reach the handler, whose default answer is 535.
        assertEquals("535 5.7.8 Authentication credentials invalid", reply(config, "AUTH PLAIN", atLimit));
        // RFC 4954 §6: a too-long response ends the exchange with 500 5.5.6.
        assertEquals("500 5.5.6 Authentication Exchange line is too long", reply(config, "AUTH PLAIN", overLimit));
        assertEquals("535 5.7.8 Authentication credentials invalid", reply(config, "AUTH PLAIN " + plain(9202 - 7), null));
    }

    private static String plain(int passwordLength) {
        byte[] response = ("\0alice\0" + "p".repeat(passwordLength)).getBytes(StandardCharsets.US_ASCII);
        return java.util.Base64.getEncoder().withoutPadding().encodeToString(response);
    }

    /** {@code command} padded with spaces (parameters may be followed by spaces) to {@code octets} with CRLF. */
    private static String padded(String command, int octets) {
        return command + " ".repeat(octets - 2 - command.length());
    }

    /** The last reply line after EHLO, {@code first}, {@code second} (if any) and a NOOP that must still work. */
    private static String reply(SessionConfig config, String first, String second) {
        RecordingOutput out = new RecordingOutput();
        SmtpSession session = new SmtpSession(config, out);
        session.start();
        session.resume(null);
        String input = "EHLO client.example\r\n" + first + "\r\n" + (second == null ? "" : second + "\r\n");
        ByteBuffer in = ByteBuffer.wrap(input.getBytes(StandardCharsets.US_ASCII));
        while (in.hasRemaining()) {
            session.receive(in);
            if (session.awaiting() != null) {
                session.resume(null);
            }
        }
        String last = out.lastReply();
        out.clearReplies();
        session.receive(ByteBuffer.wrap("NOOP\r\n".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("250 2.0.0 OK\r\n", out.replies(), "the session goes on");
        return last;
    }
}
