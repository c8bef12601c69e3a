package io.smtpkit.server.handlers;

import com.google.auto.service.AutoService;
import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.MailPath;
import io.smtpkit.protocol.Reply;
import io.smtpkit.server.HandlerOptions;
import io.smtpkit.server.HandlerProvider;
import io.smtpkit.server.Message;
import io.smtpkit.server.SessionContext;
import io.smtpkit.server.SmtpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Prints each message to a stream, as Python smtpd's {@code DebuggingServer} does: between
 * {@value #BEGIN} and {@value #END} lines, with the envelope first and an {@code X-Peer:} line
 * added at the end of the header section.
 *
 * <p>Content is written as bytes, not decoded, so UTF-8 text appears as sent, and CRLF as a
 * newline. What could drive the terminal reading the output is shown instead as {@code \xNN}, one
 * escape per byte, so a message cannot send escape sequences to it: C0 controls other than tab,
 * DEL, the C1 controls U+0080-U+009F whether UTF-8 encoded or raw (a lone byte 0x9B is CSI to an
 * 8-bit terminal), U+2028 and U+2029, and every byte that is not part of well-formed UTF-8
 * (RFC 3629 §4). The envelope lines are escaped the same way.
 *
 * <p>The message is streamed: read, escaped and written in pieces of {@value #CHUNK} octets, so
 * the handler needs the same memory for a message of any size. Messages from concurrent sessions
 * never interleave: a printout holds the stream's lock from its first line to its last.
 */
public final class DebugHandler implements SmtpHandler {

    /** The line before each message, as smtpd prints it. */
    public static final String BEGIN = "---------- MESSAGE FOLLOWS ----------";
    /** The line after each message, as smtpd prints it. */
    public static final String END = "------------ END MESSAGE ------------";
    /** The line that ends a printout cut short because the message could not be read to its end. */
    static final String TRUNCATED = "[the rest of the message could not be read]";
    /** Content is read, and the printout written, in pieces of this many octets. */
    static final int CHUNK = 8192;

    private final PrintStream out;

    /** Prints to standard output. */
    public DebugHandler() {
        this(System.out);
    }

    /** Prints to {@code out}. */
    public DebugHandler(PrintStream out) {
        this.out = Objects.requireNonNull(out, "out");
    }

    @Override
    public Reply onMessage(SessionContext session, Envelope envelope, Message message) throws IOException {
        String peer = session.remoteAddress() == null ? "unknown" : session.remoteAddress().getAddress().getHostAddress();
        // Written as it is read: a printout built in memory first took four bytes for each
        // control byte of the content, and one legal 32 MiB message could exhaust the heap.
        synchronized (out) {
            Printout printout = new Printout(out);
            printout.line(BEGIN);
            printout.line("mail from: " + envelope.reversePath());
            for (MailPath recipient : envelope.recipients()) {
                printout.line("rcpt to: " + recipient);
            }
            printout.options("mail options: ", envelope.mailOptions());
            printout.options("rcpt options: ", envelope.rcptOptions());
            boolean complete = false;
            try (InputStream in = message.openStream()) {
                printout.content(in, "X-Peer: " + peer);
                complete = true;
            } finally {
                // Also when reading fails part way: what was printed says it is not all, and the
                // markers stay paired for whoever reads the output.
                printout.end(complete);
            }
        }
        return null;
    }

    /**
     * One message's printout: escapes as described on {@link DebugHandler} and writes through a
     * fixed buffer. Content arrives in pieces, so the state of the line (for the {@code X-Peer:}
     * line) and of a UTF-8 sequence cut by a piece's end carries over from one to the next.
     */
    private static final class Printout {
        private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

        private final PrintStream out;
        private final byte[] buffer = new byte[CHUNK];
        private int buffered;

        private String peerLine;
        private boolean inHeaders = true;
        private boolean lineStart = true;
        private boolean lineEmpty = true;

        // A UTF-8 sequence being read (RFC 3629 §4): its bytes so far, how many it has in all,
        // and the range the next byte must be in (narrower after E0, ED, F0 and F4).
        private final int[] sequence = new int[4];
        private int sequenceLength;
        private int sequenceSize;
        private int low;
        private int high;

        Printout(PrintStream out) {
            this.out = out;
        }

        /** A line of the printout's own, such as the envelope: its controls escaped too. */
        void line(String text) {
            for (int i = 0; i < text.length(); ) {
                int c = text.codePointAt(i);
                i += Character.charCount(c);
                boolean control = (c < 0x20 && c != '\t') || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029;
                for (byte b : Character.toString(c).getBytes(StandardCharsets.UTF_8)) {
                    if (control) {
                        escape(b & 0xff);
                    } else {
                        put(b & 0xff);
                    }
                }
            }
            put('\n');
        }

        void options(String label, List<String> options) {
            if (!options.isEmpty()) {
                line(label + String.join(" ", options));
            }
        }

        /**
         * Copies the content line by line, ending each line with LF, and puts {@code peerLine}
         * where the header section ends (before the first empty line, or at the end if there is
         * none).
         */
        void content(InputStream in, String peerLine) throws IOException {
            this.peerLine = peerLine;
            byte[] piece = new byte[CHUNK];
            int n;
            while ((n = in.read(piece)) != -1) {
                for (int i = 0; i < n; i++) {
                    contentByte(piece[i] & 0xff);
                }
            }
            if (sequenceSize > 0) {
                escapeSequence(); // the content ended inside a sequence
            }
            if (!lineStart) {
                put('\n');
            }
            if (inHeaders) {
                line(peerLine);
            }
        }

        private void contentByte(int b) {
            if (sequenceSize > 0) {
                if (b >= low && b <= high) {
                    sequence[sequenceLength++] = b;
                    low = 0x80;
                    high = 0xbf;
                    if (sequenceLength == sequenceSize) {
                        endSequence();
                    }
                    return;
                }
                // Cut short, so not UTF-8: its bytes are escaped and this one starts afresh.
                escapeSequence();
            }
            if (b == '\r') {
                return; // CRLF is printed as a plain newline; a lone CR is dropped
            }
            if (b == '\n') {
                if (inHeaders && lineEmpty) {
                    line(peerLine);
                    inHeaders = false;
                }
                put('\n');
                lineStart = true;
                lineEmpty = true;
                return;
            }
            lineStart = false;
            lineEmpty = false;
            if (b < 0x80) {
                if ((b < 0x20 && b != '\t') || b == 0x7f) {
                    escape(b);
                } else {
                    put(b);
                }
                return;
            }
            // RFC 3629 §4: the lead byte fixes the length and the range of the second byte,
            // which keeps out overlong forms (E0, F0), surrogates (ED) and code points past
            // U+10FFFF (F4). C0, C1 and F5-FF never start a sequence; nor does a lone 80-BF.
            low = 0x80;
            high = 0xbf;
            if (b >= 0xc2 && b <= 0xdf) {
                sequenceSize = 2;
            } else if (b >= 0xe0 && b <= 0xef) {
                sequenceSize = 3;
                low = b == 0xe0 ? 0xa0 : 0x80;
                high = b == 0xed ? 0x9f : 0xbf;
            } else if (b >= 0xf0 && b <= 0xf4) {
                sequenceSize = 4;
                low = b == 0xf0 ? 0x90 : 0x80;
                high = b == 0xf4 ? 0x8f : 0xbf;
            } else {
                escape(b);
                return;
            }
            sequence[0] = b;
            sequenceLength = 1;
        }

        /** A whole sequence: printed as it came unless it encodes a C1 control, U+2028 or U+2029. */
        private void endSequence() {
            boolean control = (sequence[0] == 0xc2 && sequence[1] <= 0x9f)
                    || (sequence[0] == 0xe2 && sequence[1] == 0x80 && (sequence[2] == 0xa8 || sequence[2] == 0xa9));
            for (int i = 0; i < sequenceLength; i++) {
                if (control) {
                    escape(sequence[i]);
                } else {
                    put(sequence[i]);
                }
            }
            sequenceLength = 0;
            sequenceSize = 0;
        }

        private void escapeSequence() {
            for (int i = 0; i < sequenceLength; i++) {
                escape(sequence[i]);
            }
            sequenceLength = 0;
            sequenceSize = 0;
        }

        /** Writes the {@link #END} line, after {@link #TRUNCATED} unless the content was all printed. */
        void end(boolean complete) {
            if (!complete) {
                if (sequenceSize > 0) {
                    escapeSequence();
                }
                if (!lineStart) {
                    put('\n');
                }
                line(TRUNCATED);
            }
            line(END);
            flush();
        }

        private void escape(int b) {
            put('\\');
            put('x');
            put(HEX[b >> 4]);
            put(HEX[b & 0xf]);
        }

        private void put(int b) {
            if (buffered == buffer.length) {
                out.write(buffer, 0, buffered);
                buffered = 0;
            }
            buffer[buffered++] = (byte) b;
        }

        private void flush() {
            out.write(buffer, 0, buffered);
            buffered = 0;
            out.flush();
        }
    }

    /** Registers {@code debug}, also known by smtpd's name {@code DebuggingServer}. */
    @AutoService(HandlerProvider.class)
    public static final class Provider implements HandlerProvider {
        @Override
        public String name() {
            return "debug";
        }

        @Override
        public List<String> aliases() {
            return List.of("DebuggingServer");
        }

        @Override
        public String description() {
            return "prints each message with its envelope to standard output (smtpd's DebuggingServer)";
        }

        @Override
        public SmtpHandler create(Map<String, String> options) {
            HandlerOptions.of(name(), options, options().keySet());
            return new DebugHandler();
        }
    }
}
