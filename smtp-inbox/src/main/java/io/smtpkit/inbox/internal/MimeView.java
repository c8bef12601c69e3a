package io.smtpkit.inbox.internal;

import jakarta.mail.Address;
import jakarta.mail.BodyPart;
import jakarta.mail.Header;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * What the inbox shows of one message, read once with Angus Mail when it arrives: addresses,
 * subject, date, the text and HTML bodies and the list of parts. The same parsing as the
 * testkit's {@code ReceivedMessage} (a {@link MimeMessage} over the stored octets, bodies found
 * depth first), without its AssertJ and JUnit dependencies.
 *
 * <p>Mail is hostile input: nothing here throws. A header that does not parse keeps its raw
 * text, a part that does not decode is left out, and a message Angus Mail refuses altogether
 * is still a {@code MimeView} with empty fields and {@link #problem()} saying why, so the list
 * and the API never break on it.
 */
public final class MimeView {

    private static final Session MAIL_SESSION = mailSession();
    /** The longest text or HTML body kept for display; the raw source always has all of it. */
    private static final int MAX_BODY = 8 << 20;
    private static final int SNIPPET = 250;

    /** One name and address, as Mailpit's {@code Address}. */
    public record Mailbox(String name, String address) {}

    /** A part with a file or a Content-ID: Mailpit's {@code Attachment}. */
    public record PartInfo(String partId, String fileName, String contentType, String contentId, long size) {}

    public final Mailbox from;
    public final List<Mailbox> to;
    public final List<Mailbox> cc;
    public final List<Mailbox> bcc;
    public final List<Mailbox> replyTo;
    public final String subject;
    public final String messageId;
    /** The Date header, or null when missing or unparseable. */
    public final Instant date;
    public final String text;
    public final String html;
    public final List<PartInfo> attachments;
    public final List<PartInfo> inline;
    /** Every header in order, names as sent, values unfolded and decoded. */
    public final List<Map.Entry<String, String>> headers;
    public final String snippet;
    private final String problem;

    private MimeView(Builder b) {
        this.from = b.from;
        this.to = List.copyOf(b.to);
        this.cc = List.copyOf(b.cc);
        this.bcc = List.copyOf(b.bcc);
        this.replyTo = List.copyOf(b.replyTo);
        this.subject = b.subject;
        this.messageId = b.messageId;
        this.date = b.date;
        this.text = b.text;
        this.html = b.html;
        this.attachments = List.copyOf(b.attachments);
        this.inline = List.copyOf(b.inline);
        this.headers = List.copyOf(b.headers);
        this.snippet = snippet(b.text != null ? b.text : b.html != null ? stripTags(b.html.substring(0, Math.min(b.html.length(), 64 << 10))) : "");
        this.problem = b.problem;
    }

    /** Why the message could not be read as MIME (in part or whole), or null. */
    public String problem() {
        return problem;
    }

    private static Session mailSession() {
        Properties p = new Properties();
        // Lenient: mail in a developer's inbox is often a little wrong, and must still be shown.
        p.setProperty("mail.mime.address.strict", "false");
        p.setProperty("mail.mime.decodetext.strict", "false");
        p.setProperty("mail.mime.parameters.strict", "false");
        p.setProperty("mail.mime.multipart.ignoremissingendboundary", "true");
        p.setProperty("mail.mime.decodefilename", "true");
        return Session.getInstance(p);
    }

    /** Parses {@code raw} (header and body as stored). */
    public static MimeView parse(byte[] raw) {
        Builder b = new Builder();
        MimeMessage m;
        try {
            m = new MimeMessage(MAIL_SESSION, new ByteArrayInputStream(raw));
        } catch (MessagingException | RuntimeException e) {
            b.problem = "not MIME: " + e.getMessage();
            return new MimeView(b);
        }
        try {
            Enumeration<Header> all = m.getAllHeaders();
            while (all.hasMoreElements()) {
                Header h = all.nextElement();
                b.headers.add(Map.entry(h.getName(), decode(h.getValue())));
            }
        } catch (MessagingException | RuntimeException e) {
            b.problem = "headers: " + e.getMessage();
        }
        List<Mailbox> from = addresses(m, "From");
        b.from = from.isEmpty() ? new Mailbox("", "") : from.get(0);
        b.to.addAll(addresses(m, "To"));
        b.cc.addAll(addresses(m, "Cc"));
        b.bcc.addAll(addresses(m, "Bcc"));
        b.replyTo.addAll(addresses(m, "Reply-To"));
        b.subject = decode(header(m, "Subject"));
        String id = header(m, "Message-ID");
        b.messageId = id.strip().replaceAll("^<|>$", "");
        try {
            Date d = m.getSentDate();
            b.date = d == null ? null : d.toInstant();
        } catch (MessagingException | RuntimeException e) {
            b.date = null;
        }
        try {
            walk(m, "", b, 0);
        } catch (MessagingException | IOException | RuntimeException e) {
            b.problem = "body: " + e.getMessage();
        } catch (StackOverflowError e) {
            // Angus Mail's own parsing recurses too; a message must never take the handler down
            b.problem = "body: nested too deeply to read";
        }
        return new MimeView(b);
    }

    /**
     * The decoded content of part {@code partId} (a dotted path as in {@link PartInfo#partId()}),
     * with its {@link PartInfo}; null if there is no such part.
     */
    public static Map.Entry<PartInfo, byte[]> part(byte[] raw, String partId) {
        try {
            Part p = new MimeMessage(MAIL_SESSION, new ByteArrayInputStream(raw));
            String[] steps = partId.split("\\.");
            if (steps.length > MAX_DEPTH) {
                return null;
            }
            if (partId.equals("1") && !p.isMimeType("multipart/*")) {
                steps = new String[0]; // a single-part message is its own part 1 (walk lists it so)
            }
            for (String step : steps) {
                Object content = p.getContent();
                if (!(content instanceof Multipart multi)) {
                    return null;
                }
                int index = Integer.parseInt(step) - 1;
                if (index < 0 || index >= multi.getCount()) {
                    return null;
                }
                p = multi.getBodyPart(index);
            }
            byte[] bytes;
            try (InputStream in = ((jakarta.mail.internet.MimePart) p).getInputStream()) {
                bytes = in.readAllBytes();
            }
            return Map.entry(info(p, partId, bytes.length), bytes);
        } catch (MessagingException | IOException | RuntimeException e) {
            return null;
        }
    }

    /** Parts nested deeper than this are not opened: a hostile message could nest thousands. */
    static final int MAX_DEPTH = 32;

    private static void walk(Part part, String path, Builder b, int depth) throws MessagingException, IOException {
        if (part.isMimeType("multipart/*") && depth >= MAX_DEPTH) {
            b.problem = "part " + path + ": multiparts nested deeper than " + MAX_DEPTH + " are not opened";
            return;
        }
        if (part.isMimeType("multipart/*")) {
            Object content = part.getContent();
            if (content instanceof Multipart multi) {
                for (int i = 0; i < multi.getCount(); i++) {
                    BodyPart child = multi.getBodyPart(i);
                    String childPath = path.isEmpty() ? String.valueOf(i + 1) : path + "." + (i + 1);
                    try {
                        walk(child, childPath, b, depth + 1);
                    } catch (MessagingException | IOException | RuntimeException e) {
                        b.problem = "part " + childPath + ": " + e.getMessage();
                    }
                }
                return;
            }
        }
        if (part.isMimeType("message/rfc822")) {
            // A forwarded message is shown as a file, not opened into this one's bodies.
            b.attachments.add(info(part, path.isEmpty() ? "1" : path, size(part)));
            return;
        }
        String disposition = safeDisposition(part);
        String fileName = fileName(part);
        boolean attachment = Part.ATTACHMENT.equalsIgnoreCase(disposition) || fileName != null;
        if (!attachment && part.isMimeType("text/plain") && b.text == null) {
            b.text = body(part);
            return;
        }
        if (!attachment && part.isMimeType("text/html") && b.html == null) {
            b.html = body(part);
            return;
        }
        if (path.isEmpty()) {
            // A single-part message with a non-text body: its whole body is part 1.
            path = "1";
        }
        PartInfo info = info(part, path, size(part));
        String contentId = info.contentId();
        if (!contentId.isEmpty() && !Part.ATTACHMENT.equalsIgnoreCase(disposition)) {
            b.inline.add(info);
        } else {
            b.attachments.add(info);
        }
    }

    private static PartInfo info(Part part, String path, long size) {
        String fileName = fileName(part);
        String type;
        try {
            ContentType ct = new ContentType(part.getContentType());
            type = ct.getBaseType().toLowerCase(Locale.ROOT);
        } catch (MessagingException | RuntimeException e) {
            type = "application/octet-stream";
        }
        String contentId = "";
        try {
            String[] ids = part.getHeader("Content-ID");
            if (ids != null && ids.length > 0) {
                contentId = ids[0].strip().replaceAll("^<|>$", "");
            }
        } catch (MessagingException | RuntimeException e) {
            contentId = "";
        }
        return new PartInfo(path, fileName == null ? "" : fileName, type, contentId, size);
    }

    private static long size(Part part) {
        // The decoded size, as Mailpit gives it: what a download holds.
        try (InputStream in = part.getInputStream()) {
            return in.transferTo(java.io.OutputStream.nullOutputStream());
        } catch (MessagingException | IOException | RuntimeException e) {
            return 0;
        }
    }

    private static String body(Part part) throws MessagingException, IOException {
        byte[] bytes;
        try (InputStream in = part.getInputStream()) {
            bytes = in.readNBytes(MAX_BODY);
        }
        java.nio.charset.Charset charset = StandardCharsets.UTF_8;
        try {
            String name = new ContentType(part.getContentType()).getParameter("charset");
            if (name != null) {
                charset = java.nio.charset.Charset.forName(MimeUtility.javaCharset(name.strip()));
            }
        } catch (MessagingException | RuntimeException e) {
            // an unknown or malformed charset: UTF-8 shows ASCII right and the rest as best it can
        }
        return new String(bytes, charset);
    }

    private static String safeDisposition(Part part) {
        try {
            return part.getDisposition();
        } catch (MessagingException | RuntimeException e) {
            return null;
        }
    }

    private static String fileName(Part part) {
        try {
            String name = part.getFileName();
            return name == null || name.isBlank() ? null : decode(name);
        } catch (MessagingException | RuntimeException e) {
            return null;
        }
    }

    private static String header(MimeMessage m, String name) {
        try {
            String value = m.getHeader(name, null);
            return value == null ? "" : value;
        } catch (MessagingException | RuntimeException e) {
            return "";
        }
    }

    private static List<Mailbox> addresses(MimeMessage m, String name) {
        String value = header(m, name);
        if (value.isBlank()) {
            return List.of();
        }
        try {
            Address[] parsed = InternetAddress.parseHeader(value, false);
            List<Mailbox> list = new ArrayList<>(parsed.length);
            for (Address a : parsed) {
                if (a instanceof InternetAddress ia) {
                    String personal = ia.getPersonal();
                    list.add(new Mailbox(personal == null ? "" : personal, ia.getAddress() == null ? "" : ia.getAddress()));
                }
            }
            return list;
        } catch (AddressException | RuntimeException e) {
            // Shown as sent, rather than dropped: the developer wants to see what is wrong.
            return Collections.singletonList(new Mailbox("", decode(value)));
        }
    }

    private static String decode(String value) {
        if (value == null) {
            return "";
        }
        try {
            return MimeUtility.decodeText(MimeUtility.unfold(value));
        } catch (IOException | RuntimeException e) {
            return value;
        }
    }

    private static String stripTags(String html) {
        return html.replaceAll("(?is)<(script|style)[^>]*>.*?</\\1\\s*>", " ").replaceAll("(?s)<[^>]*>", " ")
                .replace("&nbsp;", " ").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    }

    private static String snippet(String text) {
        String s = text.replaceAll("\\s+", " ").strip();
        return s.length() <= SNIPPET ? s : s.substring(0, SNIPPET) + "...";
    }

    private static final class Builder {
        Mailbox from = new Mailbox("", "");
        final List<Mailbox> to = new ArrayList<>();
        final List<Mailbox> cc = new ArrayList<>();
        final List<Mailbox> bcc = new ArrayList<>();
        final List<Mailbox> replyTo = new ArrayList<>();
        String subject = "";
        String messageId = "";
        Instant date;
        String text;
        String html;
        final List<PartInfo> attachments = new ArrayList<>();
        final List<PartInfo> inline = new ArrayList<>();
        final List<Map.Entry<String, String>> headers = new ArrayList<>();
        String problem;
    }
}
