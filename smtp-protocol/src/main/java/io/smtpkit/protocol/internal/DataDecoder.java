package io.smtpkit.protocol.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Consumer;

/**
 * Decodes DATA content (RFC 5321 §4.1.1.4, §4.5.2): removes dot-stuffing and finds the end of
 * the message, which is CRLF "." CRLF and nothing else. A "." line after a bare LF, or a "."
 * followed by a bare CR or LF, does not end the message: those are the ambiguities that SMTP
 * smuggling (CVE-2023-51764/51765/51766) exploits.
 *
 * <p>Content is handed on as views of the input buffer wherever possible, so no message byte is
 * copied here. The decoder keeps a few bits of state between calls, so input may be split
 * anywhere, down to one byte at a time.
 */
public final class DataDecoder {

    private static final byte CR = '\r';
    private static final byte LF = '\n';

    // Where the decoder stands. "Line start" remembers how the previous line ended, because only
    // a CRLF-terminated line can be followed by the terminating ".".
    private static final int LINE_START_CRLF = 0;
    private static final int LINE_START_LF = 1;
    private static final int MID_LINE = 2;
    private static final int AFTER_CR = 3;
    private static final int AFTER_DOT = 4;
    private static final int AFTER_DOT_CR = 5;

    private static final byte[] CRLF_BYTES = {CR, LF};
    private static final byte[] CR_BYTES = {CR};

    private final boolean normalizeBareLf;
    private int state = LINE_START_CRLF;
    private boolean bareLineEnding;

    /**
     * @param normalizeBareLf true to hand on a bare LF as CRLF (Postfix's "normalize"), false to
     *     keep it as it came and only record that it was seen
     */
    public DataDecoder(boolean normalizeBareLf) {
        this.normalizeBareLf = normalizeBareLf;
    }

    /** Prepares for a new message, which starts at the beginning of a line. */
    public void reset() {
        state = LINE_START_CRLF;
        bareLineEnding = false;
    }

    /** True if the message so far contained a bare CR or a bare LF. */
    public boolean sawBareLineEnding() {
        return bareLineEnding;
    }

    /**
     * Decodes from {@code in}'s position and hands content to {@code sink}. Each buffer given to
     * the sink is valid only during the call.
     *
     * @return true when the terminating CRLF.CRLF was consumed ({@code in}'s position is just past
     *     it), false when all input was consumed and the message goes on
     */
    public boolean decode(ByteBuffer in, Consumer<ByteBuffer> sink) {
        int pos = in.position();
        int limit = in.limit();
        int start = pos; // first byte not yet handed to the sink
        ByteBuffer view = in.duplicate();
        // Buffers without an array (direct, read-only) are scanned through a little-endian view.
        ByteBuffer scan = in.hasArray() ? null : in.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int s = state;
        while (pos < limit) {
            switch (s) {
                case MID_LINE -> {
                    pos = scan == null ? scanArray(in, pos, limit) : scanLittleEndian(scan, pos, limit);
                    if (pos == limit) {
                        continue;
                    }
                    if (in.get(pos) == CR) {
                        s = AFTER_CR;
                        pos++;
                    } else {
                        bareLineEnding = true;
                        if (normalizeBareLf) {
                            emit(view, start, pos, sink);
                            sink.accept(ByteBuffer.wrap(CRLF_BYTES).asReadOnlyBuffer());
                            start = pos + 1;
                        }
                        pos++;
                        s = LINE_START_LF;
                    }
                }
                case AFTER_CR -> {
                    if (in.get(pos) == LF) {
                        pos++;
                        s = LINE_START_CRLF;
                    } else {
                        bareLineEnding = true; // a bare CR is content; the byte after it is looked at again
                        s = MID_LINE;
                    }
                }
                case LINE_START_CRLF, LINE_START_LF -> {
                    if (in.get(pos) == '.') {
                        // The dot is either stuffing or the start of the terminator: never content.
                        emit(view, start, pos, sink);
                        pos++;
                        start = pos;
                        s = s == LINE_START_CRLF ? AFTER_DOT : MID_LINE;
                    } else {
                        s = MID_LINE;
                    }
                }
                case AFTER_DOT -> {
                    if (in.get(pos) == CR) {
                        // Hold the CR back: with an LF it ends the message and is not content.
                        emit(view, start, pos, sink);
                        pos++;
                        start = pos;
                        s = AFTER_DOT_CR;
                    } else {
                        s = MID_LINE;
                    }
                }
                case AFTER_DOT_CR -> {
                    if (in.get(pos) == LF) {
                        in.position(pos + 1);
                        state = LINE_START_CRLF;
                        return true;
                    }
                    // ".\r" then something else: the held CR was a bare CR of the content.
                    bareLineEnding = true;
                    sink.accept(ByteBuffer.wrap(CR_BYTES).asReadOnlyBuffer());
                    s = MID_LINE;
                }
                default -> throw new IllegalStateException("decoder state " + s);
            }
        }
        emit(view, start, pos, sink);
        in.position(limit);
        state = s;
        return false;
    }

