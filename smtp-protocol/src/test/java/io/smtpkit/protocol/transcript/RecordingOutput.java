package io.smtpkit.protocol.transcript;

import io.smtpkit.protocol.Decision;
import io.smtpkit.protocol.SessionOutput;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The one test {@link SessionOutput}: records what a session produced and fails with
 * {@link AssertionError} as soon as the session breaks a rule a transport relies on (output after
 * close, closing twice, a moved or empty content buffer, reply bytes that do not end in CRLF).
 *
 * <p>It keeps the replies twice: as raw text ({@link #replies()}), and cut into transcript events
 * ({@link #events()}, together with STARTTLS and close), so that unit tests, property tests and the
 * transcript replayer share it. Content is kept until {@link SessionOutput#discardContent()} or
 * {@link #takeContent()}. Lives in the test-jar, so a server test may use it too.
 */
public final class RecordingOutput implements SessionOutput {

    private final List<String> events = new ArrayList<>();
    private final StringBuilder replies = new StringBuilder();
    private final ByteArrayOutputStream partialReply = new ByteArrayOutputStream();
    private final ByteArrayOutputStream content = new ByteArrayOutputStream();
    private final List<Decision> decisions = new ArrayList<>();
    private boolean tlsRequested;
    private boolean closed;
    private int discards;
    private int closes;

    @Override
    public void send(byte[] reply) {
        if (closed) {
            throw new AssertionError("reply after close: " + Transcript.escape(reply));
        }
        if (reply.length < 2 || reply[reply.length - 2] != '\r' || reply[reply.length - 1] != '\n') {
            throw new AssertionError("a reply ends in CRLF: " + Transcript.escape(reply));
        }
        replies.append(new String(reply, StandardCharsets.UTF_8));
        int start = 0;
        for (int i = 0; i + 1 < reply.length; i++) {
            if (reply[i] == '\r' && reply[i + 1] == '\n') {
                partialReply.write(reply, start, i - start);
                events.add(Transcript.replyEvent(partialReply.toByteArray()));
                partialReply.reset();
                start = i + 2;
                i++;
            }
        }
        partialReply.write(reply, start, reply.length - start);
    }

    /**
     * Records a decision the driver found in {@link io.smtpkit.protocol.SmtpSession#awaiting()}
     * (the session does not push decisions: the transport pulls them).
     */
    public void decided(Decision decision) {
        if (closed) {
            throw new AssertionError("decision after close: " + decision);
        }
        decisions.add(decision);
    }

    @Override
    public void content(ByteBuffer chunk) {
        if (closed) {
            throw new AssertionError("content after close");
        }
        if (!chunk.hasRemaining()) {
            throw new AssertionError("an empty content chunk");
        }
        int before = chunk.position();
        byte[] bytes = new byte[chunk.remaining()];
        chunk.duplicate().get(bytes);
        content.writeBytes(bytes);
        if (chunk.position() != before) {
            throw new AssertionError("content buffer moved");
        }
    }

    @Override
    public void discardContent() {
        discards++;
        content.reset();
    }

    @Override
    public void startTls() {
        tlsRequested = true;
        events.add(Transcript.STARTTLS_EVENT);
    }

    @Override
    public void close() {
        if (closed) {
            throw new AssertionError("closed twice");
        }
        closed = true;
        closes++;
        events.add(Transcript.CLOSE_EVENT);
    }

    /** Replies, STARTTLS and close as transcript events, in order; a test may add its own (messages). */
    public List<String> events() {
        return events;
    }

    /** Every reply sent, as text with its CRLFs. */
    public String replies() {
        return replies.toString();
    }

    /** Forgets the reply text (not the events). */
    public void clearReplies() {
        replies.setLength(0);
    }

    /** The last reply line sent, without CRLF. */
    public String lastReply() {
        String[] lines = replies.toString().split("\r\n");
        return lines[lines.length - 1];
    }

    /** Every decision {@linkplain #decided recorded}, in order. */
    public List<Decision> decisions() {
        return decisions;
    }

    /** The last decision asked. */
    public Decision lastDecision() {
        return decisions.get(decisions.size() - 1);
    }

    /** The content handed out and not discarded since the last {@link #takeContent()}. */
    public byte[] content() {
        return content.toByteArray();
    }

    /** {@link #content()} as ASCII text. */
    public String contentText() {
        return content.toString(StandardCharsets.US_ASCII);
    }

    /** {@link #content()}, then forgets it: the content of one message. */
    public byte[] takeContent() {
        byte[] bytes = content.toByteArray();
        content.reset();
        return bytes;
    }

    /** Whether STARTTLS was accepted since the last call; the call forgets it. */
    public boolean takeTlsRequest() {
        boolean requested = tlsRequested;
        tlsRequested = false;
        return requested;
    }

    /** Whether STARTTLS was accepted and not yet {@linkplain #takeTlsRequest() taken}. */
    public boolean tlsRequested() {
        return tlsRequested;
    }

    /** How often {@link SessionOutput#discardContent()} was called. */
    public int discards() {
        return discards;
    }

    /** How often {@link SessionOutput#close()} was called (more than once fails at once). */
    public int closes() {
        return closes;
    }

    /** Fails if the session left reply bytes without their CRLF. */
    public void assertNoPartialReply() {
        if (partialReply.size() > 0) {
            throw new AssertionError("reply bytes without CRLF: " + Transcript.escape(partialReply.toByteArray()));
        }
    }
}
