package io.smtpkit.protocol.internal;

import static io.smtpkit.protocol.FuzzSupport.check;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

/**
 * SASL decoding (RFC 4954 §4, RFC 4616 §2) on any client text: {@link Sasl#decode} and
 * {@link Sasl#plain} never throw, and whatever they accept means what the text says: the base64
 * it accepted decodes to the bytes it returned, any text survives encoding and decoding, and a
 * PLAIN response splits into fields that join back to it, with a non-empty user.
 *
 * <p>Input: the bytes, read once as the line the session strips and decodes (ISO-8859-1, so every
 * byte is one char) and once as the UTF-8 text a client encodes.
 */
class SaslFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void decode(byte[] input) {
        String response = new String(input, StandardCharsets.ISO_8859_1).strip();
        String decoded = Sasl.decode(response);
        if (decoded != null && !response.equals("=")) {
            check(response.chars().allMatch(c -> c < 128), () -> "accepted non-ASCII base64: " + response);
            byte[] bytes = Base64.getDecoder().decode(response);
            check(Arrays.equals(bytes, decoded.getBytes(StandardCharsets.UTF_8)), "decoded text is not the base64's bytes");
        }
        String text = new String(input, StandardCharsets.UTF_8);
        String roundTrip = Sasl.decode(Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8)));
        check(text.equals(roundTrip), () -> "text did not survive base64: " + text);

        Sasl.PlainCredentials credentials = Sasl.plain(text);
        int first = text.indexOf('\0');
        int second = first < 0 ? -1 : text.indexOf('\0', first + 1);
        boolean wellFormed = second > first + 1 && text.indexOf('\0', second + 1) < 0;
        check(wellFormed == (credentials != null), () -> (wellFormed ? "refused" : "accepted") + " PLAIN response " + text);
        if (credentials != null) {
            check(!credentials.username().isEmpty(), "empty authcid accepted");
            check(text.equals(credentials.authorizationId() + '\0' + credentials.username() + '\0' + credentials.password()),
                    "PLAIN fields do not join back to the response");
            check(credentials.toString().endsWith("password=***]"), "the password shows in toString");
        }
    }
}
