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
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
 * sequences to the terminal reading the output. Messages from concurrent sessions never
 * interleave.
 */
public final class DebugHandler implements SmtpHandler {

    /** The line before each message, as smtpd prints it. */
    public static final String BEGIN = "---------- MESSAGE FOLLOWS ----------";
    /** The line after each message, as smtpd prints it. */
    public static final String END = "------------ END MESSAGE ------------";

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
        // Built apart and written in one go, so concurrent sessions never interleave.
        ByteArrayOutputStream text = new ByteArrayOutputStream((int) Math.min(message.size() + 512, 1 << 20));
        line(text, BEGIN);
        line(text, "mail from: " + envelope.reversePath());
        for (Path recipient : envelope.recipients()) {
            line(text, "rcpt to: " + recipient);
        }
        options(text, "mail options: ", envelope.mailOptions());
        options(text, "rcpt options: ", envelope.rcptOptions());
        String peer = session.remoteAddress() == null ? "unknown" : session.remoteAddress().getAddress().getHostAddress();
        try (InputStream in = new BufferedInputStream(message.openStream())) {
            printContent(in, text, "X-Peer: " + peer);
        }
        line(text, END);
        synchronized (out) {
            text.writeTo(out);
            out.flush();
        }
        return null;
    }

    private static void options(ByteArrayOutputStream text, String label, List<String> options) throws IOException {
        if (!options.isEmpty()) {
            line(text, label + String.join(" ", options));
        }
    }

    /**
     * Copies the content line by line, ending each line with LF, and puts {@code peerLine} where
     * the header section ends (before the first empty line, or at the end if there is none).
     */
    private static void printContent(InputStream in, OutputStream text, String peerLine) throws IOException {
        boolean inHeaders = true;
        boolean lineStart = true;
        boolean lineEmpty = true;
        int b;
        while ((b = in.read()) != -1) {
            if (b == '\r') {
                continue; // CRLF is printed as a plain newline; a lone CR is dropped
            }
            if (b == '\n') {
                if (inHeaders && lineEmpty) {
                    line(text, peerLine);
                    inHeaders = false;
                }
                text.write('\n');
                lineStart = true;
                lineEmpty = true;
                continue;
            }
            lineStart = false;
            lineEmpty = false;
            if ((b < 0x20 && b != '\t') || b == 0x7f) {
                text.write(String.format("\\x%02x", b).getBytes(StandardCharsets.US_ASCII));
            } else {
                text.write(b);
            }
        }
        if (!lineStart) {
            text.write('\n');
        }
        if (inHeaders) {
            line(text, peerLine);
        }
    }

    private static void line(OutputStream text, String line) throws IOException {
        text.write(line.getBytes(StandardCharsets.UTF_8));
        text.write('\n');
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
