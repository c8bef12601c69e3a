package io.smtpkit.protocol.internal;

import java.nio.ByteBuffer;

/**
 * Frames command lines: collects bytes up to LF, however the input is split, and never holds
 * more than its capacity. A line longer than that is skipped to its LF and reported as
 * {@link Result#TOO_LONG} (RFC 5321 §4.5.3.1.4: "500 Line too long"), so the session stays usable.
 */
public final class LineReader {

    /** What {@link #read} found. */
    public enum Result {
        /** A whole line is in {@link #bytes()}, {@link #length()} octets without its line ending. */
        LINE,
        /** A line longer than the capacity ended; its bytes were dropped. */
        TOO_LONG,
        /** The input ended inside a line; call again with more. */
        MORE
    }

    // Grows on demand up to the capacity: most lines are short, and an idle connection should
    // not hold a 12 KiB SASL-sized buffer (10 000 idle sessions must fit a small heap).
    private static final int INITIAL = 128;
    // A buffer grown past this for one long line (a SASL response, a MAIL with every extension)
    // is given back once the line is handled, so the idle size stays small.
    private static final int KEEP = 1024;
    private final int capacity;
    private byte[] line;
    private int length;
    private boolean overflow;
    private boolean lastWasCr;
    private boolean bareLf;

    /** @param capacity the longest line kept, in octets including CRLF */
    public LineReader(int capacity) {
        this.capacity = capacity;
        this.line = new byte[Math.min(capacity, INITIAL)];
    }

    /** Reads from {@code in}'s position, consuming at most through the next LF. */
    public Result read(ByteBuffer in) {
        int pos = in.position();
        int limit = in.limit();
        int lf = -1;
        for (int i = pos; i < limit; i++) {
            if (in.get(i) == '\n') {
                lf = i;
                break;
            }
        }
        int end = lf < 0 ? limit : lf;
        int n = end - pos;
        if (n > 0) {
            lastWasCr = in.get(end - 1) == '\r';
            if (!overflow && length + n <= capacity) {
                if (length + n > line.length) {
                    line = java.util.Arrays.copyOf(line, Math.min(capacity, Math.max(line.length * 2, length + n)));
                }
                in.get(pos, line, length, n);
                length += n;
            } else {
                overflow = true;
            }
        }
        if (lf < 0) {
            in.position(limit);
            return Result.MORE;
        }
        in.position(lf + 1);
        bareLf = !lastWasCr;
        if (lastWasCr && !overflow) {
            length--;
        }
        // A line of exactly the capacity plus its LF is still within the limit only if the
        // capacity counted the CR; one that already overflowed stays too long.
        Result result = overflow || length + 2 > capacity ? Result.TOO_LONG : Result.LINE;
        if (result == Result.TOO_LONG) {
            length = 0;
            shrink();
        }
        overflow = false;
        lastWasCr = false;
        return result;
    }

    /**
     * The buffer holding the last line; valid up to {@link #length()} until the next read (a
     * caller that took the array keeps it readable after {@link #clear()}).
     */
    public byte[] bytes() {
        return line;
    }

    /** The length of the last line without CR/LF. */
    public int length() {
        return length;
    }

    /** True if the last line ended in LF without CR. */
    public boolean bareLf() {
        return bareLf;
    }

    /** Forgets the last line; call once it has been handled. */
    public void clear() {
        length = 0;
        shrink();
    }

    /** Forgets everything, including a partial line (after STARTTLS). */
    public void reset() {
        length = 0;
        overflow = false;
        lastWasCr = false;
        shrink();
    }

    private void shrink() {
        if (line.length > KEEP) {
            line = new byte[Math.min(capacity, INITIAL)];
        }
    }
}
