package io.smtpkit.server.internal;

import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.SessionInfo;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The {@code Received:} trace header a server prepends to every message (RFC 5321 §4.4):
 * <pre>
 * Received: from HELO ([IP])
 *         by HOSTNAME with ESMTPS id ID
 *         for &lt;RCPT&gt;; DATE
 * </pre>
 * The client's address is written as a literal only: the event loop resolves no names. The
 * protocol keyword follows RFC 3848 (SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA; LMTP, LMTPS, LMTPA,
 * LMTPSA). Everything the client
 * chose (the HELO name and the recipient) is sanitised: only printable ASCII is kept, and the
 * characters that would end the clause ({@code ( ) ; < > \}) become {@code _}, so a client
 * cannot add lines or forge the fields after its own.
 */
final class ReceivedHeader {

    /** RFC 5322 §3.3 date-time, with a numeric zone. */
    private static final DateTimeFormatter DATE =
            DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);
    private static final int MAX_FIELD = 255;

    /** The last date written, reused within its second: formatting costs more than the rest of the header. */
    private static volatile FormattedDate lastDate;

    private record FormattedDate(long second, ZoneOffset offset, String text) {}

    private ReceivedHeader() {}

    /**
     * The header for a message received in {@code session} (its HELO name, protocol and our
     * hostname come from there), from {@code client}, under trace id {@code id}. Each argument is
     * of its own type, so none can take another's place.
     */
    static byte[] build(SessionInfo session, InetAddress client, String id, Envelope envelope, ZonedDateTime now) {
        String heloName = session.heloName();
        // RFC 3848: LMTP keeps the same suffixes as ESMTP (LMTPS, LMTPA, LMTPSA); an LMTP session
        // is always extended, since LHLO is its only greeting (RFC 2033 §4.1).
        String with = session.config().lmtp() ? "LMTP" : !session.isExtended() ? "SMTP" : "ESMTP";
        if (!with.equals("SMTP")) {
            with += (session.isSecure() ? "S" : "") + (session.authenticatedUser() != null ? "A" : "");
        }
        StringBuilder h = new StringBuilder(200);
        h.append("Received: from ").append(heloName == null ? "unknown" : sanitise(heloName))
                .append(" (").append(literal(client)).append(")\r\n")
                .append("\tby ").append(session.config().hostname()).append(" with ").append(with).append(" id ").append(id);
        if (envelope != null && envelope.recipients().size() == 1) {
            // Only with one recipient: naming them all would disclose Bcc recipients to each other.
            h.append("\r\n\tfor <").append(sanitise(envelope.recipients().get(0).address())).append('>');
        }
        h.append("; ").append(date(now)).append("\r\n");
        return h.toString().getBytes(StandardCharsets.US_ASCII);
    }

    static String date(ZonedDateTime now) {
        FormattedDate last = lastDate;
        long second = now.toEpochSecond();
        if (last == null || last.second() != second || !last.offset().equals(now.getOffset())) {
            last = new FormattedDate(second, now.getOffset(), DATE.format(now));
            lastDate = last;
        }
        return last.text();
    }

    /** RFC 5321 §4.1.3 address literal: {@code [192.0.2.1]} or {@code [IPv6:2001:db8::1]}. */
    static String literal(InetAddress address) {
        if (address == null) {
            return "unknown";
        }
        if (address instanceof Inet6Address) {
            String text = address.getHostAddress();
            int zone = text.indexOf('%');
            return "[IPv6:" + (zone >= 0 ? text.substring(0, zone) : text) + "]";
        }
        return "[" + address.getHostAddress() + "]";
    }

    static String sanitise(String value) {
        StringBuilder out = new StringBuilder(Math.min(value.length(), MAX_FIELD));
        for (int i = 0; i < value.length() && out.length() < MAX_FIELD; i++) {
            char c = value.charAt(i);
            boolean safe = c > 0x20 && c < 0x7f && c != '(' && c != ')' && c != ';' && c != '<' && c != '>' && c != '\\';
            out.append(safe ? c : '_');
        }
        return out.length() == 0 ? "unknown" : out.toString();
    }
}
