package io.smtpkit.protocol.internal;

import io.smtpkit.protocol.BareLineEndings;
import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.protocol.SessionOutput;
import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * The content of the message being received, through DATA (RFC 5321 §4.1.1.4) or BDAT chunks
 * (RFC 3030 §2): hands it to the {@link SessionOutput} while it stays within the size limit
 * (RFC 1870 §6.3) and says how it ended. The session turns each {@link End} into its answer.
 *
 * <p>Content is "open" while some of it has been handed out that may still become a message, so
 * the owner is told to discard it ({@link SessionOutput#discardContent()}) if it does not.
 */
public final class MessageContent {

    /** How content, or one BDAT chunk of it, ended. */
    public enum End {
        /** All content is in and within the rules: the owner decides on the message. */
        COMPLETE,
        /** The message grew past the size limit; nothing past it was handed on. */
        TOO_BIG,
        /** DATA with a bare CR or LF while {@link BareLineEndings#REJECT}; the content is discarded. */
        BAD_LINE_ENDINGS,
        /** A chunk that is not the last was kept: {@link Replies#chunkReceived} is the answer. */
        CHUNK,
        /** A BDAT out of sequence was read through: {@link #chunkRefusal()} is the answer. */
        REFUSED,
        /** A BDAT while CHUNKING is off was read through; it was answered (502) when it came. */
        SKIPPED
    }

    private final SessionOutput out;
    private final long maxSize;
    private final boolean rejectBareLineEndings;
    private final DataDecoder decoder;
    private final ChunkReader chunk = new ChunkReader();
    private final Consumer<ByteBuffer> dataSink = this::data;

    private boolean open;
    private long size;
    private boolean tooBig;
    private boolean endedMessage;

    public MessageContent(SessionConfig config, SessionOutput out) {
        this.out = out;
        this.maxSize = config.maxMessageSize();
        this.rejectBareLineEndings = config.bareLineEndings() == BareLineEndings.REJECT;
        this.decoder = new DataDecoder(!rejectBareLineEndings);
    }

    /** The first DATA or BDAT of a transaction: content starts, and may become a message. */
    public void open() {
        size = 0;
        tooBig = false;
        open = true;
    }

    /** The content octets handed on so far. */
    public long size() {
        return size;
    }

    // ------------------------------------------------------------------------------------------
    // DATA

    /** DATA was answered 354: what follows is dot-stuffed content up to CRLF.CRLF. */
    public void startData() {
        decoder.reset();
    }

    /** Reads DATA content from {@code in}; {@code null} until the end-of-data line, then how it ended. */
    public End readData(ByteBuffer in) {
        if (!decoder.decode(in, dataSink)) {
            return null;
        }
        endedMessage = true;
        if (tooBig) {
            return End.TOO_BIG;
        }
        if (decoder.sawBareLineEnding() && rejectBareLineEndings) {
            discard();
            return End.BAD_LINE_ENDINGS;
        }
        open = false;
        return End.COMPLETE;
    }

    /** Counts content and hands it on while it is within the size limit (RFC 1870 §6.3). */
    private void data(ByteBuffer view) {
        int n = view.remaining();
        if (tooBig) {
            return;
        }
        if (maxSize > 0 && size + n > maxSize) {
            // Nothing past the limit is kept; the rest of the message is read and thrown away.
            tooBig = true;
            discard();
            return;
        }
        size += n;
        out.content(view);
    }

    // ------------------------------------------------------------------------------------------
    // BDAT: the size of a chunk is known up front, so even a refused chunk is read and dropped.

    /** A BDAT in sequence; its octets are kept if the message stays within the limit. {@code null} while they are to come. */
    public End beginChunk(long chunkSize, boolean last) {
        boolean kept = !tooBig;
        if (maxSize > 0 && chunkSize > maxSize - size) { // size <= maxSize: no overflow
            kept = false;
            tooBig = true;
            discard();
        }
        chunk.begin(chunkSize, kept, last, null);
        return chunkEnd();
    }

    /** A BDAT out of sequence: its octets are read and dropped, then {@code refusal} is the answer. */
    public End refuseChunk(long chunkSize, Reply refusal) {
        chunk.begin(chunkSize, false, false, refusal);
        return chunkEnd();
    }

    /** A BDAT while CHUNKING is off, already answered 502: its octets, if any, are read and dropped. */
    public void skipChunk(long chunkSize) {
        if (chunkSize > 0) {
            chunk.begin(chunkSize, false, false, null);
        }
    }

    /** True while a BDAT chunk is being read or waits for its answer. */
    public boolean inChunk() {
        return chunk.isOpen();
    }

    /** True while octets of a BDAT chunk are still to come. */
    public boolean expectsChunkOctets() {
        return chunk.expectsOctets();
    }

    /** Reads chunk octets from {@code in}; {@code null} until the chunk's last octet, then how it ended. */
    public End readChunk(ByteBuffer in) {
        size += chunk.read(in, out);
        return chunkEnd();
    }

    /**
     * Whether what last ended was the message's end (DATA's final dot, or a LAST chunk in
     * sequence) rather than one chunk of it: under LMTP only that is answered per recipient
     * (RFC 2033 §4.2).
     */
    public boolean endedMessage() {
        return endedMessage;
    }

    /** The answer to a chunk that ended {@link End#REFUSED}. */
    public Reply chunkRefusal() {
        return chunk.refusal();
    }

    private End chunkEnd() {
        if (!chunk.isComplete()) {
            return null;
        }
        chunk.end();
        endedMessage = chunk.last() && chunk.refusal() == null;
        if (chunk.refusal() != null) {
            return End.REFUSED;
        } else if (!chunk.kept()) {
            return tooBig ? End.TOO_BIG : End.SKIPPED;
        } else if (chunk.last()) {
            open = false;
            return End.COMPLETE;
        }
        return End.CHUNK;
    }

    // ------------------------------------------------------------------------------------------

    /** Content handed out so far will not become a message: the owner is told to drop it. */
    public void discard() {
        if (open) {
            open = false;
            out.discardContent();
        }
    }

    /** The transaction ended: content so far is dropped and the size limit starts afresh. */
    public void reset() {
        discard();
        size = 0;
        tooBig = false;
    }
}
