package io.smtpkit.server.handlers;

import com.google.auto.service.AutoService;
import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.Path;
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
 * <p>Content is written as bytes, not decoded, so 8-bit text appears as sent. Control
 * characters other than tab are shown as {@code \xNN}, so a message cannot send escape
 * sequences to the terminal reading the output.
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
            for (Path recipient : envelope.recipients()) {
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
     * line) carries over from one to the next.
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

        Printout(PrintStream out) {
            this.out = out;
        }

        /** A line of the printout's own, such as the envelope. */
        void line(String text) {
            for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
                put(b & 0xff);
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
            if (!lineStart) {
                put('\n');
            }
            if (inHeaders) {
                line(peerLine);
            }
        }

        private void contentByte(int b) {
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
            if ((b < 0x20 && b != '\t') || b == 0x7f) {
                escape(b);
            } else {
                put(b);
            }
        }

        /** Writes the {@link #END} line, after {@link #TRUNCATED} unless the content was all printed. */
        void end(boolean complete) {
            if (!complete) {
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
