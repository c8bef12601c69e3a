package io.smtpkit.inbox;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.server.testsupport.SmtpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The REST API over real HTTP, after real mail over SMTP: shapes and types as Mailpit's swagger.json. */
class InboxApiTest {

    private static final Set<String> SUMMARY_FIELDS = Set.of("ID", "MessageID", "Read", "From", "To", "Cc", "Bcc",
            "ReplyTo", "Subject", "Created", "Username", "Tags", "Size", "Attachments", "Snippet");
    private static final Set<String> MESSAGE_FIELDS = Set.of("ID", "MessageID", "Read", "From", "To", "Cc", "Bcc",
            "ReplyTo", "ReturnPath", "Subject", "Date", "Created", "Username", "Tags", "Text", "HTML", "Size", "Inline",
            "Attachments", "Envelope");

    private Fixture f;

    @BeforeEach
    void start() throws Exception {
        f = new Fixture(5, null);
    }

    @AfterEach
    void stop() {
        f.close();
    }

    @Test
    void listsMessagesNewestFirstWithMailpitsFields() throws Exception {
        f.send(f.message("first@example.org", "one@example.net", "first", "hello one"));
        byte[] pdf = "%PDF-1.4 pretend".getBytes(StandardCharsets.US_ASCII);
        f.send(f.rich("second", "<p>Hi <b>Bob</b></p>", "report.pdf", pdf), "bob@example.net", "hidden@example.net");

        Map<String, Object> page = f.json("api/v1/messages");
        assertEquals(new TreeSet<>(Set.of("total", "unread", "count", "messages_count", "messages_unread", "start",
                "tags", "messages")), new TreeSet<>(page.keySet()));
        assertEquals(2.0, page.get("total"));
        assertEquals(2.0, page.get("unread"));
        assertEquals(2.0, page.get("count"));
        assertEquals(2.0, page.get("messages_count"));
        assertEquals(0.0, page.get("start"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> messages = (List<Map<String, Object>>) page.get("messages");
        Map<String, Object> newest = messages.get(0);
        assertEquals(new TreeSet<>(SUMMARY_FIELDS), new TreeSet<>(newest.keySet()));
        assertEquals("second", newest.get("Subject"));
        assertEquals("first", messages.get(1).get("Subject"));
        assertEquals(Map.of("Name", "Alice Sender", "Address", "alice@example.org"), newest.get("From"));
        assertEquals(List.of(Map.of("Name", "Bob", "Address", "bob@example.net"), Map.of("Name", "", "Address", "carol@example.net")),
                newest.get("To"));
        assertEquals(List.of(Map.of("Name", "", "Address", "dave@example.net")), newest.get("Cc"));
        // The envelope recipient no header names is a blind copy.
        assertEquals(List.of(Map.of("Name", "", "Address", "hidden@example.net")), newest.get("Bcc"));
        assertEquals(List.of(Map.of("Name", "", "Address", "replies@example.org")), newest.get("ReplyTo"));
        assertEquals(1.0, newest.get("Attachments"));
        assertEquals(Boolean.FALSE, newest.get("Read"));
        assertEquals("plain body of second", newest.get("Snippet"));
        assertInstanceOf(Double.class, newest.get("Size"));
        assertTrue((Double) newest.get("Size") > 300);
        Instant created = Instant.parse((String) newest.get("Created"));
        assertTrue(Math.abs(created.toEpochMilli() - System.currentTimeMillis()) < 60_000, created::toString);
        assertTrue(((String) newest.get("ID")).matches("[A-Za-z0-9_-]{22}"), newest.get("ID")::toString);
        assertFalse(((String) newest.get("MessageID")).contains("<"));

        Map<String, Object> paged = f.json("api/v1/messages?start=1&limit=1");
        assertEquals(1.0, paged.get("count"));
        assertEquals(2.0, paged.get("messages_count"));
        assertEquals(1.0, paged.get("start"));
        assertEquals("first", f.messages("api/v1/messages?start=1&limit=1").get(0).get("Subject"));
    }

    @Test
    void messageHasBodiesAttachmentsAndDownloadableParts() throws Exception {
        byte[] pdf = new byte[3000];
        for (int i = 0; i < pdf.length; i++) {
            pdf[i] = (byte) (i * 31);
        }
        f.send(f.rich("with file", "<p>Hi <b>Bob</b></p>", "report.pdf", pdf));
        String id = (String) f.messages("api/v1/messages").get(0).get("ID");

        Map<String, Object> m = f.json("api/v1/message/" + id);
        assertEquals(new TreeSet<>(MESSAGE_FIELDS), new TreeSet<>(m.keySet()));
        assertEquals("alice@example.org", m.get("ReturnPath"));
        assertEquals("with file", m.get("Subject"));
        assertEquals("plain body of with file", ((String) m.get("Text")).strip());
        assertEquals("<p>Hi <b>Bob</b></p>", ((String) m.get("HTML")).strip());
        Instant.parse((String) m.get("Date"));
        assertEquals(Map.of("From", "alice@example.org", "To", List.of("bob@example.net", "carol@example.net", "dave@example.net")),
                m.get("Envelope"));
        assertEquals(List.of(), m.get("Inline"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> attachments = (List<Map<String, Object>>) m.get("Attachments");
        assertEquals(1, attachments.size());
        Map<String, Object> a = attachments.get(0);
        assertEquals(Map.of("PartID", "2", "FileName", "report.pdf", "ContentType", "application/pdf", "ContentID", "",
                "Size", 3000.0), a);

        HttpResponse<byte[]> part = f.bytes("api/v1/message/" + id + "/part/2");
        assertEquals(200, part.statusCode());
        assertArrayEquals(pdf, part.body());
        assertEquals("application/pdf", part.headers().firstValue("Content-Type").orElse(""));
        assertEquals("attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf",
                part.headers().firstValue("Content-Disposition").orElse(""));
        assertEquals("nosniff", part.headers().firstValue("X-Content-Type-Options").orElse(""));
        assertEquals(404, f.bytes("api/v1/message/" + id + "/part/9").statusCode());

        // Opening a message marks it read, as in Mailpit.
        assertEquals(Boolean.TRUE, f.messages("api/v1/messages").get(0).get("Read"));
        assertEquals(0.0, f.json("api/v1/messages").get("unread"));

        HttpResponse<String> raw = f.request("GET", "api/v1/message/" + id + "/raw", null);
        assertEquals(200, raw.statusCode());
        assertTrue(raw.body().startsWith("Received: from "), raw.body());
        assertTrue(raw.body().contains("\r\nSubject: with file\r\n"));
        assertEquals("text/plain; charset=utf-8", raw.headers().firstValue("Content-Type").orElse(""));

        Map<String, Object> headers = f.json("api/v1/message/" + id + "/headers");
        assertEquals(List.of("with file"), headers.get("Subject"));
        assertEquals(List.of("Alice Sender <alice@example.org>"), headers.get("From"));

        Map<String, Object> latest = f.json("api/v1/message/latest");
        assertEquals(id, latest.get("ID"));
        assertEquals(404, f.request("GET", "api/v1/message/nosuchid", null).statusCode());
    }

    @Test
    void inlineImagesGoIntoTheHtmlOnlyWithinABudget() throws Exception {
        byte[] png = new byte[3 << 20];
        new java.util.Random(7).nextBytes(png);
        String image = java.util.Base64.getMimeEncoder().encodeToString(png);
        String raw = "From: a@example.org\r\nTo: b@example.net\r\nSubject: many uses\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/related; boundary=\"r\"\r\n\r\n"
                + "--r\r\nContent-Type: text/html\r\n\r\n<p>" + "<img src=\"cid:x\">".repeat(400) + "</p>\r\n"
                + "--r\r\nContent-Type: image/png\r\nContent-ID: <x>\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + image + "\r\n--r--\r\n";
        f.send(f.raw(raw));
        String id = (String) f.messages("api/v1/messages").get(0).get("ID");
        // 400 copies of a 4 MB data: URL would be a 1.6 GB page (it ran the heap out before)
        HttpResponse<byte[]> html = f.bytes("view/" + id + ".html");
        assertEquals(200, html.statusCode());
        assertTrue(html.body().length < 1 << 20, "the references are left as they are: " + html.body().length);
        assertTrue(new String(html.body(), StandardCharsets.US_ASCII).contains("cid:x"));
    }

    @Test
    void keepsAtMostMaxDroppingTheOldest() throws Exception {
        for (int i = 1; i <= 5; i++) {
            f.send(f.message("s@example.org", "r@example.net", "m" + i, "body " + i));
        }
        assertEquals(List.of("m5", "m4", "m3", "m2", "m1"), subjects("api/v1/messages"));
        f.send(f.message("s@example.org", "r@example.net", "m6", "body 6"));
        assertEquals(List.of("m6", "m5", "m4", "m3", "m2"), subjects("api/v1/messages"));
        assertEquals(5.0, f.json("api/v1/messages").get("total"));
    }

    @Test
    void deletesByIdsAndAllWithAnEmptyBodyOrEmptyObject() throws Exception {
        for (int i = 1; i <= 3; i++) {
            f.send(f.message("s@example.org", "r@example.net", "m" + i, "body " + i));
        }
        List<Map<String, Object>> list = f.messages("api/v1/messages");
        String m3 = (String) list.get(0).get("ID");
        String m1 = (String) list.get(2).get("ID");
        HttpResponse<String> r = f.request("DELETE", "api/v1/messages", "{\"IDs\": [\"" + m3 + "\", \"" + m1 + "\", \"unknown\"]}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(List.of("m2"), subjects("api/v1/messages"));
        assertEquals(404, f.request("GET", "api/v1/message/" + m3, null).statusCode());

        assertEquals(200, f.request("DELETE", "api/v1/messages", null).statusCode());
        assertEquals(List.of(), subjects("api/v1/messages"));

        f.send(f.message("s@example.org", "r@example.net", "again", "x"));
        assertEquals(List.of("again"), subjects("api/v1/messages"));
        assertEquals(200, f.request("DELETE", "api/v1/messages", "{}").statusCode());
        assertEquals(0.0, f.json("api/v1/messages").get("total"));

        HttpResponse<String> head = f.request("HEAD", "", null);
        assertEquals(200, head.statusCode());
        assertTrue(head.headers().firstValue("Content-Security-Policy").orElse("").contains("script-src 'self'"), head.headers().toString());
        assertEquals(405, f.request("HEAD", "api/events", null).statusCode());
        assertEquals(400, f.request("DELETE", "api/v1/messages", "{\"IDs\": \"x\"}").statusCode());

        // Keys match without case, as in Mailpit; another key is an error, not "no IDs: delete all".
        f.send(f.message("s@example.org", "r@example.net", "kept", "x"));
        f.send(f.message("s@example.org", "r@example.net", "gone", "x"));
        String gone = (String) f.messages("api/v1/messages").get(0).get("ID");
        assertEquals(200, f.request("DELETE", "api/v1/messages", "{\"ids\": [\"" + gone + "\"]}").statusCode());
        assertEquals(List.of("kept"), subjects("api/v1/messages"));
        assertEquals(400, f.request("DELETE", "api/v1/messages", "{\"Id\": [\"x\"]}").statusCode());
        assertEquals(List.of("kept"), subjects("api/v1/messages"), "a misspelt key deletes nothing");
        assertEquals(400, f.request("DELETE", "api/v1/messages", "not json").statusCode());
        assertEquals(405, f.request("POST", "api/v1/messages", "{}").statusCode());
    }

    @Test
    void searchesByFieldAndFreeText() throws Exception {
        f.send(f.message("Alice <alice@example.org>", "bob@example.net", "Invoice 42", "please pay"));
        f.send(f.message("carol@example.org", "dave@example.net", "Welcome aboard", "the invoice is attached"));
        f.send(f.message("erin@example.org", "bob@example.net", "Lunch", "noon?"));
        assertEquals(List.of("Invoice 42"), subjects("api/v1/search?query=from:alice"));
        assertEquals(List.of("Lunch", "Invoice 42"), subjects("api/v1/search?query=to:bob%40example.net"));
        assertEquals(List.of("Welcome aboard"), subjects("api/v1/search?query=subject:welcome"));
        assertEquals(List.of("Welcome aboard", "Invoice 42"), subjects("api/v1/search?query=invoice"));
        assertEquals(List.of("Invoice 42"), subjects("api/v1/search?query=invoice+to:bob"));
        assertEquals(List.of("Welcome aboard"), subjects("api/v1/search?query=invoice+-to:bob"));
        assertEquals(List.of("Welcome aboard"), subjects("api/v1/search?query=%22welcome+aboard%22"));
        Map<String, Object> result = f.json("api/v1/search?query=invoice");
        assertEquals(3.0, result.get("total"));
        assertEquals(2.0, result.get("messages_count"));
    }

    @Test
    void brokenMimeIsListedWithItsRawSource() throws Exception {
        String broken = "Subject: =?bogus?Q?x?=\r\nContent-Type: multipart/mixed\r\nFrom: <<<@@@\r\n"
                + "Content-Transfer-Encoding: base64\r\n\r\n@@@ not base64, no boundary \u0001\r\n";
        assertTrue(SmtpClient.deliver(f.server.addresses().get(0), "x@example.org", "y@example.net", broken).startsWith("250"));
        String garbage = "this is not a header at all\r\n\r\njust bytes\r\n";
        assertTrue(SmtpClient.deliver(f.server.addresses().get(0), "x@example.org", "y@example.net", garbage).startsWith("250"));
        f.send(f.message("ok@example.org", "y@example.net", "fine", "fine"));

        List<Map<String, Object>> list = f.messages("api/v1/messages");
        assertEquals(3, list.size());
        assertEquals("fine", list.get(0).get("Subject"));
        for (Map<String, Object> m : list) {
            String id = (String) m.get("ID");
            assertEquals(new TreeSet<>(SUMMARY_FIELDS), new TreeSet<>(m.keySet()));
            f.json("api/v1/message/" + id);
            HttpResponse<String> raw = f.request("GET", "api/v1/message/" + id + "/raw", null);
            assertEquals(200, raw.statusCode());
        }
        String brokenId = (String) list.get(2).get("ID");
        assertTrue(f.request("GET", "api/v1/message/" + brokenId + "/raw", null).body().contains("@@@ not base64, no boundary"));
        assertEquals(3, f.messages("api/v1/search?query=y%40example.net").size());
    }

    @Test
    void markReadAndUnread() throws Exception {
        f.send(f.message("s@example.org", "r@example.net", "m", "b"));
        String id = (String) f.messages("api/v1/messages").get(0).get("ID");
        assertEquals(200, f.request("PUT", "api/v1/messages", "{\"IDs\": [\"" + id + "\"], \"Read\": true}").statusCode());
        assertEquals(0.0, f.json("api/v1/messages").get("unread"));
        assertEquals(200, f.request("PUT", "api/v1/messages", "{\"Read\": false}").statusCode());
        assertEquals(1.0, f.json("api/v1/messages").get("unread"));
        assertEquals(List.of("m"), subjects("api/v1/search?query=is:unread"));
    }

    @Test
    void maildirSurvivesARestart(@TempDir Path dir) throws Exception {
        f.close();
        f = new Fixture(3, dir);
        f.send(f.message("s@example.org", "r@example.net", "kept 1", "b"));
        f.send(f.message("s@example.org", "r@example.net", "kept 2", "b"));
        String id = (String) f.messages("api/v1/messages").get(0).get("ID");
        String raw = f.request("GET", "api/v1/message/" + id + "/raw", null).body();
        f.close();
        assertEquals(2, Files.list(dir.resolve("new")).count());

        f = new Fixture(3, dir);
        assertEquals(List.of("kept 2", "kept 1"), subjects("api/v1/messages"));
        assertEquals(raw, f.request("GET", "api/v1/message/" + id + "/raw", null).body());
        assertEquals("s@example.org", f.json("api/v1/message/" + id).get("ReturnPath"));
        f.send(f.message("s@example.org", "r@example.net", "kept 3", "b"));
        f.send(f.message("s@example.org", "r@example.net", "kept 4", "b"));
        assertEquals(List.of("kept 4", "kept 3", "kept 2"), subjects("api/v1/messages"));
        assertEquals(3, Files.list(dir.resolve("new")).count());
        assertEquals(200, f.request("DELETE", "api/v1/messages", "{\"IDs\": [\"" + id + "\"]}").statusCode());
        assertEquals(2, Files.list(dir.resolve("new")).count());
    }

    @Test
    void basicAuthGuardsPageAndApi(@TempDir Path dir) throws Exception {
        f.close();
        Path file = dir.resolve("users");
        Files.writeString(file, "# inbox users\nadmin:s3cret\n");
        f = new Fixture(InboxHandler.builder().http(new java.net.InetSocketAddress("127.0.0.1", 0))
                .authenticator(io.smtpkit.server.FileAuthenticator.load(file)));
        for (String path : List.of("", "api/v1/messages", "api/events", "app.js")) {
            HttpResponse<String> r = f.request("GET", path, null);
            assertEquals(401, r.statusCode(), path);
            assertTrue(r.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Basic realm="), path);
        }
        f.basicAuth("admin", "wrong");
        assertEquals(401, f.request("GET", "api/v1/messages", null).statusCode());
        f.basicAuth("admin", "s3cret");
        assertEquals(200, f.request("GET", "api/v1/messages", null).statusCode());
        assertEquals(200, f.request("GET", "", null).statusCode());
    }

    @Test
    void refusesAForeignHostHeaderOnLoopback() throws Exception {
        // DNS rebinding: a page at evil.example whose name now points at 127.0.0.1.
        java.net.URI uri = f.uri("api/v1/messages");
        try (java.net.Socket s = new java.net.Socket(uri.getHost(), uri.getPort())) {
            s.getOutputStream().write(("GET /api/v1/messages HTTP/1.1\r\nHost: evil.example:" + uri.getPort()
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(response.startsWith("HTTP/1.1 421"), response);
        }
        // The machine's own name is fine, a name that only begins with it is not.
        String local = java.net.InetAddress.getLocalHost().getHostName();
        for (String host : List.of(local, local + ".attacker.example")) {
            try (java.net.Socket s = new java.net.Socket(uri.getHost(), uri.getPort())) {
                s.getOutputStream().write(("GET /api/v1/messages HTTP/1.1\r\nHost: " + host + ":" + uri.getPort()
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                assertTrue(response.startsWith(host.equals(local) ? "HTTP/1.1 200" : "HTTP/1.1 421"), host + ": " + response);
            }
        }
    }

    @Test
    void aPageReachableFromOtherMachinesIsAWarning() throws Exception {
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        // slf4j-simple looks System.err up at each line, so this catches the warning.
        System.setErr(new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
        try (InboxHandler wide = InboxHandler.builder().http(new java.net.InetSocketAddress("0.0.0.0", 0)).start();
                InboxHandler narrow = InboxHandler.builder().http(new java.net.InetSocketAddress("127.0.0.1", 0)).start()) {
            assertEquals("127.0.0.1", wide.uri().getHost());
            assertTrue(narrow.uri().getPort() > 0);
        } finally {
            System.setErr(saved);
        }
        List<String> warnings = err.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("WARN")).toList();
        assertEquals(1, warnings.size(), err::toString);
        assertTrue(warnings.get(0).contains("0.0.0.0") && warnings.get(0).contains("reachable from other machines")
                && warnings.get(0).contains("http-auth-file"), warnings.get(0));
    }

    @SuppressWarnings("unchecked")
    private List<String> subjects(String path) throws Exception {
        return f.messages(path).stream().map(m -> (String) m.get("Subject")).toList();
    }
}
