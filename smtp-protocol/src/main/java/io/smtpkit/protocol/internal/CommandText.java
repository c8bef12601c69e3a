package io.smtpkit.protocol.internal;

import io.smtpkit.protocol.Reply;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Turns a framed command line into text, refusing what cannot be a command: controls
 * (RFC 5321 §4.1.1), and 8-bit octets unless SMTPUTF8 is offered (RFC 6531 §3.3), then only as
 * valid UTF-8. One per session; after {@link #decode} returns {@code null}, {@link #problem()}
 * is the reply to send.
 */
public final class CommandText {

    private final boolean smtpUtf8;
    private Reply problem;

    /** A decoder for a session that does ({@code smtpUtf8}) or does not offer SMTPUTF8. */
    public CommandText(boolean smtpUtf8) {
        this.smtpUtf8 = smtpUtf8;
    }

    /** Why the last {@link #decode} gave {@code null}. */
    public Reply problem() {
        return problem;
    }

    /** The line as text, or {@code null} when it cannot be a command (see {@link #problem()}). */
    public String decode(byte[] bytes, int length) {
        boolean ascii = true;
        for (int i = 0; i < length; i++) {
            int b = bytes[i];
            if (b < 0) {
                ascii = false;
            } else if (b < 0x20 || b == 0x7f) {
                // NUL, bare CR and the other controls have no place in a command (RFC 5321 §4.1.1).
                return refused(Replies.CONTROL_CHARACTERS);
            }
        }
        if (ascii) {
            return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
        }
        if (!smtpUtf8) {
            return refused(startsWithAddressVerb(bytes, length) ? Replies.NEEDS_SMTPUTF8 : Replies.EIGHT_BIT_COMMAND);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 0, length))
                    .toString();
        } catch (CharacterCodingException e) {
            return refused(Replies.BAD_UTF8);
        }
        // The C1 controls and U+2028/U+2029 are UTF-8 too, but no more welcome than C0 ones: a
        // HELO name or a VRFY argument ends up in logs and headers. MAIL and RCPT go on, so that
        // their paths get the more telling 553 (PathParser.hasControl).
        if (!startsWithAddressVerb(bytes, length) && PathParser.hasControl(text, 0, text.length())) {
            return refused(Replies.CONTROL_CHARACTERS);
        }
        return text;
    }

    /** The length of {@code text} in octets as UTF-8, without encoding the common ASCII case. */
    public static int octets(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) > 127) {
                return text.getBytes(StandardCharsets.UTF_8).length;
            }
        }
        return text.length();
    }

    private String refused(Reply reply) {
        problem = reply;
        return null;
    }

    private static boolean startsWithAddressVerb(byte[] bytes, int length) {
        String head = Ascii.upper(new String(bytes, 0, Math.min(length, 5), StandardCharsets.ISO_8859_1));
        return head.startsWith("MAIL ") || head.startsWith("RCPT ");
    }
}
