package io.smtpkit.protocol.internal;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * The sending side of RFC 5321 §4.5.2, the inverse of {@link DataDecoder}: doubles a "." that
 * starts a line and ends the content with CRLF "." CRLF. Nothing else is changed, so the server
 * delivers exactly the octets given (for content whose lines end in CRLF).
 *
 * <p>A line starts at the beginning of the content and after every LF, with or without its CR:
 * {@code DataDecoder} takes a "." after a bare LF as stuffing too, so stuffing it keeps such a dot.
 * Content is handed on as views of the caller's buffers; only the inserted dots and the end are
 * bytes of its own, so a 20 MiB message is never copied here. Input may be split anywhere.
 */
public final class DotStuffer {

    private static final ByteBuffer DOT = ByteBuffer.wrap(new byte[] {'.'}).asReadOnlyBuffer();
    private static final ByteBuffer END = ByteBuffer.wrap(new byte[] {'.', '\r', '\n'}).asReadOnlyBuffer();
    private static final ByteBuffer CRLF_END = ByteBuffer.wrap(new byte[] {'\r', '\n', '.', '\r', '\n'}).asReadOnlyBuffer();

    private boolean lineStart = true;
    private boolean empty = true;
    private byte last;
    private byte beforeLast;
    private long written;

    /** Prepares for a new message. */
    public void reset() {
        lineStart = true;
        empty = true;
        last = 0;
        beforeLast = 0;
        written = 0;
    }

    /**
     * Appends to {@code out} the wire form of {@code chunk} (from its position to its limit):
     * views of it, with a "." inserted before each dot that starts a line. The chunk's position
     * is not moved; the views share its bytes, so they must not change until written.
     */
    public void encode(ByteBuffer chunk, List<ByteBuffer> out) {
        int start = chunk.position();
        int limit = chunk.limit();
        if (start == limit) {
            return;
        }
        int from = start;
        for (int i = start; i < limit; i++) {
            byte b = chunk.get(i);
            if (lineStart && b == '.') {
                if (i > from) {
                    out.add(chunk.slice(from, i - from));
                }
                out.add(DOT.duplicate());
                written++;
                from = i;
            }
            lineStart = b == '\n';
        }
        out.add(chunk.slice(from, limit - from));
        written += limit - start;
        if (limit - start >= 2) {
            beforeLast = chunk.get(limit - 2);
        } else {
            beforeLast = last;
        }
        last = chunk.get(limit - 1);
        empty = false;
    }

    /**
     * Appends the end of the content: CRLF "." CRLF when the content ended in CRLF (or was
     * empty: the DATA line's CRLF starts it), else a CRLF first, which the server then delivers
     * as part of the message: RFC 5321 §4.1.1.4 has no way to send content that does not end in CRLF.
     */
    public void finish(List<ByteBuffer> out) {
        boolean endsInCrlf = empty || (beforeLast == '\r' && last == '\n');
        out.add(endsInCrlf ? END.duplicate() : CRLF_END.duplicate());
        written += endsInCrlf ? 3 : 5;
    }

    /** Octets handed out since {@link #reset()}, stuffing and end included. */
    public long written() {
        return written;
    }
}