    /**
     * From {@code pos} in the middle of a line: the index of the next CR or LF that the state
     * machine has to look at, or {@code limit}. Whole lines that end in CRLF and are followed by
     * a line not starting with "." are skipped here: the state machine would only pass through
     * them (AFTER_CR, LINE_START_CRLF, back to MID_LINE on the same byte), and this is where
     * nearly all the time of a typical message goes. For a buffer with an accessible array.
     */
    private static int scanArray(ByteBuffer in, int pos, int limit) {
        byte[] a = in.array();
        int offset = in.arrayOffset();
        int end = limit + offset;
        int i = pos + offset;
        while (true) {
            i = findCrOrLf(a, i, end);
            if (i + 2 < end && a[i] == CR && a[i + 1] == LF && a[i + 2] != '.') {
                i += 2; // CRLF, then a line that is not dot-stuffed and not the end
                continue;
            }
            return i - offset;
        }
    }

    /** {@link #scanArray} for a buffer without an array (direct, read-only), viewed in little-endian order. */
    private static int scanLittleEndian(ByteBuffer le, int pos, int limit) {
        int i = pos;
        while (true) {
            i = findCrOrLf(le, i, limit);
            if (i + 2 < limit && le.get(i) == CR && le.get(i + 1) == LF && le.get(i + 2) != '.') {
                i += 2;
                continue;
            }
            return i;
        }
    }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGH_BITS = 0x8080808080808080L;

    /**
     * The index of the first CR or LF in {@code a[i..end)}, or {@code end}. Looks at eight bytes
     * at a time (SWAR): {@code (v - 0x0E..) & ~v & 0x80..} flags the bytes below 0x0E, which
     * include CR (0x0D) and LF (0x0A); borrows only travel upwards from a flagged byte, so the
     * lowest flag is exact. A flagged byte that is another control character (TAB, NUL...) is
     * skipped and the search goes on after it.
     */
    private static int findCrOrLf(byte[] a, int i, int end) {
        while (i + Long.BYTES <= end) {
            long v = (long) LONGS.get(a, i);
            long flags = (v - 0x0E * ONES) & ~v & HIGH_BITS;
            if (flags == 0) {
                i += Long.BYTES;
                continue;
            }
            int j = i + (Long.numberOfTrailingZeros(flags) >>> 3);
            byte b = a[j];
            if (b == CR || b == LF) {
                return j;
            }
            i = j + 1;
        }
        for (; i < end; i++) {
            byte b = a[i];
            if (b == CR || b == LF) {
                return i;
            }
        }
        return end;
    }

    /** {@link #findCrOrLf(byte[], int, int)} through {@link ByteBuffer#getLong(int)} of a little-endian buffer. */
    private static int findCrOrLf(ByteBuffer le, int i, int end) {
        while (i + Long.BYTES <= end) {
            long v = le.getLong(i);
            long flags = (v - 0x0E * ONES) & ~v & HIGH_BITS;
            if (flags == 0) {
                i += Long.BYTES;
                continue;
            }
            int j = i + (Long.numberOfTrailingZeros(flags) >>> 3);
            byte b = le.get(j);
            if (b == CR || b == LF) {
                return j;
            }
            i = j + 1;
        }
        for (; i < end; i++) {
            byte b = le.get(i);
            if (b == CR || b == LF) {
                return i;
            }
        }
        return end;
    }

    private static void emit(ByteBuffer view, int from, int to, Consumer<ByteBuffer> sink) {
        if (to > from) {
            view.limit(to);
            view.position(from);
            sink.accept(view);
        }
    }
}
