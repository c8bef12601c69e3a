package io.smtpkit.protocol;

/** The {@code BODY=} parameter of MAIL: how the client says its content is encoded. */
public enum BodyType {
    /** No BODY parameter or {@code BODY=7BIT}: RFC 5321 7-bit text. */
    SEVEN_BIT,
    /** {@code BODY=8BITMIME} (RFC 6152): text lines that may carry 8-bit octets. */
    EIGHT_BIT_MIME,
    /** {@code BODY=BINARYMIME} (RFC 3030 §3): arbitrary octets, sent only with BDAT. */
    BINARY_MIME
}
