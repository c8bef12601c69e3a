package io.smtpkit.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.smtpkit.server.testsupport.SmtpClient;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

/** The opt-in web inbox for a failing test: the messages it got, at an address printed and reported. */
class FailureInboxTest {

    static volatile boolean insideEngineTestKit;

    static boolean insideEngineTestKit() {
        return insideEngineTestKit;
    }

    @RegisterExtension
    static SmtpServerExtension smtp = SmtpServerExtension.create();

    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void noWaiting() {
        System.setProperty(FailureInbox.HOLD_PROPERTY, "0");
        System.setProperty(FailureInbox.HTTP_PROPERTY, "127.0.0.1:0");
    }

    @AfterAll
    static void clear() {
        System.clearProperty(FailureInbox.HOLD_PROPERTY);
        System.clearProperty(FailureInbox.HTTP_PROPERTY);
    }

    @Test
    void showsTheMessagesAndSaysWhere() throws Exception {
        assertTrue(SmtpClient.deliver(new InetSocketAddress(smtp.host(), smtp.port()), "app@example.org", "user@example.net",
                "Subject: the one that failed\r\n\r\nbody\r\n").startsWith("250"));
        smtp.awaitMessage();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        URI page = FailureInbox.show("checkout()", smtp.messages(), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertNotNull(page);
        String said = err.toString(StandardCharsets.UTF_8);
        assertTrue(said.startsWith("smtpkit testkit: checkout() failed; the 1 message(s) it received are at " + page), said);
        assertTrue(page.getPath().startsWith("/view/"), page::toString);
        String id = page.getPath().substring("/view/".length());
        HttpResponse<String> message = http.send(HttpRequest.newBuilder(page.resolve("/api/v1/message/" + id)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, message.statusCode());
        assertTrue(message.body().contains("\"Subject\":\"the one that failed\""), message.body());
        assertTrue(message.body().contains("\"ReturnPath\":\"app@example.org\""), message.body());
    }

    @Test
    void offUnlessAskedAndAlwaysOffInCi() {
        boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
        assertFalse(FailureInbox.wanted(false));
        assertEquals(!ci, FailureInbox.wanted(true));
    }

    @Test
    void aFailingTestOfAnInboxServerReportsItsPage() {
        insideEngineTestKit = true;
        List<Event> events;
        try {
            events = EngineTestKit.engine("junit-jupiter").selectors(selectClass(Failing.class)).execute()
                    .allEvents().reportingEntryPublished().list();
        } finally {
            insideEngineTestKit = false;
        }
        List<Map<String, String>> entries = events.stream()
                .map(e -> e.getPayload(ReportEntry.class).orElseThrow().getKeyValuePairs()).toList();
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            assertEquals(List.of(), entries, "never under CI=true");
        } else {
            assertEquals(1, entries.size(), entries::toString);
            assertTrue(entries.get(0).get("smtpkit.inbox").matches("http://127\\.0\\.0\\.1:\\d+/view/[A-Za-z0-9_-]{22}"),
                    entries::toString);
        }
    }

    @EnabledIf(value = "io.smtpkit.testkit.FailureInboxTest#insideEngineTestKit", disabledReason = "an example run by FailureInboxTest")
    static class Failing {
        @RegisterExtension
        static SmtpServerExtension server = SmtpServerExtension.builder().inboxOnFailure().build();

        @Test
        void fails() throws Exception {
            SmtpClient.deliver(new InetSocketAddress(server.host(), server.port()), "a@example.org", "b@example.net",
                    "Subject: x\r\n\r\ny\r\n");
            server.awaitMessage();
            throw new AssertionError("the code under test sent the wrong mail");
        }

        @Test
        void passes() {
            // no inbox for a test that passes
        }
    }
}
