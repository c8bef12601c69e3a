package io.smtpkit.relay.internal;

import io.smtpkit.protocol.MailPath;
import io.smtpkit.protocol.Reply;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;

/**
 * A delivery status notification (RFC 3464) for recipients that were refused after the message
 * was taken: a {@code multipart/report; report-type=delivery-status} (RFC 6522) with a line of
 * explanation, the {@code message/delivery-status} part ({@code Reporting-MTA}, and per recipient
 * {@code Final-Recipient}, {@code Action}, {@code Status}, {@code Diagnostic-Code}) and the
 * original message's header as {@code text/rfc822-headers}. It is sent from the null reverse
 * path (RFC 5321 §4.5.5) and never to one: the caller checks {@link #mayBeSentTo}.
 *
 * <p>{@code Action: failed} for every recipient, a 4xx included: nothing here holds the message
 * to try again, so the notification is final; the {@code Status} keeps the server's own class
 * (4.x.x says that sending again may succeed). The relay queue also sends a warning while it
 * still tries: {@code Action: delayed} (RFC 3464 §2.3.3).
 */
public final class DeliveryStatusNotification {

    /** How much of the original header is quoted; the rest is cut at a line's end. */
    public static final int MAX_HEADER_BYTES = 64 * 1024;
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.US);

    /** One refused recipient: its address, the ORCPT it came with (or {@code null}) and the server's reply. */
    public record Failed(MailPath recipient, String originalRecipient, Reply reply) {

        /** Checks the parts that must be there. */
        public Failed {
            Objects.requireNonNull(recipient, "recipient");
            Objects.requireNonNull(reply, "reply");
        }
    }

    private final String reportingMta;
    private final String remoteMta;
    private final ZonedDateTime arrival;
    private final List<Failed> failed;
    private final byte[] headers;
    private final boolean delayed;
    private final String explanation;

    /**
     * A notification.
     *
     * @param reportingMta this server's name, for {@code Reporting-MTA: dns;}
     * @param remoteMta the server that refused, for {@code Remote-MTA: dns;} (or {@code null})
     * @param arrival when the message arrived
     * @param failed the refused recipients, at least one
     * @param headers the original message's header (as {@link #headerOf} reads it)
     */
    public DeliveryStatusNotification(String reportingMta, String remoteMta, ZonedDateTime arrival, List<Failed> failed,
            byte[] headers) {
        this(reportingMta, remoteMta, arrival, failed, headers, false,
                "Your message was delivered to its other recipients, but these refused it:");
    }

    /**
     * A notification from the queue: final ({@code Action: failed}) or a warning that delivery to
     * the recipients is still being tried ({@code Action: delayed}).
     *
     * @param delayed true for a delay warning
     * @param explanation the human-readable part's first line
     */
    public DeliveryStatusNotification(String reportingMta, String remoteMta, ZonedDateTime arrival, List<Failed> failed,
            byte[] headers, boolean delayed, String explanation) {
        this.delayed = delayed;
        this.explanation = Objects.requireNonNull(explanation, "explanation");
        if (failed.isEmpty()) {
            throw new IllegalArgumentException("a notification reports at least one recipient");
        }
        this.reportingMta = Objects.requireNonNull(reportingMta, "reportingMta");
        this.remoteMta = remoteMta;
        this.arrival = Objects.requireNonNull(arrival, "arrival");
        this.failed = List.copyOf(failed);
        this.headers = headers.clone();
    }

    /** False for the null reverse path: a notification never answers a notification (RFC 5321 §4.5.5, RFC 3464 §2). */
    public static boolean mayBeSentTo(MailPath reversePath) {
        return reversePath != null && !reversePath.isNull();
    }

    /** The header of a message (up to {@link #MAX_HEADER_BYTES}), ending with its last line's CRLF, without the blank line. */
    public static byte[] headerOf(InputStream message) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = message.read()) >= 0) {
            line.write(b);
            if (b == '\n') {
                byte[] l = line.toByteArray();
                line.reset();
                if (l.length <= 2 && (l.length == 1 || l[0] == '\r')) {
                    break; // the blank line between header and body
                }
                if (out.size() + l.length > MAX_HEADER_BYTES) {
                    break;
                }
                out.write(l, 0, l.length);
            }
        }
        return out.toByteArray();
    }

    /** True if the quoted header has octets above 127, so the notification needs 8BITMIME (RFC 6152). */
    public boolean isEightBit() {
        for (byte b : headers) {
            if (b < 0) {
                return true;
            }
        }
        return false;
    }

    /** The whole message, CRLF line ends, addressed to {@code to}. */
    public byte[] toMessage(MailPath to, ZonedDateTime now) {
        if (!mayBeSentTo(to)) {
            throw new IllegalArgumentException("no notification to the null reverse path");
        }
        String boundary = "=_smtpkit-dsn-" + UUID.randomUUID();
        StringBuilder m = new StringBuilder();
        m.append("From: Mail Delivery System <MAILER-DAEMON@").append(reportingMta).append(">\r\n");
        m.append("To: <").append(to.address()).append(">\r\n");
        m.append(delayed ? "Subject: Delayed Mail (still being retried)\r\n" : "Subject: Undelivered Mail Returned to Sender\r\n");
        m.append("Date: ").append(DATE.format(now)).append("\r\n");
        m.append("Message-ID: <").append(UUID.randomUUID()).append('@').append(reportingMta).append(">\r\n");
        m.append("Auto-Submitted: auto-replied\r\n"); // RFC 3834 §5: no auto-answer to this
        m.append("MIME-Version: 1.0\r\n");
        m.append("Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"").append(boundary).append("\"\r\n");
        m.append("\r\n");
        m.append("This is a MIME-encapsulated message.\r\n\r\n");
        m.append("--").append(boundary).append("\r\n");
        m.append("Content-Type: text/plain; charset=us-ascii\r\n\r\n");
        m.append(ascii(explanation)).append("\r\n\r\n");
        for (Failed f : failed) {
            m.append("  <").append(ascii(f.recipient().address())).append(">: ").append(diagnostic(f.reply())).append("\r\n");
        }
        m.append("\r\n--").append(boundary).append("\r\n");
        m.append("Content-Type: message/delivery-status\r\n\r\n");
        m.append("Reporting-MTA: dns; ").append(reportingMta).append("\r\n");
        m.append("Arrival-Date: ").append(DATE.format(arrival)).append("\r\n");
        for (Failed f : failed) {
            m.append("\r\n");
            if (f.originalRecipient() != null) {
                m.append("Original-Recipient: ").append(ascii(f.originalRecipient())).append("\r\n");
            }
            m.append("Final-Recipient: rfc822; ").append(ascii(f.recipient().address())).append("\r\n");
            m.append(delayed ? "Action: delayed\r\n" : "Action: failed\r\n");
            m.append("Status: ").append(status(f.reply())).append("\r\n");
            if (remoteMta != null) {
                m.append("Remote-MTA: dns; ").append(remoteMta).append("\r\n");
            }
            m.append("Diagnostic-Code: smtp; ").append(diagnostic(f.reply())).append("\r\n");
        }
        m.append("\r\n--").append(boundary).append("\r\n");
        m.append("Content-Type: text/rfc822-headers\r\n");
        if (isEightBit()) {
            m.append("Content-Transfer-Encoding: 8bit\r\n");
        }
        m.append("\r\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(m.toString().getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(headers);
        out.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /** RFC 3464 §2.3.4: the enhanced code (RFC 3463), or the reply's class when the server gave none. */
    static String status(Reply reply) {
        return reply.enhancedStatus() != null ? reply.enhancedStatus() : (reply.code() / 100) + ".0.0";
    }

    private static String diagnostic(Reply reply) {
        List<String> parts = new ArrayList<>();
        parts.add(String.valueOf(reply.code()));
        if (reply.enhancedStatus() != null) {
            parts.add(reply.enhancedStatus());
        }
        parts.add(String.join(" ", reply.lines()));
        return ascii(String.join(" ", parts).strip());
    }

    /** Printable US-ASCII only: a server's text must not break the report's lines. */
    private static String ascii(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(c -> b.append(c >= 0x20 && c < 0x7f ? (char) c : '?'));
        return b.length() > 900 ? b.substring(0, 900) : b.toString();
    }
}
