package io.smtpkit.inbox.internal;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.smtpkit.server.Authenticator;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The inbox's web side on the JDK's {@code com.sun.net.httpserver}: the page (from the jar's
 * resources), the Mailpit-compatible API under {@code /api/v1}, the live updates at
 * {@code /api/events} and each message's HTML body at {@code /view/{ID}.html}.
 *
 * <p>Everything shown is mail someone else wrote, so: every response says {@code nosniff} and
 * {@code no-referrer}; the page runs under a policy with no inline script; the HTML body is a
 * document of its own, framed by the page in a sandbox and served with a policy that forbids
 * scripts, forms and, unless asked per message, any remote load; parts are always downloads.
 * Requests naming another host in {@code Host} are refused, so a web page cannot reach the inbox
 * by rebinding its own name to the loopback address.
 */
public final class WebServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WebServer.class);

    /** SSE streams each hold a worker; the rest of the pool stays free for requests. */
    private static final int THREADS = 48;
    private static final int MAX_STREAMS = 32;
    private static final int MAX_BODY = 1 << 20;
    private static final int DEFAULT_LIMIT = 50;
    /** Inline images up to this size become data: URLs in the HTML body, so it needs no other request. */
    private static final int MAX_INLINE_IMAGE = 4 << 20;
    /** The HTML part with its inline images in it, at most; beyond, references are left as they are. */
    private static final long MAX_EXPANDED_HTML = 16L << 20;

    static final String PAGE_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    static final String BODY_POLICY = "default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'; font-src data:; "
            + "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox";
    static final String BODY_POLICY_REMOTE = "default-src 'none'; img-src * data: cid:; style-src * 'unsafe-inline'; "
            + "font-src * data:; media-src *; base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox";
    private static final String DOWNLOAD_POLICY = "default-src 'none'; sandbox";

    private static final Pattern MESSAGE = Pattern.compile("/api/v1/message/([A-Za-z0-9_-]{1,64})(/raw|/headers|/part/([0-9.]{1,64}))?");
    private static final Pattern VIEW = Pattern.compile("/view/([A-Za-z0-9_-]{1,64})(\\.html|\\.txt)?");
    private static final Pattern MIME_TYPE = Pattern.compile("[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}");
    private static final Map<String, String> STATIC = Map.of(
            "/app.js", "application/javascript; charset=utf-8",
            "/app.css", "text/css; charset=utf-8",
            "/favicon.svg", "image/svg+xml");

    private final MessageStore store;
    private final Authenticator authenticator;
    private final Set<String> verifiedCredentials = Collections.synchronizedSet(new LinkedHashSet<>());
    private final HttpServer server;
    private final ExecutorService executor;
    private final Events events = new Events(MAX_STREAMS);
    private final String boundHost;
    private final boolean loopback;

    /**
     * Binds {@code address} and starts serving {@code store}; with an {@code authenticator},
     * every request needs HTTP basic auth that it accepts.
     */
    public WebServer(InetSocketAddress address, MessageStore store, Authenticator authenticator) throws IOException {
        this.store = store;
        this.authenticator = authenticator;
        this.boundHost = address.getHostString().toLowerCase(Locale.ROOT);
        this.loopback = address.getAddress() != null && address.getAddress().isLoopbackAddress();
        this.server = HttpServer.create(address, 64);
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(THREADS, THREADS, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "smtpkit-inbox-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
        this.executor = pool;
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        store.listen(this::publish);
        // The server's dispatcher thread takes its daemon status from the thread that starts it:
        // started from a daemon thread, an inbox embedded in a test or an application never keeps
        // the JVM alive (the command line waits for its server anyway).
        Thread starter = new Thread(server::start, "smtpkit-inbox-start");
        starter.setDaemon(true);
        starter.start();
        try {
            starter.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.stop(0);
            throw new java.io.InterruptedIOException("interrupted while starting the inbox's web server");
        }
    }

    /** The bound address, with the real port. */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    private void publish(MessageStore.Change change) {
        if (change instanceof MessageStore.Change.Added added) {
            events.publish("new", ApiJson.messageSummary(added.message()));
        } else if (change instanceof MessageStore.Change.Removed removed) {
            Json j = new Json().beginObject().name("IDs").beginArray();
            removed.ids().forEach(j::value);
            events.publish("delete", j.endArray().endObject().toString());
        } else if (change instanceof MessageStore.Change.Marked marked) {
            Json j = new Json().beginObject().name("IDs").beginArray();
            marked.ids().forEach(j::value);
            events.publish("read", j.endArray().field("Read", marked.read()).endObject().toString());
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            Headers h = exchange.getResponseHeaders();
            h.set("X-Content-Type-Options", "nosniff");
            h.set("Referrer-Policy", "no-referrer");
            h.set("Cache-Control", "no-store");
            if (!hostAllowed(exchange.getRequestHeaders().getFirst("Host"))) {
                text(exchange, 421, "this inbox answers only to its own address, not that Host header");
                return;
            }
            if (!authorized(exchange)) {
                h.set("WWW-Authenticate", "Basic realm=\"smtpkit inbox\", charset=\"UTF-8\"");
                text(exchange, 401, "authentication required");
                return;
            }
            route(exchange);
        } catch (IOException e) {
            // the browser went away mid-response
            log.debug("inbox: {} {}: {}", exchange.getRequestMethod(), exchange.getRequestURI(), e.toString());
        } catch (RuntimeException e) {
            log.warn("inbox: {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(), e);
            try {
                text(exchange, 500, "internal error");
            } catch (IOException | RuntimeException ignored) {
                // headers were already sent
            }
        }
    }

    private void route(HttpExchange x) throws IOException {
        String method = x.getRequestMethod();
        String path = x.getRequestURI().getRawPath();
        Map<String, String> query = query(x.getRequestURI());
        if (path.equals("/") || path.equals("/index.html")) {
            if (allow(x, "GET")) {
                page(x);
            }
            return;
        }
        if (STATIC.containsKey(path)) {
            if (allow(x, "GET")) {
                resource(x, path);
            }
            return;
        }
        if (path.equals("/api/events")) {
            if (method.equals("GET")) {
                events.serve(x);
            } else {
                notAllowed(x, "GET");
            }
            return;
        }
        if (path.equals("/api/v1/messages")) {
            switch (method) {
                case "GET" -> list(x, store.newestFirst(), query);
                case "DELETE" -> delete(x);
                case "PUT" -> mark(x);
                default -> notAllowed(x, "GET, DELETE, PUT");
            }
            return;
        }
        if (path.equals("/api/v1/search")) {
            List<StoredMessage> found = store.newestFirst().stream()
                    .filter(Search.parse(query.getOrDefault("query", ""))).toList();
            switch (method) {
                case "GET" -> list(x, found, query);
                case "DELETE" -> {
                    store.delete(found.stream().map(m -> m.id).toList());
                    text(x, 200, "ok");
                }
                default -> notAllowed(x, "GET, DELETE");
            }
            return;
        }
        Matcher m = MESSAGE.matcher(path);
        if (m.matches()) {
            if (!allow(x, "GET")) {
                return;
            }
            StoredMessage message = m.group(1).equals("latest") ? store.latest() : store.get(m.group(1));
            if (message == null) {
                text(x, 404, "message not found");
            } else if (m.group(2) == null) {
                if (method.equals("GET")) {
                    store.mark(List.of(message.id), true); // opened, as Mailpit marks it
                }
                json(x, ApiJson.message(message));
            } else if (m.group(2).equals("/raw")) {
                raw(x, message, query.containsKey("dl"));
            } else if (m.group(2).equals("/headers")) {
                json(x, ApiJson.headers(message));
            } else {
                part(x, message, m.group(3));
            }
            return;
        }
        Matcher v = VIEW.matcher(path);
        if (v.matches()) {
            if (!allow(x, "GET")) {
                return;
            }
            StoredMessage message = store.get(v.group(1));
            if (v.group(2) == null) {
                // The page itself, which opens the message named in its address (or says it is gone).
                page(x);
            } else if (message == null) {
                text(x, 404, "message not found");
            } else if (v.group(2).equals(".html")) {
                htmlBody(x, message, query.containsKey("remote"));
            } else {
                String text = message.view.text;
                if (text == null) {
                    text(x, 404, "the message has no text part");
                } else {
                    text(x, 200, text);
                }
            }
            return;
        }
        text(x, 404, "not found");
    }

    private void list(HttpExchange x, List<StoredMessage> matched, Map<String, String> query) throws IOException {
        int start = number(query.get("start"), 0);
        int limit = number(query.get("limit"), DEFAULT_LIMIT);
        if (start < 0 || limit < 0) {
            text(x, 400, "start and limit must be whole numbers, 0 or more");
            return;
        }
        int from = Math.min(start, matched.size());
        int to = limit == 0 ? matched.size() : (int) Math.min((long) from + limit, matched.size());
        json(x, ApiJson.summary(store, matched, start, matched.subList(from, to)));
    }

    private void delete(HttpExchange x) throws IOException {
        Map<String, Object> body = body(x, "IDs");
        if (body == null) {
            return;
        }
        List<String> ids = ids(body.get("IDs"));
        if (ids == null) {
            text(x, 400, "IDs must be an array of strings");
            return;
        }
        // As in Mailpit: no IDs (an empty body, {} or []) deletes every message.
        if (ids.isEmpty()) {
            store.deleteAll();
        } else {
            store.delete(ids);
        }
        text(x, 200, "ok");
    }

    private void mark(HttpExchange x) throws IOException {
        Map<String, Object> body = body(x, "IDs", "Read");
        if (body == null) {
            return;
        }
        List<String> ids = ids(body.get("IDs"));
        Object read = body.get("Read");
        if (ids == null || !(read instanceof Boolean)) {
            text(x, 400, "expected {\"IDs\": [...], \"Read\": true or false}");
            return;
        }
        store.mark(ids, (Boolean) read);
        text(x, 200, "ok");
    }

    /**
     * The request's JSON object with its keys as {@code fields} spell them, matched without case as
     * Mailpit's Go decoder does; an empty body is {@code {}}. Null (after a 400) for anything else,
     * another key included: a misspelt {@code "ids"} must not read as "no IDs", which deletes all.
     */
    private Map<String, Object> body(HttpExchange x, String... fields) throws IOException {
        Map<String, Object> body = body(x);
        if (body == null) {
            return null;
        }
        Map<String, Object> named = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : body.entrySet()) {
            String field = null;
            for (String f : fields) {
                if (f.equalsIgnoreCase(e.getKey())) {
                    field = f;
                }
            }
            if (field == null) {
                text(x, 400, "unknown field; expected " + String.join(", ", fields));
                return null;
            }
            named.put(field, e.getValue());
        }
        return named;
    }

    /** The request's JSON object; an empty body is {@code {}}; null (after a 400) if it is not one. */
    private Map<String, Object> body(HttpExchange x) throws IOException {
        byte[] bytes;
        try (InputStream in = x.getRequestBody()) {
            bytes = in.readNBytes(MAX_BODY + 1);
        }
        if (bytes.length > MAX_BODY) {
            text(x, 413, "request body too large");
            return null;
        }
        String text = new String(bytes, StandardCharsets.UTF_8).strip();
        if (text.isEmpty()) {
            return Map.of();
        }
        try {
            Object parsed = JsonReader.parse(text);
            if (parsed instanceof Map<?, ?> map) {
                Map<String, Object> result = new LinkedHashMap<>();
                map.forEach((k, val) -> result.put((String) k, val));
                return result;
            }
            text(x, 400, "expected a JSON object");
        } catch (IllegalArgumentException e) {
            text(x, 400, e.getMessage());
        }
        return null;
    }

    private static List<String> ids(Object value) {
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof List<?> list)) {
            return null;
        }
        List<String> ids = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof String s)) {
                return null;
            }
            ids.add(s);
        }
        return ids;
    }

    private void raw(HttpExchange x, StoredMessage m, boolean download) throws IOException {
        Headers h = x.getResponseHeaders();
        h.set("Content-Type", "text/plain; charset=utf-8");
        h.set("Content-Security-Policy", DOWNLOAD_POLICY);
        if (download) {
            h.set("Content-Disposition", "attachment; filename=\"" + m.id + ".eml\"");
        }
        send(x, 200, m.raw());
    }

    private void part(HttpExchange x, StoredMessage m, String partId) throws IOException {
        Map.Entry<MimeView.PartInfo, byte[]> part = MimeView.part(m.raw(), partId);
        if (part == null) {
            text(x, 404, "part not found");
            return;
        }
        MimeView.PartInfo info = part.getKey();
        String type = MIME_TYPE.matcher(info.contentType()).matches() ? info.contentType() : "application/octet-stream";
        Headers h = x.getResponseHeaders();
        h.set("Content-Type", type);
        h.set("Content-Security-Policy", DOWNLOAD_POLICY);
        // Always a download: a part is the sender's file, and rendered inline an HTML or SVG part
        // would run as this origin.
        h.set("Content-Disposition", disposition(info.fileName().isEmpty() ? "part-" + info.partId() : info.fileName()));
        send(x, 200, part.getValue());
    }

    /** {@code attachment} with an ASCII fallback name and the exact name in RFC 6266's {@code filename*}. */
    static String disposition(String name) {
        StringBuilder ascii = new StringBuilder();
        for (int i = 0; i < name.length() && ascii.length() < 200; i++) {
            char c = name.charAt(i);
            ascii.append(c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '/' && c != ';' && c != '%' ? c : '_');
        }
        StringBuilder encoded = new StringBuilder();
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c < 0x80 && (Character.isLetterOrDigit(c) || "!#$&+-.^_`|~".indexOf(c) >= 0)) {
                encoded.append((char) c);
            } else {
                encoded.append('%').append(HexFormat.of().withUpperCase().toHexDigits((byte) c));
            }
        }
        return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
    }

    private void htmlBody(HttpExchange x, StoredMessage m, boolean remote) throws IOException {
        String html = m.view.html;
        if (html == null) {
            text(x, 404, "the message has no HTML part");
            return;
        }
        for (MimeView.PartInfo p : m.view.inline) {
            if (p.contentId().isEmpty() || p.size() > MAX_INLINE_IMAGE || !p.contentType().startsWith("image/")
                    || !MIME_TYPE.matcher(p.contentType()).matches() || !html.contains("cid:" + p.contentId())) {
                continue;
            }
            String cid = "cid:" + p.contentId();
            int uses = occurrences(html, cid);
            // Every use is replaced by the whole image: 400 uses of one 3 MB image would be a
            // gigabyte page. Past the budget the reference stays as it is (a broken image).
            long grown = (long) uses * (p.size() * 4 / 3 + p.contentType().length() + 16);
            if (html.length() + grown > MAX_EXPANDED_HTML) {
                continue;
            }
            Map.Entry<MimeView.PartInfo, byte[]> part = MimeView.part(m.raw(), p.partId());
            if (part != null) {
                html = html.replace(cid, "data:" + p.contentType() + ";base64," + Base64.getEncoder().encodeToString(part.getValue()));
            }
        }
        Headers h = x.getResponseHeaders();
        h.set("Content-Type", "text/html; charset=utf-8");
        h.set("Content-Security-Policy", remote ? BODY_POLICY_REMOTE : BODY_POLICY);
        h.set("X-Frame-Options", "SAMEORIGIN");
        send(x, 200, html.getBytes(StandardCharsets.UTF_8));
    }

    private static int occurrences(String text, String what) {
        int n = 0;
        for (int at = text.indexOf(what); at >= 0; at = text.indexOf(what, at + what.length())) {
            n++;
        }
        return n;
    }

    private void page(HttpExchange x) throws IOException {
        x.getResponseHeaders().set("Content-Security-Policy", PAGE_POLICY);
        x.getResponseHeaders().set("X-Frame-Options", "DENY");
        resource(x, "/index.html");
    }

    private void resource(HttpExchange x, String path) throws IOException {
        byte[] bytes;
        try (InputStream in = WebServer.class.getResourceAsStream("/io/smtpkit/inbox/ui" + path)) {
            if (in == null) {
                text(x, 404, "not found");
                return;
            }
            bytes = in.readAllBytes();
        }
        x.getResponseHeaders().set("Content-Type", STATIC.getOrDefault(path, "text/html; charset=utf-8"));
        send(x, 200, bytes);
    }

    /** Whether the request's method is {@code method} (HEAD counts as GET); answers 405 if not. */
    private boolean allow(HttpExchange x, String method) throws IOException {
        String asked = x.getRequestMethod();
        if (asked.equals(method) || asked.equals("HEAD") && method.equals("GET")) {
            return true;
        }
        notAllowed(x, method);
        return false;
    }

    private static void notAllowed(HttpExchange x, String methods) throws IOException {
        x.getResponseHeaders().set("Allow", methods);
        text(x, 405, "method not allowed");
    }

    private static void json(HttpExchange x, String json) throws IOException {
        x.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        send(x, 200, json.getBytes(StandardCharsets.UTF_8));
    }

    private static void text(HttpExchange x, int status, String text) throws IOException {
        x.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        send(x, status, text.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange x, int status, byte[] body) throws IOException {
        boolean head = x.getRequestMethod().equals("HEAD");
        x.sendResponseHeaders(status, head || body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) {
            try (OutputStream out = x.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private static int number(String value, int fallback) {
        if (value == null || value.isEmpty()) {
            return fallback;
        }
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static Map<String, String> query(URI uri) {
        String raw = uri.getRawQuery();
        if (raw == null || raw.isEmpty()) {
            return Map.of();
        }
        Map<String, String> map = new LinkedHashMap<>();
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            try {
                map.putIfAbsent(URLDecoder.decode(key, StandardCharsets.UTF_8), URLDecoder.decode(value, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                // a malformed escape: the pair is ignored
            }
        }
        return map;
    }

    /**
     * Whether {@code Host} names this server: an IP literal, {@code localhost}, or the host it
     * was bound with. A rebinding attack's requests carry the attacker's own name. Only checked
     * on loopback, the developer's machine: an inbox shared on a network is reached under
     * whatever names that network gives it (a container's service name).
     */
    private boolean hostAllowed(String host) {
        if (host == null || !loopback) {
            return true; // HTTP/1.0; browsers always send it
        }
        String name = host.toLowerCase(Locale.ROOT);
        if (name.startsWith("[")) {
            return true; // an IPv6 literal
        }
        int colon = name.lastIndexOf(':');
        if (colon >= 0) {
            name = name.substring(0, colon);
        }
        if (name.equals("localhost") || name.endsWith(".localhost") || name.equals(boundHost)
                || name.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
            return true;
        }
        // The machine's own name, exactly: a prefix match would let vm.attacker.example in.
        try {
            String local = InetAddress.getLocalHost().getHostName().toLowerCase(Locale.ROOT);
            return name.equals(local);
        } catch (IOException e) {
            return false;
        }
    }

    private boolean authorized(HttpExchange x) {
        if (authenticator == null) {
            return true;
        }
        String header = x.getRequestHeaders().getFirst("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return false;
        }
        // A hashed password costs ~100 ms to check: remember the digests of credentials that
        // passed, so the page's many requests are not each that slow.
        String digest = sha256(header);
        if (verifiedCredentials.contains(digest)) {
            return true;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(header.substring(6).strip()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return false;
        }
        int colon = decoded.indexOf(':');
        try {
            if (colon < 0 || !authenticator.authenticate(decoded.substring(0, colon), decoded.substring(colon + 1))) {
                return false;
            }
        } catch (Exception e) {
            log.warn("inbox: the authenticator failed: {}", e.toString());
            return false;
        }
        synchronized (verifiedCredentials) {
            if (verifiedCredentials.size() >= 64) {
                verifiedCredentials.remove(verifiedCredentials.iterator().next());
            }
            verifiedCredentials.add(digest);
        }
        return true;
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Stops serving at once: ends the event streams and closes every connection (a page reconnects by itself). */
    @Override
    public void close() {
        events.close();
        server.stop(0);
        executor.shutdownNow();
    }

    /** For tests: the open event streams. */
    public int eventStreams() {
        return events.subscribers();
    }

}
