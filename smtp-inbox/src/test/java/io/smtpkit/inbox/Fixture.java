package io.smtpkit.inbox;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.smtpkit.inbox.internal.TestJson;
import io.smtpkit.server.SmtpServer;
import jakarta.activation.DataHandler;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.util.ByteArrayDataSource;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/** An inbox behind a real SMTP server on 127.0.0.1, mail sent with Angus Mail, the API read over HTTP. */
final class Fixture implements AutoCloseable {

    final InboxHandler inbox;
    final SmtpServer server;
    final HttpClient http = HttpClient.newHttpClient();
    private final Session session;
    private String authorization;

    Fixture(int max, Path dir) throws IOException {
        this(InboxHandler.builder().http(new InetSocketAddress("127.0.0.1", 0)).max(max).maildir(dir));
    }

    Fixture(InboxHandler.Builder builder) throws IOException {
        inbox = builder.start();
        server = SmtpServer.builder().handler(inbox).listen(new InetSocketAddress("127.0.0.1", 0)).build().start();
        Properties p = new Properties();
        p.setProperty("mail.smtp.host", "127.0.0.1");
        p.setProperty("mail.smtp.port", String.valueOf(server.port()));
        p.setProperty("mail.smtp.connectiontimeout", "10000");
        p.setProperty("mail.smtp.timeout", "10000");
        session = Session.getInstance(p);
    }

    Fixture basicAuth(String user, String password) {
        authorization = "Basic " + java.util.Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        return this;
    }

    /** A message as written, octet for octet, to send with {@link #send}. */
    MimeMessage raw(String message) throws Exception {
        return new MimeMessage(session, new java.io.ByteArrayInputStream(message.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    }

    MimeMessage message(String from, String to, String subject, String text) throws Exception {
        MimeMessage m = new MimeMessage(session);
        m.setFrom(new InternetAddress(from));
        m.setRecipients(Message.RecipientType.TO, InternetAddress.parse(to));
        m.setSubject(subject, "UTF-8");
        m.setText(text, "UTF-8");
        return m;
    }

    /** A {@code multipart/alternative} of {@code text} and {@code html}, as a body part. */
    static MimeBodyPart textAndHtml(String text, String html) throws Exception {
        MimeMultipart alternative = new MimeMultipart("alternative");
        MimeBodyPart textPart = new MimeBodyPart();
        textPart.setText(text, "UTF-8");
        MimeBodyPart htmlPart = new MimeBodyPart();
        htmlPart.setContent(html, "text/html; charset=UTF-8");
        alternative.addBodyPart(textPart);
        alternative.addBodyPart(htmlPart);
        MimeBodyPart body = new MimeBodyPart();
        body.setContent(alternative);
        return body;
    }

    /** Text, HTML and one attachment, the shape most application mail has. */
    MimeMessage rich(String subject, String html, String fileName, byte[] attachment) throws Exception {
        MimeMessage m = new MimeMessage(session);
        m.setFrom(new InternetAddress("Alice Sender <alice@example.org>"));
        m.setRecipients(Message.RecipientType.TO, InternetAddress.parse("Bob <bob@example.net>, carol@example.net"));
        m.setRecipients(Message.RecipientType.CC, InternetAddress.parse("dave@example.net"));
        m.setReplyTo(InternetAddress.parse("replies@example.org"));
        m.setSubject(subject, "UTF-8");
        MimeBodyPart body = textAndHtml("plain body of " + subject, html);
        MimeBodyPart file = new MimeBodyPart();
        file.setDataHandler(new DataHandler(new ByteArrayDataSource(attachment, "application/pdf")));
        file.setFileName(fileName);
        file.setDisposition(MimeBodyPart.ATTACHMENT);
        MimeMultipart mixed = new MimeMultipart("mixed");
        mixed.addBodyPart(body);
        mixed.addBodyPart(file);
        m.setContent(mixed);
        m.saveChanges();
        return m;
    }

    /** Sends over SMTP; the envelope recipients are the header's unless given. */
    void send(MimeMessage m, String... envelopeTo) throws Exception {
        if (envelopeTo.length == 0) {
            Transport.send(m);
        } else {
            Transport.send(m, InternetAddress.parse(String.join(",", envelopeTo)));
        }
    }

    HttpResponse<String> request(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(inbox.uri().resolve(path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<byte[]> bytes(String path) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(inbox.uri().resolve(path));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** GETs {@code path}, expects 200 and JSON, returns it parsed. */
    @SuppressWarnings("unchecked")
    Map<String, Object> json(String path) throws Exception {
        HttpResponse<String> r = request("GET", path, null);
        assertEquals(200, r.statusCode(), () -> path + ": " + r.body());
        assertEquals("application/json; charset=utf-8", r.headers().firstValue("Content-Type").orElse(""));
        return (Map<String, Object>) TestJson.parse(r.body());
    }

    @SuppressWarnings("unchecked")
    List<Map<String, Object>> messages(String path) throws Exception {
        return (List<Map<String, Object>>) json(path).get("messages");
    }

    URI uri(String path) {
        return inbox.uri().resolve(path);
    }

    @Override
    public void close() {
        server.close();
        inbox.close();
    }
}
