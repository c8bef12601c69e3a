package io.smtpkit.testkit;

import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.MailPath;
import jakarta.mail.BodyPart;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.assertj.core.api.AssertProvider;

/**
 * One message the test server accepted: one SMTP transaction (one {@code MAIL FROM}, its accepted
 * recipients, one content), never one copy per recipient. For per-recipient views, see
 * {@link SmtpServerExtension#messagesTo(String)}. Immutable and safe to share.
 *
 * <p>With AssertJ, {@code assertThat(message)} gives a {@link ReceivedMessageAssert} whose checks
 * all apply to this one message.
 */
public final class ReceivedMessage implements AssertProvider<ReceivedMessageAssert> {

    private static final Session MAIL_SESSION = Session.getInstance(new Properties());

    private final Envelope envelope;
    private final byte[] bytes;
    private final String sessionId;
    private final InetSocketAddress client;
    private final String heloName;
    private final boolean tls;
    private final String authenticatedUser;
    private final Instant receivedAt;
    private volatile MimeMessage parsed;

    ReceivedMessage(Envelope envelope, byte[] bytes, String sessionId, InetSocketAddress client, String heloName,
            boolean tls, String authenticatedUser, Instant receivedAt) {
        this.envelope = envelope;
        this.bytes = bytes;
        this.sessionId = sessionId;
        this.client = client;
        this.heloName = heloName;
        this.tls = tls;
        this.authenticatedUser = authenticatedUser;
        this.receivedAt = receivedAt;
    }

    /** The envelope's reverse path ({@code MAIL FROM}) as {@code local@domain}; {@code ""} for the null path {@code <>}. */
    public String sender() {
        return envelope.reversePath().address();
    }

    /** The envelope recipients of this transaction ({@code RCPT TO} the server accepted), in order. */
    public List<String> recipients() {
        return envelope.recipientAddresses();
    }

    /** The whole envelope, with ESMTP parameters (SIZE, BODY, SMTPUTF8, DSN). */
    public Envelope envelope() {
        return envelope;
    }

    /**
     * Exactly what the server stored: its {@code Received:} header first (unless turned off with
     * {@link SmtpServerExtension.Builder#receivedHeader(boolean)}), then the content as sent,
     * dot-unstuffed. A new copy on each call.
     */
    public byte[] bytes() {
        return bytes.clone();
    }

    /** {@link #bytes()} as text: UTF-8, which is ASCII for most mail. */
    public String content() {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /**
     * The content parsed by Jakarta Mail, once (later calls return the same object: do not change
     * it).
     *
     * @throws IllegalStateException if Jakarta Mail cannot parse it
     */
    public MimeMessage mimeMessage() {
        MimeMessage m = parsed;
        if (m == null) {
            synchronized (this) {
                m = parsed;
                if (m == null) {
                    try {
                        m = new MimeMessage(MAIL_SESSION, new ByteArrayInputStream(bytes));
                    } catch (MessagingException e) {
                        throw new IllegalStateException("Jakarta Mail cannot parse the message: " + e.getMessage(), e);
                    }
                    parsed = m;
                }
            }
        }
        return m;
    }

    /** The decoded {@code Subject:} (RFC 2047 words decoded), or {@code null} without one. */
    public String subject() {
        try {
            return mimeMessage().getSubject();
        } catch (MessagingException e) {
            throw new IllegalStateException("cannot read the Subject: " + e.getMessage(), e);
        }
    }

    /**
     * The first {@code text/plain} part that is not an attachment, decoded (transfer encoding and
     * charset), searching multiparts depth first; {@code null} if there is none. Line breaks are
     * CRLF as on the wire, and a text usually ends with one: SMTP content ends with a line.
     */
    public String text() {
        try {
            return firstText(mimeMessage());
        } catch (MessagingException e) {
            throw new IllegalStateException("cannot read the text: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The file names of the parts that have one (attachments, inline files), depth first. */
    public List<String> attachmentNames() {
        List<String> names = new ArrayList<>();
        try {
            collectNames(mimeMessage(), names);
        } catch (MessagingException e) {
            throw new IllegalStateException("cannot read the parts: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return names;
    }

    /** The values of header {@code name} (case-insensitive), unfolded but not decoded; empty if absent. */
    public List<String> header(String name) {
        try {
            String[] values = mimeMessage().getHeader(name);
            return values == null ? List.of() : List.of(values);
        } catch (MessagingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The id of the SMTP session (connection) the message came on; see {@link SmtpServerExtension#sessions()}. */
    public String sessionId() {
        return sessionId;
    }

    /** The client's address. */
    public InetSocketAddress client() {
        return client;
    }

    /** The name the client gave in HELO/EHLO. */
    public String heloName() {
        return heloName;
    }

    /** True if the message came over TLS (STARTTLS or implicit TLS). */
    public boolean overTls() {
        return tls;
    }

    /** The user the client authenticated as, or {@code null}. */
    public String authenticatedUser() {
        return authenticatedUser;
    }

    /** When the server accepted it. */
    public Instant receivedAt() {
        return receivedAt;
    }

    /** AssertJ: {@code assertThat(message)} with AssertJ's own {@code Assertions}. */
    @Override
    public ReceivedMessageAssert assertThat() {
        return new ReceivedMessageAssert(this);
    }

    /** One line for failure messages: envelope, subject and size. */
    @Override
    public String toString() {
        String subject;
        try {
            subject = subject();
        } catch (RuntimeException e) {
            subject = "(unparseable)";
        }
        return "from <" + sender() + "> to " + envelope.recipients().stream().map(MailPath::toString).toList()
                + ", subject " + (subject == null ? "(none)" : "\"" + subject + "\"") + ", " + bytes.length
                + " octets, session " + sessionId;
    }

    private static String firstText(Part part) throws MessagingException, IOException {
        if (Part.ATTACHMENT.equalsIgnoreCase(part.getDisposition())) {
            return null;
        }
        if (part.isMimeType("text/plain")) {
            Object content = part.getContent();
            return content instanceof String s ? s : new String(part.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
        if (part.isMimeType("multipart/*")) {
            Multipart multipart = (Multipart) part.getContent();
            for (int i = 0; i < multipart.getCount(); i++) {
                String text = firstText(multipart.getBodyPart(i));
                if (text != null) {
                    return text;
                }
            }
        }
        return null;
    }

    private static void collectNames(Part part, List<String> names) throws MessagingException, IOException {
        if (part.isMimeType("multipart/*")) {
            Multipart multipart = (Multipart) part.getContent();
            for (int i = 0; i < multipart.getCount(); i++) {
                BodyPart child = multipart.getBodyPart(i);
                collectNames(child, names);
            }
        } else if (part.getFileName() != null) {
            names.add(part.getFileName());
        }
    }
}
