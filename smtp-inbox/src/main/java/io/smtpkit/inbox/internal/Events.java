package io.smtpkit.inbox.internal;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Server-sent events ({@code text/event-stream}) to the open pages: one event per change, so the
 * list updates as mail arrives without polling. {@code jdk.httpserver} streams a response whose
 * length is given as 0 (chunked), which is all SSE needs; each open page holds one HTTP worker
 * thread, parked on its queue.
 *
 * <p>A page that reads too slowly loses events past its queue and is closed; its browser
 * reconnects by itself ({@code EventSource}) and reloads the list.
 */
final class Events {

    /** Comment lines now and then: a dead peer then fails a write and frees its thread. */
    private static final long KEEPALIVE_SECONDS = 20;
    private static final String CLOSE = "";

    private final Set<BlockingQueue<String>> subscribers = ConcurrentHashMap.newKeySet();
    private final int maxSubscribers;
    private volatile boolean closed;

    Events(int maxSubscribers) {
        this.maxSubscribers = maxSubscribers;
    }

    /** Sends {@code data} (one JSON line) as an event named {@code type} to every page. */
    void publish(String type, String data) {
        String event = "event: " + type + "\ndata: " + data + "\n\n";
        for (BlockingQueue<String> q : subscribers) {
            if (!q.offer(event)) {
                q.clear();
                q.offer(CLOSE);
            }
        }
    }

    /** Serves one {@code /api/events} request until the page goes away or the inbox closes. */
    void serve(HttpExchange exchange) throws IOException {
        if (closed || subscribers.size() >= maxSubscribers) {
            exchange.getResponseHeaders().set("Retry-After", "5");
            exchange.sendResponseHeaders(503, -1);
            return;
        }
        BlockingQueue<String> queue = new ArrayBlockingQueue<>(256);
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(200, 0);
        subscribers.add(queue);
        try (OutputStream out = exchange.getResponseBody()) {
            // "retry" sets the browser's reconnect delay; the first bytes also flush the headers.
            out.write("retry: 1000\n: connected\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            while (!closed) {
                String event = queue.poll(KEEPALIVE_SECONDS, TimeUnit.SECONDS);
                if (event != null && event.isEmpty()) { // CLOSE
                    break;
                }
                out.write((event == null ? ": keepalive\n\n" : event).getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            subscribers.remove(queue);
        }
    }

    /** Ends every stream. */
    void close() {
        closed = true;
        for (BlockingQueue<String> q : subscribers) {
            q.clear();
            q.offer(CLOSE);
        }
    }

    int subscribers() {
        return subscribers.size();
    }
}
