package io.smtpkit.inbox.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The inbox's small parts: JSON in and out, the search words, MIME that is not, download names. */
class InternalsTest {

    @Test
    void jsonEscapesForJsonAndHtml() {
        String json = new Json().beginObject().field("s", "a\"b\\c\n\r\t\u0001</script>&'\u2028").field("n", 42)
                .field("b", true).name("l").beginArray().value("x").value((String) null).endArray().endObject().toString();
        assertEquals("{\"s\":\"a\\\"b\\\\c\\n\\r\\t\\u0001\\u003c/script\\u003e\\u0026\\u0027\\u2028\",\"n\":42,\"b\":true,"
                + "\"l\":[\"x\",null]}", json);
        assertEquals(Map.of("s", "a\"b\\c\n\r\t\u0001</script>&'\u2028", "n", 42.0, "b", true,
                "l", java.util.Arrays.asList("x", null)), JsonReader.parse(json));
    }

    @ParameterizedTest
    @ValueSource(strings = {"{", "{\"IDs\": [}", "[1,]", "{\"a\" 1}", "\"\\x\"", "{} x", "tru", "\"\u0001\""})
    void jsonReaderRefusesWhatIsNotJson(String text) {
        assertThrows(IllegalArgumentException.class, () -> JsonReader.parse(text));
    }

    @Test
    void jsonReaderCapsNesting() {
        assertThrows(IllegalArgumentException.class, () -> JsonReader.parse("[".repeat(10_000) + "]".repeat(10_000)));
    }

    @Test
    void searchWordsKeepQuotesTogether() {
        assertEquals(List.of("from:alice", "\"two words\"", "-to:bob", "subject:\"a b\""),
                Search.tokens("  from:alice \"two words\"  -to:bob subject:\"a b\" "));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "report.pdf | attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf",
            "a\"b;c/d%.txt | attachment; filename=\"a_b_c_d_.txt\"; filename*=UTF-8''a%22b%3Bc%2Fd%25.txt",
            "r\u00e9sum\u00e9.pdf | attachment; filename=\"r_sum_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"})
    void downloadNamesAreQuotedAndEncoded(String name, String header) {
        assertEquals(header, WebServer.disposition(name));
    }

    @Test
    void aLineBreakInANameCannotStartAHeader() {
        assertEquals("attachment; filename=\"x__y: z\"; filename*=UTF-8''x%0D%0Ay%3A%20z", WebServer.disposition("x\r\ny: z"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "",
            "\r\n\r\n",
            "no header here\r\n",
            "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nunclosed",
            "Content-Type: multipart/mixed\r\n\r\nno boundary at all",
            "Content-Type: text/plain; charset=no-such-charset\r\nContent-Transfer-Encoding: base64\r\n\r\n@@@@",
            "From: =?x?Q?broken?= <<<\r\nTo: ,,,@@\r\nDate: yesterday-ish\r\nSubject: =?utf-8?B?###?=\r\n\r\nbody",
            "Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body"})
    void mimeViewNeverThrows(String raw) {
        MimeView v = MimeView.parse(raw.getBytes(StandardCharsets.ISO_8859_1));
        assertNotNull(v.subject);
        assertNotNull(v.from);
        assertNotNull(v.snippet);
        assertNull(MimeView.part(raw.getBytes(StandardCharsets.ISO_8859_1), "9.9"));
    }

    @Test
    void partsAreNumberedAsPaths() {
        String raw = "Content-Type: multipart/mixed; boundary=\"o\"\r\n\r\n"
                + "--o\r\nContent-Type: multipart/related; boundary=\"i\"\r\n\r\n"
                + "--i\r\nContent-Type: text/html\r\n\r\n<img src=\"cid:logo\">\r\n"
                + "--i\r\nContent-Type: image/png\r\nContent-ID: <logo>\r\nContent-Transfer-Encoding: base64\r\n\r\naGk=\r\n--i--\r\n"
                + "--o\r\nContent-Type: text/csv; name=\"d.csv\"\r\nContent-Disposition: attachment; filename=\"d.csv\"\r\n\r\na,b\r\n--o--\r\n";
        MimeView v = MimeView.parse(raw.getBytes(StandardCharsets.US_ASCII));
        assertEquals(List.of(new MimeView.PartInfo("1.2", "", "image/png", "logo", 2)), v.inline);
        assertEquals(List.of(new MimeView.PartInfo("2", "d.csv", "text/csv", "", 3)), v.attachments);
        assertTrue(v.html.contains("cid:logo"));
        assertEquals("hi", new String(MimeView.part(raw.getBytes(StandardCharsets.US_ASCII), "1.2").getValue(), StandardCharsets.US_ASCII));
    }

    @Test
    void multipartsNestedThousandsDeepAreListedNotOpened() {
        StringBuilder raw = new StringBuilder("Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n");
        for (int i = 0; i < 20_000; i++) {
            raw.append("--b").append(i).append("\r\nContent-Type: multipart/mixed; boundary=\"b").append(i + 1).append("\"\r\n\r\n");
        }
        MimeView v = MimeView.parse(raw.toString().getBytes(StandardCharsets.US_ASCII));
        assertNotNull(v.problem(), "a StackOverflowError took the handler down before");
        assertNull(MimeView.part(raw.toString().getBytes(StandardCharsets.US_ASCII), "1" + ".1".repeat(40)));
    }

    @Test
    void aSinglePartMessageIsItsOwnPartOne() {
        String raw = "Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"x.pdf\"\r\n"
                + "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n";
        byte[] bytes = raw.getBytes(StandardCharsets.US_ASCII);
        assertEquals(List.of(new MimeView.PartInfo("1", "x.pdf", "application/pdf", "", 5)), MimeView.parse(bytes).attachments);
        assertEquals("%PDF-", new String(MimeView.part(bytes, "1").getValue(), StandardCharsets.US_ASCII),
                "listed as part 1, so downloadable as part 1");
        assertNull(MimeView.part(bytes, "2"));
    }

    @Test
    void aQueryOfSixtyThousandWordsIsCutNotAStackOverflow() {
        StoredMessage m = new StoredMessage("id", java.time.Instant.now(), "a@example.org", List.of("b@example.net"),
                "Subject: hello\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII), null, false);
        assertTrue(Search.parse("hello " + "h ".repeat(60_000)).test(m));
        assertTrue(!Search.parse("hello nothere").test(m));
        assertTrue(Search.parse("h ".repeat(Search.MAX_TERMS) + "nothere").test(m), "words past the cap are ignored");
    }
}
