package io.smtpkit.inbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Live updates: one server-sent event per arrival, delete and read mark, pushed to an open stream. */
class InboxEventsTest {

    private Fixture f;
    private final ExecutorService reader = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "sse-reader");
        t.setDaemon(true);
        return t;
    });
    private BufferedReader events;

    @BeforeEach
    void open() throws Exception {
        f = new Fixture(2, null);
        HttpResponse<InputStream> stream = f.http.send(HttpRequest.newBuilder(f.uri("api/events")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, stream.statusCode());
        assertEquals("text/event-stream; charset=utf-8", stream.headers().firstValue("Content-Type").orElse(""));
        events = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8));
        assertEquals("retry: 1000", line());
        assertEquals(": connected", line());
    }

    @AfterEach
    void close() {
        f.close();
        reader.shutdownNow();
    }

    /** The next line of the stream, within 10 seconds. */
    private String line() throws Exception {
        CompletableFuture<String> next = CompletableFuture.supplyAsync(() -> {
            try {
                return events.readLine();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, reader);
        return next.get(10, TimeUnit.SECONDS);
    }

    /** The next event, as its two lines. */
    private String event() throws Exception {
        String line;
        do {
            line = line();
        } while (line.isEmpty() || line.startsWith(":"));
        String data = line();
        return line + "\n" + data;
    }

    @Test
    void arrivalDeleteAndReadArePushed() throws Exception {
        f.send(f.message("a@example.org", "b@example.net", "pushed", "hello"));
        String added = event();
        assertTrue(added.startsWith("event: new\ndata: {\"ID\":\""), added);
        assertTrue(added.contains("\"Subject\":\"pushed\""), added);
        String id = (String) f.messages("api/v1/messages").get(0).get("ID");
        assertTrue(added.contains("\"ID\":\"" + id + "\""), added);

        f.request("PUT", "api/v1/messages", "{\"IDs\": [\"" + id + "\"], \"Read\": true}");
        assertEquals("event: read\ndata: {\"IDs\":[\"" + id + "\"],\"Read\":true}", event());

        f.request("DELETE", "api/v1/messages", "{\"IDs\": [\"" + id + "\"]}");
        assertEquals("event: delete\ndata: {\"IDs\":[\"" + id + "\"]}", event());
    }

    @Test
    void droppingTheOldestIsADeleteToo() throws Exception {
        for (int i = 1; i <= 3; i++) {
            f.send(f.message("a@example.org", "b@example.net", "m" + i, "x"));
        }
        assertTrue(event().startsWith("event: new"));
        assertTrue(event().startsWith("event: new"));
        String third = event();
        assertTrue(third.contains("\"Subject\":\"m3\""), third);
        String dropped = event();
        assertTrue(dropped.startsWith("event: delete\ndata: {\"IDs\":[\""), dropped);
        assertEquals(2, f.messages("api/v1/messages").size());
    }
}
