package io.smtpkit.protocol.internal;

import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.SessionOutput;
import java.nio.ByteBuffer;

/**
 * One BDAT chunk being read (RFC 3030 §2). The chunk's size is announced up front, so its octets
 * are read even when the chunk is refused (and then thrown away): otherwise they would be taken
 * for commands. The session decides what a chunk is for; this only counts its octets off.
 */
public final class ChunkReader {

    private long remaining = -1; // -1: no chunk
    private boolean kept;
    private boolean last;
    private Reply refusal;

    /**
     * {@code BDAT SP chunk-size [SP end-marker]}: the size, or -1 if the syntax is wrong.
     * chunk-size is 1*DIGIT (RFC 3030 §2) with no upper bound: a size past a long still announces
     * a chunk, so it reads as {@link Long#MAX_VALUE} (more than any limit) rather than as a syntax
     * error, which would make the session take the chunk's octets for commands.
     */
    public static long size(String argument) {
        String[] words = argument.strip().split(" +");
        if (words.length < 1 || words.length > 2 || words[0].isEmpty()
                || !words[0].chars().allMatch(c -> c >= '0' && c <= '9')
                || (words.length == 2 && !Ascii.equalsIgnoreCase(words[1], "LAST"))) {
            return -1;
        }
        String digits = words[0].replaceFirst("^0+(?=.)", "");
        return digits.length() > 18 ? Long.MAX_VALUE : Long.parseLong(digits);
    }

    /**
     * Begins a chunk of {@code size} octets: {@code kept} ones go to the content sink, others are
     * dropped; {@code refusal}, if not null, is the answer once it has been read.
     */
    public void begin(long size, boolean kept, boolean last, Reply refusal) {
        this.remaining = size;
        this.kept = kept;
        this.last = last;
        this.refusal = refusal;
    }

    /** True from {@link #begin} until {@link #end}, octets still to come or not. */
    public boolean isOpen() {
        return remaining >= 0;
    }

    /** True while octets of the chunk are still to come. */
    public boolean expectsOctets() {
        return remaining > 0;
    }

    /** True when every octet has been read and the chunk waits for its answer. */
    public boolean isComplete() {
        return remaining == 0;
    }

    /**
     * Consumes the chunk's octets from {@code in}; kept ones are handed to {@code out} as a view
     * of {@code in} (no copy). Returns how many octets were kept.
     */
    public int read(ByteBuffer in, SessionOutput out) {
        int n = (int) Math.min(in.remaining(), remaining);
        if (kept && n > 0) {
            ByteBuffer view = in.duplicate();
            view.limit(view.position() + n);
            out.content(view);
        }
        in.position(in.position() + n);
        remaining -= n;
        return kept ? n : 0;
    }

    /** Forgets the chunk, after it was answered. */
    public void end() {
        remaining = -1;
    }

    /** Whether the chunk's octets are content. */
    public boolean kept() {
        return kept;
    }

    /** Whether the chunk was announced {@code LAST}. */
    public boolean last() {
        return last;
    }

    /** The answer decided when the chunk was announced, or {@code null}. */
    public Reply refusal() {
        return refusal;
    }
}
