package io.smtpkit.benchmarks;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Test content shaped like real mail: 76-character lines, every 40th one dot-stuffed. */
final class Messages {
    private Messages() {}

    /** About {@code size} octets of dot-stuffed DATA content, ended by CRLF.CRLF. */
    static byte[] stuffedBody(int size) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(size + 128);
        out.writeBytes("Subject: benchmark\r\nFrom: alice@example.org\r\nTo: bob@example.org\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
        String alphabet = "The quick brown fox jumps over the lazy dog. 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ ";
        int line = 0;
        while (out.size() < size - 80) {
            StringBuilder s = new StringBuilder(78);
            if (line % 40 == 39) {
                s.append(".."); // a line that starts with a dot, stuffed by the client
            }
            for (int i = s.length(); i < 76; i++) {
                s.append(alphabet.charAt((line * 7 + i) % alphabet.length()));
            }
            s.append("\r\n");
            out.writeBytes(s.toString().getBytes(StandardCharsets.US_ASCII));
            line++;
        }
        out.writeBytes(".\r\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }
}
