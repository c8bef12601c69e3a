package io.smtpkit.protocol.internal;

import java.io.ByteArrayOutputStream;

/**
 * The reference model of DATA content (RFC 5321 §4.1.1.4, §4.5.2), written straight from the RFC
 * with no state machine: the data ends at the first "." CRLF that starts a CRLF-terminated line
 * (the start of the data counts as one), and the first dot of every line is dropped. Bare CR and
 * LF are content; with {@code normalize} a bare LF is handed on as CRLF. The oracle that
 * {@link DataDecoder} is checked against, by the property tests and by the fuzz targets.
 */
public final class DotStuffingReference {

    private DotStuffingReference() {}

    /** What the reference says about one input. */
    public record Expected(byte[] content, int consumed, boolean bare) {}

    /**
     * The index of the "." of the terminating "." CRLF in {@code in[0..length)}, or -1 while the
     * data goes on.
     */
    public static int end(byte[] in, int length) {
        return end(in, 0, length);
    }

    /**
     * The same, for a caller that already knows there is no end in {@code in[0..from)}: only an
     * end whose "." is at {@code from - 2} or later is looked for.
     */
    public static int end(byte[] in, int from, int length) {
        for (int i = Math.max(0, from - 2); i + 3 <= length; i++) {
            boolean crlfLineStart = i == 0 || (i >= 2 && in[i - 2] == '\r' && in[i - 1] == '\n');
            if (crlfLineStart && in[i] == '.' && in[i + 1] == '\r' && in[i + 2] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /**
     * The content of the data in {@code in}, which must hold its end, and how many bytes the
     * data takes with its terminator.
     *
     * @throws IllegalArgumentException if {@code in} does not hold the end of the data
     */
    public static Expected reference(byte[] in, boolean normalize) {
        int end = end(in, in.length);
        if (end < 0) {
            throw new IllegalArgumentException("the data does not end");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean bare = false;
        boolean lineStart = true; // after CRLF or a bare LF, which is a line end too
        for (int j = 0; j < end; j++) {
            byte b = in[j];
            if (lineStart && b == '.') {
                lineStart = false; // dot-stuffing: the first dot of a line is not content
                continue;
            }
            lineStart = false;
            if (b == '\n') {
                lineStart = true;
                if (j > 0 && in[j - 1] == '\r') {
                    out.write(b);
                } else {
                    bare = true;
                    if (normalize) {
                        out.write('\r');
                    }
                    out.write(b);
                }
            } else {
                if (b == '\r' && in[j + 1] != '\n') {
                    bare = true;
                }
                out.write(b);
            }
        }
        return new Expected(out.toByteArray(), end + 3, bare);
    }
}
