package com.example.smtpkit.headers;

import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.Reply;
import io.smtpkit.server.Message;
import io.smtpkit.server.SessionContext;
import io.smtpkit.server.SmtpHandler;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Prints the header section (RFC 5322 §2.2) of each message, between marker lines, and accepts
 * it. Reads only up to the first empty line, so the size of the body does not matter.
 */
final class HeadersHandler implements SmtpHandler {

    static final String BEGIN = "---------- HEADERS FOLLOW ----------";
    static final String END = "------------ END HEADERS ------------";

    private final List<String> only;

    /** @param only lower-case header names to print; empty for all */
    HeadersHandler(List<String> only) {
        this.only = List.copyOf(only);
    }

    @Override
    public Reply onMessage(SessionContext session, Envelope envelope, Message message) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add(BEGIN);
        lines.add("X-Peer: " + session.remoteAddress().getAddress().getHostAddress());
        lines.add("X-MailFrom: " + envelope.reversePath().address());
        lines.add("X-RcptTo: " + String.join(", ", envelope.recipientAddresses()));
        // ISO-8859-1 maps every octet to one char: 8-bit header bytes survive unchanged.
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(message.openStream(), StandardCharsets.ISO_8859_1))) {
            boolean printing = true;
            for (String line = reader.readLine(); line != null && !line.isEmpty(); line = reader.readLine()) {
                boolean continuation = line.startsWith(" ") || line.startsWith("\t");
                if (!continuation) {
                    int colon = line.indexOf(':');
                    String name = colon > 0 ? line.substring(0, colon).strip().toLowerCase(Locale.ROOT) : "";
                    printing = only.isEmpty() || only.contains(name);
                }
                if (printing) {
                    lines.add(line);
                }
            }
        }
        lines.add(END);
        PrintStream out = System.out;
        synchronized (out) { // messages of concurrent sessions must not interleave
            lines.forEach(out::println);
            out.flush();
        }
        return null; // 250 OK
    }
}
