package io.smtpkit.protocol;

import static io.smtpkit.protocol.FuzzSupport.check;

import io.smtpkit.protocol.internal.Ascii;
import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.smtpkit.protocol.internal.DotStuffingReference;
import io.smtpkit.protocol.internal.LineReader;
import io.smtpkit.protocol.transcript.Transcript;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Field;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The whole server session fed arbitrary bytes (issue 14): any {@link SessionConfig} the
 * fuzzer picks, any handler answers, STARTTLS handshakes that succeed or fail, AUTH exchanges,
 * the input cut anywhere (see {@link SessionFuzzInput} for the layout). Each input is run twice:
 *
 * <ol>
 *   <li>line by line: every read the network delivered is cut once more after each LF (and at
 *       the end of a BDAT chunk), so each {@code receive} call handles at most one line and the
 *       oracles below can be checked per line;
 *   <li>raw: the reads as the network delivered them, several commands per {@code receive} call,
 *       in heap, direct, read-only or sliced buffers.
 * </ol>
 *
 * Both runs must produce exactly the same events (replies, decisions, content, STARTTLS, close)
 * and pause for the same decisions at the same input offsets: the session may not depend on how
 * its input is cut, and the raw run may not read past a decision it awaits. The oracles:
 *
 * <ul>
 *   <li>every command line, SASL response and DATA terminator gets exactly one reply
 *       (RFC 5321 §4.2, RFC 2920 §3.1), a BDAT chunk its one reply when its last octet arrives
 *       (RFC 3030 §2), and nothing else gets a reply; under LMTP the end of a message (the DATA
 *       terminator, an accepted BDAT LAST) gets one reply per accepted recipient (RFC 2033 §4.2);
 *   <li>every reply line is at most 512 octets with its CRLF (RFC 5321 §4.5.3.1.5) and has no bare
 *       CR or LF; a multi-line reply keeps its code;
 *   <li>{@code receive} consumes nothing while a decision is awaited, and stops right after the
 *       line or terminator that raised it; otherwise it consumes all it is given;
 *   <li>DATA content equals the {@link DotStuffingReference} decoding of the bytes between the
 *       354 and the terminator, which is where the reference says; BDAT content is the chunk's
 *       bytes; {@link Decision.Message#size()} is what was handed out;
 *   <li>memory stays bounded: the line buffer within {@link SessionConfig#maxLineBuffer()}, the
 *       content held by the owner within {@link SessionConfig#maxMessageSize()}, the recipients
 *       within {@link SessionConfig#maxRecipients()};
 *   <li>no output after close, never closed twice, no exception.
 * </ul>
 */
class SessionFuzzTest {

    private static final String DISCARD = "X: discard";

    @FuzzTest(maxDuration = "60s")
    @DictionaryFile(resourcePath = "/io/smtpkit/protocol/smtp.dict")
    void session(byte[] data) {
        SessionFuzzInput input = SessionFuzzInput.parse(data);
        Run lineByLine = new Run(input, true);
        lineByLine.run();
        Run raw = new Run(input, false);
        raw.run();
        List<String> expected = comparable(lineByLine.out.events);
        List<String> actual = comparable(raw.out.events);
        if (!expected.equals(actual)) {
            throw new AssertionError("the session behaves differently when its input is cut differently ("
                    + input.split() + ")\n" + firstDifference(expected, actual));
        }
        if (!lineByLine.decisionOffsets.equals(raw.decisionOffsets)) {
            throw new AssertionError("decisions were raised at different input offsets: line by line "
                    + lineByLine.decisionOffsets + ", raw " + raw.decisionOffsets);
        }
    }

    /**
     * The events without content that was discarded right after it was handed out: how much of
     * a too-big DATA message is handed out before the session gives up on it depends on how the
     * input was cut (RFC 1870 §6.3 only asks that it be refused, and it is discarded either way).
     */
    private static List<String> comparable(List<String> events) {
        List<String> kept = new ArrayList<>(events.size());
        for (int i = 0; i < events.size(); i++) {
            String e = events.get(i);
            if (e.startsWith("M: ") && i + 1 < events.size() && events.get(i + 1).equals(DISCARD)) {
                continue;
            }
            kept.add(e);
        }
        return kept;
    }

    private static String firstDifference(List<String> a, List<String> b) {
        int i = 0;
        while (i < a.size() && i < b.size() && a.get(i).equals(b.get(i))) {
            i++;
        }
        List<String> context = a.subList(Math.max(0, i - 8), i).stream().map(SessionFuzzTest::shown).toList();
        return "same until event " + i + ":\n" + String.join("\n", context)
                + "\nline by line: " + (i < a.size() ? shown(a.get(i)) : "(end)")
                + "\nraw:          " + (i < b.size() ? shown(b.get(i)) : "(end)");
    }

    /** An event as the transcripts write bytes (events hold their bytes as ISO-8859-1 text). */
    private static String shown(String event) {
        return Transcript.escape(event.getBytes(StandardCharsets.ISO_8859_1));
    }

    // ------------------------------------------------------------------------------------------

    /** One run of the session over the input, with the transport's and the oracles' bookkeeping. */
    static final class Run {
        private static final Field LINES = field("lines");

        private enum Mode { LINES, DATA, CHUNK }

        final SessionFuzzInput input;
        final boolean lineByLine;
        final SessionConfig config;
        final Recorder out;
        final SmtpSession session;
        final List<Long> decisionOffsets = new ArrayList<>();
        private int decisions;
        private int handshakes;
        private long offset; // of the current read in the client's bytes

        // The line-by-line run's model of what the session is reading.
        private Mode mode = Mode.LINES;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();
        private byte[] data = new byte[256]; // the DATA section so far
        private int dataLength;
        private long chunkLeft;
        private boolean chunkAnswered; // BDAT while CHUNKING is off: 502 at once, the chunk read silently
        private boolean chunkEndsMessage; // a BDAT LAST in sequence: under LMTP answered per recipient
        private int recipients; // accepted in the open transaction, before the current call
        private SessionState stateBefore; // before the current call

        Run(SessionFuzzInput input, boolean lineByLine) {
            this.input = input;
            this.lineByLine = lineByLine;
            this.config = input.config();
            this.out = new Recorder(config);
            this.session = new SmtpSession(config, out);
        }

        void run() {
            if (input.startSecure()) {
                session.startSecure();
            } else {
                session.start();
            }
            int before = out.finalLines;
            check(session.awaiting() instanceof Decision.Connect, "start() asks Decision.Connect");
            answer();
            check(out.finalLines - before == 1, "the greeting is one reply");
            for (byte[] chunk : input.chunks()) {
                if (session.isClosed()) {
                    break; // the transport reads no more
                }
                if (lineByLine) {
                    feedLineByLine(chunk);
                } else {
                    feedRaw(chunk);
                }
                offset += chunk.length;
            }
            boolean wasOpen = !session.isClosed();
            before = out.finalLines;
            if (input.endWithTimeout()) {
                session.timeout();
                check(out.finalLines - before == (wasOpen ? 1 : 0), "a timeout is answered once, and only while open");
            } else {
                session.connectionLost();
                check(out.finalLines == before, "no reply to a lost connection");
            }
            check(session.isClosed(), "closed at the end");
            check(!wasOpen || out.closed || !input.endWithTimeout(), "timeout closes");
            out.finish();
        }

        private void feedRaw(byte[] chunk) {
            ByteBuffer in = FuzzSupport.buffer(chunk, input.rawBufferKind());
            while (true) {
                session.receive(in);
                bounds();
                if (session.awaiting() != null) {
                    nothingWhileAwaiting(in);
                    decisionOffsets.add(offset + in.position());
                    answer();
                    continue;
                }
                if (session.state() == SessionState.TLS) {
                    handshake(); // what was left of the read came in plaintext: dropped
                    return;
                }
                if (!session.isClosed() && in.hasRemaining()) {
                    // receive() returns where message content ends, so that a transport can slice
                    // the commands after it; then the rest are commands, and go in again.
                    check(!session.isReceivingContent(), () -> "receive() returned with " + in.remaining()
                            + " bytes left while not paused, closed, in TLS or at the end of content");
                    int before = in.position();
                    session.receive(in);
                    bounds();
                    check(in.position() > before || session.awaiting() != null || session.isClosed()
                            || session.state() == SessionState.TLS, "receive() made no progress on commands");
                    continue;
                }
                return;
            }
        }

        private void feedLineByLine(byte[] chunk) {
            int pos = 0;
            while (pos < chunk.length && !session.isClosed()) {
                int end = boundary(chunk, pos);
                ByteBuffer in = FuzzSupport.buffer(Arrays.copyOfRange(chunk, pos, end), (input.rawBufferKind() + 1) % 4);
                int replies = out.finalLines;
                recipients = session.recipients().size();
                stateBefore = session.state();
                out.startCall();
                session.receive(in);
                bounds();
                int consumed = in.position();
                int given = end - pos;
                check(consumed == given, () -> "a receive() call given one line, one chunk or less consumed "
                        + consumed + " of its " + given + " bytes (state " + session.state() + ")");
                boolean decided = session.awaiting() != null;
                if (decided) {
                    nothingWhileAwaiting(FuzzSupport.buffer(Arrays.copyOfRange(chunk, end, chunk.length), 0));
                    decisionOffsets.add(offset + end);
                    answer();
                }
                byte[] taken = Arrays.copyOfRange(chunk, pos, end);
                pos = end;
                step(taken, out.finalLines - replies);
                if (session.state() == SessionState.TLS) {
                    handshake();
                    return; // the rest of this read came in plaintext: dropped
                }
            }
        }

        /** Where the line-by-line run cuts: after the next LF, or at the end of a BDAT chunk. */
        private int boundary(byte[] chunk, int pos) {
            if (mode == Mode.CHUNK) {
                return chunkLeft >= chunk.length - pos ? chunk.length : pos + (int) chunkLeft;
            }
            for (int i = pos; i < chunk.length; i++) {
                if (chunk[i] == '\n') {
                    return i + 1;
                }
            }
            return chunk.length;
        }

        /** The line-by-line oracles, after a call that consumed {@code taken} and sent {@code replies} replies. */
        private void step(byte[] taken, int replies) {
            switch (mode) {
                case LINES -> {
                    line.writeBytes(taken);
                    if (taken.length == 0 || taken[taken.length - 1] != '\n') {
                        check(replies == 0, () -> "a reply before the line ended: " + Transcript.escape(line.toByteArray()));
                        return;
                    }
                    byte[] text = line.toByteArray();
                    line.reset();
                    if (session.state() == SessionState.DATA) {
                        check(replies == 1 && out.lastCode == 354, () -> "DATA gets its 354 and nothing else: " + Transcript.escape(text));
                        mode = Mode.DATA;
                        dataLength = 0;
                        return;
                    }
                    long chunk = bdatChunk(text);
                    if (replies == 0 && !session.isClosed() && session.state() != SessionState.TLS) {
                        check(chunk > 0, () -> "a line got no reply: " + Transcript.escape(text) + " (state " + session.state() + ")");
                        mode = Mode.CHUNK;
                        chunkLeft = chunk;
                        chunkAnswered = false;
                        chunkEndsMessage = bdatLast(text)
                                && (stateBefore == SessionState.RCPT || stateBefore == SessionState.BDAT);
                        return;
                    }
                    // BDAT 0 LAST ends the message on its own line: under LMTP one reply per recipient.
                    int expectedReplies = config.lmtp() && chunk == 0 && out.messageThisCall != null ? recipients : 1;
                    check(replies == expectedReplies, () -> "a line got " + replies + " replies, not " + expectedReplies + ": "
                            + Transcript.escape(text) + "\n" + out.tail());
                    if (chunk > 0 && !config.chunking() && out.lastCode == 502 && !session.isClosed()) {
                        mode = Mode.CHUNK; // the announced chunk is read and dropped
                        chunkLeft = chunk;
                        chunkAnswered = true;
                    }
                }
                case DATA -> {
                    int before = dataLength;
                    if (dataLength + taken.length > data.length) {
                        data = Arrays.copyOf(data, Math.max(2 * data.length, dataLength + taken.length));
                    }
                    System.arraycopy(taken, 0, data, dataLength, taken.length);
                    dataLength += taken.length;
                    int end = DotStuffingReference.end(data, before, dataLength);
                    if (session.state() == SessionState.DATA) {
                        check(replies == 0, "a reply in the middle of DATA");
                        check(end < 0, () -> "the session read past the end of the data: "
                                + Transcript.escape(Arrays.copyOf(data, dataLength)));
                        return;
                    }
                    byte[] bytes = Arrays.copyOf(data, dataLength);
                    check(end >= 0 && end + 3 == bytes.length,
                            () -> "the data ended elsewhere than the reference says: " + Transcript.escape(bytes));
                    int expectedReplies = config.lmtp() ? recipients : 1;
                    check(replies == expectedReplies, () -> "the end of the data got " + replies + " replies, not "
                            + expectedReplies);
                    DotStuffingReference.Expected expected =
                            DotStuffingReference.reference(bytes, config.bareLineEndings() == BareLineEndings.NORMALIZE);
                    long max = config.maxMessageSize();
                    boolean tooBig = max > 0 && expected.content().length > max;
                    boolean badEndings = !tooBig && expected.bare() && config.bareLineEndings() == BareLineEndings.REJECT;
                    if (tooBig || badEndings) {
                        check(out.messageThisCall == null, "a message past a limit was offered to the handler");
                        check(out.lastCode == (tooBig ? 552 : 550), () -> "refused data gets " + (tooBig ? 552 : 550));
                    } else {
                        check(out.messageThisCall != null, "a complete message was not offered to the handler");
                        check(Arrays.equals(expected.content(), out.messageThisCall),
                                () -> "the content differs from the reference decoding:\nexpected " + Transcript.escape(expected.content())
                                        + "\nhanded out " + Transcript.escape(out.messageThisCall));
                    }
                    mode = Mode.LINES;
                }
                case CHUNK -> {
                    chunkLeft -= taken.length;
                    byte[] handedOut = out.contentThisCall.toByteArray();
                    check(handedOut.length == 0 || (!chunkAnswered && Arrays.equals(taken, handedOut)),
                            "a BDAT chunk's content is its bytes, or nothing when refused");
                    if (chunkLeft > 0) {
                        check(replies == 0, "a reply in the middle of a BDAT chunk");
                    } else {
                        int expectedReplies = chunkAnswered ? 0 : config.lmtp() && chunkEndsMessage ? recipients : 1;
                        check(replies == expectedReplies, () -> "the end of a BDAT chunk got " + replies + " replies, not "
                                + expectedReplies);
                        mode = Mode.LINES;
                    }
                }
            }
        }

        /** Whether a line that {@link #bdatChunk} reads as BDAT ends with LAST (RFC 3030 §2). */
        private static boolean bdatLast(byte[] raw) {
            return Ascii.upper(new String(raw, StandardCharsets.ISO_8859_1).strip()).endsWith(" LAST");
        }

        /**
         * The chunk size of a {@code BDAT size [LAST]} line (RFC 3030 §2) as the session reads its
         * text, or -1 if it is no such line: the model that tells which lines go unanswered until
         * their chunk has arrived.
         */
        private long bdatChunk(byte[] raw) {
            int length = raw.length - 1; // the LF
            if (length > 0 && raw[length - 1] == '\r') {
                length--;
            }
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(raw, 0, length)).toString();
            } catch (CharacterCodingException e) {
                return -1;
            }
            int space = text.indexOf(' ');
            if (space < 0 || !Ascii.upper(text.substring(0, space)).equals("BDAT")) {
                return -1;
            }
            String[] words = text.substring(space + 1).strip().split(" +");
            if (words.length < 1 || words.length > 2 || words[0].isEmpty() || !words[0].matches("[0-9]+")
                    || (words.length == 2 && !Ascii.equalsIgnoreCase(words[1], "LAST"))) {
                return -1;
            }
            return new BigInteger(words[0]).min(BigInteger.valueOf(Long.MAX_VALUE)).longValue();
        }

        private void nothingWhileAwaiting(ByteBuffer in) {
            int position = in.position();
            int events = out.events.size();
            session.receive(in);
            check(in.position() == position, "receive() consumed input while a decision was awaited");
            check(out.events.size() == events, "receive() produced output while a decision was awaited");
        }

        private void answer() {
            Decision decision;
            while ((decision = session.awaiting()) != null) {
                out.decided(decision);
                if (decision instanceof Decision.Message m && input.answersPerRecipient()) {
                    List<Reply> replies = new ArrayList<>();
                    for (int i = 0; i < m.envelope().recipients().size(); i++) {
                        replies.add(input.answer(decisions++, decision));
                    }
                    session.resumePerRecipient(replies);
                    continue;
                }
                session.resume(input.answer(decisions++, decision));
            }
        }

        private void handshake() {
            check(out.tlsRequested, "state TLS without SessionOutput.startTls()");
            out.tlsRequested = false;
            session.tlsStarted(input.handshakeSucceeds(handshakes++));
            line.reset();
            mode = Mode.LINES;
        }

        /** Memory stays bounded, whatever the input. */
        private void bounds() {
            LineReader reader;
            try {
                reader = (LineReader) LINES.get(session);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
            check(reader.bytes().length <= config.maxLineBuffer(),
                    () -> "the line buffer grew to " + reader.bytes().length + " > " + config.maxLineBuffer());
            check(config.maxRecipients() == 0 || session.recipients().size() <= config.maxRecipients(),
                    "more recipients than maxRecipients");
        }

        private static Field field(String name) {
            try {
                Field f = SmtpSession.class.getDeclaredField(name);
                f.setAccessible(true);
                return f;
            } catch (NoSuchFieldException e) {
                throw new IllegalStateException("SessionFuzzTest checks SmtpSession." + name
                        + " (its LineReader) for the buffer bound; update it if the field was renamed", e);
            }
        }
    }

    // ------------------------------------------------------------------------------------------

    /** Records what the session does as events and checks each output as it comes. */
    static final class Recorder implements SessionOutput {
        private static final Pattern REPLY_LINE = Pattern.compile("[2-5][0-9][0-9][ -][^\r\n]*");

        private final SessionConfig config;
        final List<String> events = new ArrayList<>();
        private final ByteArrayOutputStream content = new ByteArrayOutputStream(); // held by the owner
        private final ByteArrayOutputStream pendingContent = new ByteArrayOutputStream(); // not yet an event
        final ByteArrayOutputStream contentThisCall = new ByteArrayOutputStream();
        byte[] messageThisCall;
        int finalLines;
        int lastCode;
        boolean tlsRequested;
        boolean closed;
        private String continuedCode; // of an unfinished multi-line reply

        Recorder(SessionConfig config) {
            this.config = config;
        }

        void startCall() {
            contentThisCall.reset();
            messageThisCall = null;
        }

        private void event(String event) {
            if (pendingContent.size() > 0) {
                events.add("M: " + new String(pendingContent.toByteArray(), StandardCharsets.ISO_8859_1));
                pendingContent.reset();
            }
            events.add(event);
        }

        @Override
        public void send(byte[] reply) {
            check(!closed, () -> "reply after close: " + Transcript.escape(reply));
            check(reply.length >= 2 && reply[reply.length - 2] == '\r' && reply[reply.length - 1] == '\n',
                    () -> "a reply ends in CRLF: " + Transcript.escape(reply));
            int start = 0;
            for (int i = 0; i < reply.length; i++) {
                byte b = reply[i];
                if (b == '\r') {
                    check(i + 1 < reply.length && reply[i + 1] == '\n', () -> "a bare CR in a reply: " + Transcript.escape(reply));
                } else if (b == '\n') {
                    check(i > 0 && reply[i - 1] == '\r', () -> "a bare LF in a reply: " + Transcript.escape(reply));
                    replyLine(Arrays.copyOfRange(reply, start, i - 1));
                    start = i + 1;
                }
            }
        }

        private void replyLine(byte[] bytes) {
            // RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets, reply code and CRLF included.
            check(bytes.length + 2 <= 512, () -> "a reply line of " + (bytes.length + 2) + " octets: " + Transcript.escape(bytes));
            String line = new String(bytes, StandardCharsets.UTF_8);
            check(REPLY_LINE.matcher(line).matches(), () -> "a malformed reply line: " + Transcript.escape(bytes));
            String code = line.substring(0, 3);
            check(continuedCode == null || continuedCode.equals(code), () -> "a multi-line reply changed its code: " + line);
            // Echoed verbs are upper-cased, so mixed-case Java names come only from a stack trace.
            check(!line.contains("java.") && !line.contains("Exception"), () -> "a stack trace on the wire: " + line);
            continuedCode = line.charAt(3) == '-' ? code : null;
            if (continuedCode == null) {
                finalLines++;
                lastCode = Integer.parseInt(code);
            }
            event("S: " + new String(bytes, StandardCharsets.ISO_8859_1));
        }

        /** The driver found {@code decision} awaited (decisions are pulled, see SessionOutput). */
        void decided(Decision decision) {
            check(!closed, () -> "decision after close: " + decision);
            check(continuedCode == null, "a decision in the middle of a reply");
            if (decision instanceof Decision.Message message) {
                byte[] bytes = content.toByteArray();
                check(message.size() == bytes.length,
                        () -> "Decision.Message size " + message.size() + " but " + bytes.length + " octets were handed out");
                check(!message.envelope().recipients().isEmpty(), "a message without recipients");
                messageThisCall = bytes;
                content.reset();
            }
            event("D: " + decision);
        }

        @Override
        public void content(ByteBuffer chunk) {
            check(!closed, "content after close");
            check(chunk.hasRemaining(), "an empty content chunk");
            int position = chunk.position();
            byte[] bytes = new byte[chunk.remaining()];
            chunk.duplicate().get(bytes);
            check(chunk.position() == position, "content buffer moved");
            content.writeBytes(bytes);
            pendingContent.writeBytes(bytes);
            contentThisCall.writeBytes(bytes);
            long max = config.maxMessageSize();
            check(max == 0 || content.size() <= max, () -> "content handed out past maxMessageSize: " + content.size());
        }

        @Override
        public void discardContent() {
            check(!closed, "discardContent after close");
            content.reset();
            event(DISCARD);
        }

        @Override
        public void startTls() {
            check(!closed, "startTls after close");
            tlsRequested = true;
            event(Transcript.STARTTLS_EVENT);
        }

        @Override
        public void close() {
            check(!closed, "closed twice");
            closed = true;
            event(Transcript.CLOSE_EVENT);
        }

        void finish() {
            check(continuedCode == null, "the last reply is unfinished");
            event("(end)");
        }

        String tail() {
            return String.join("\n", events.subList(Math.max(0, events.size() - 6), events.size()));
        }
    }
}
