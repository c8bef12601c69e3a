package io.smtpkit.protocol.internal;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Decoding for the SASL mechanisms the session speaks: PLAIN (RFC 4616) and LOGIN. */
public final class Sasl {

    /** The LOGIN mechanism's challenges, "Username:" and "Password:" in base64. */
    public static final String LOGIN_USERNAME_CHALLENGE = "VXNlcm5hbWU6";
    public static final String LOGIN_PASSWORD_CHALLENGE = "UGFzc3dvcmQ6";

    private Sasl() {}

    /** PLAIN's three fields. */
    public record PlainCredentials(String authorizationId, String username, String password) {
        @Override
        public String toString() {
            return "PlainCredentials[authorizationId=" + authorizationId + ", username=" + username + ", password=***]";
        }
    }

    /**
     * Decodes base64 text into UTF-8 text (RFC 4954 §4). {@code "="} stands for an empty response.
     *
     * @return the text, or {@code null} if it is not valid base64 of valid UTF-8
     */
    public static String decode(String base64) {
        if (base64.equals("=")) {
            return "";
        }
        try {
            byte[] bytes = Base64.getDecoder().decode(base64);
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (IllegalArgumentException | CharacterCodingException e) {
            return null;
        }
    }

    /**
     * Splits a decoded PLAIN response {@code [authzid] NUL authcid NUL passwd} (RFC 4616 §2).
     *
     * @return the fields, or {@code null} if there are not exactly three or the user is empty
     */
    public static PlainCredentials plain(String response) {
        int first = response.indexOf('\0');
        int second = first < 0 ? -1 : response.indexOf('\0', first + 1);
        if (second < 0 || response.indexOf('\0', second + 1) >= 0 || second == first + 1) {
            return null;
        }
        return new PlainCredentials(
                response.substring(0, first), response.substring(first + 1, second), response.substring(second + 1));
    }
}
