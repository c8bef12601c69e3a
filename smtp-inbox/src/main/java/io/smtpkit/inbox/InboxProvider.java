package io.smtpkit.inbox;

import com.google.auto.service.AutoService;
import io.smtpkit.server.FileAuthenticator;
import io.smtpkit.server.HandlerOptionException;
import io.smtpkit.server.HandlerOptions;
import io.smtpkit.server.HandlerProvider;
import io.smtpkit.server.SmtpHandler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Registers {@code inbox}: {@code smtpkit -c inbox} keeps what arrives and shows it on
 * {@code http://127.0.0.1:8026/}. Options: {@code http=HOST:PORT}, {@code max=N},
 * {@code dir=PATH}, {@code http-auth-file=FILE} (the server's password file format, see
 * {@link FileAuthenticator}).
 */
@AutoService(HandlerProvider.class)
public final class InboxProvider implements HandlerProvider {

    private static final Map<String, String> OPTIONS = options0();

    /** Made by {@link java.util.ServiceLoader}. */
    public InboxProvider() {}

    private static Map<String, String> options0() {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("http", "HOST:PORT of the web page and API (default 127.0.0.1:8026; not loopback is logged as a warning)");
        o.put("max", "messages kept, the oldest dropped beyond (default 1000)");
        o.put("dir", "a Maildir folder keeping the messages across restarts (default: memory only)");
        o.put("http-auth-file", "password file (user:password lines, as --auth-file) for HTTP basic auth on the page and API");
        return java.util.Collections.unmodifiableMap(o);
    }

    @Override
    public String name() {
        return "inbox";
    }

    @Override
    public List<String> aliases() {
        return List.of("mailpit");
    }

    @Override
    public String description() {
        return "keeps every message and shows it in a web page with a Mailpit-compatible API (http=127.0.0.1:8026)";
    }

    @Override
    public Map<String, String> options() {
        return OPTIONS;
    }

    @Override
    public SmtpHandler create(Map<String, String> options) {
        HandlerOptions o = HandlerOptions.of(name(), options, OPTIONS.keySet());
        InboxHandler.Builder b = InboxHandler.builder();
        String http = o.get("http", null);
        if (http != null) {
            b.http(address(http));
        }
        long max = o.number("max", InboxHandler.DEFAULT_MAX);
        if (max < 1 || max > 10_000_000) {
            throw new HandlerOptionException(name(), "max", "option max must be from 1 to 10000000, not " + max);
        }
        b.max((int) max);
        String dir = o.get("dir", null);
        if (dir != null) {
            try {
                b.maildir(Path.of(dir));
            } catch (InvalidPathException e) {
                throw new HandlerOptionException(name(), "dir", "option dir: " + e.getMessage(), e);
            }
        }
        String authFile = o.get("http-auth-file", null);
        if (authFile != null) {
            try {
                b.authenticator(FileAuthenticator.load(Path.of(authFile)));
            } catch (IOException | IllegalArgumentException e) {
                throw new HandlerOptionException(name(), "http-auth-file", "option http-auth-file: " + e.getMessage(), e);
            }
        }
        try {
            return b.start();
        } catch (UncheckedIOException e) {
            throw new HandlerOptionException(name(), "dir", "option dir: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new HandlerOptionException(name(), "http", "cannot listen on " + (http == null ? "127.0.0.1:8026" : http)
                    + " for the web page: " + e.getMessage() + " (choose another with -o http=HOST:PORT)", e);
        }
    }

    private InetSocketAddress address(String value) {
        String v = value.strip();
        int colon = v.lastIndexOf(':');
        if (colon <= 0 || colon == v.length() - 1) {
            throw new HandlerOptionException(name(), "http", "option http must be HOST:PORT, not '" + value + "'");
        }
        String host = v.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(v.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535) {
            throw new HandlerOptionException(name(), "http", "option http: the port must be from 0 to 65535, not '" + v.substring(colon + 1) + "'");
        }
        InetSocketAddress a = new InetSocketAddress(host, port);
        if (a.isUnresolved()) {
            throw new HandlerOptionException(name(), "http", "option http: cannot resolve host '" + host + "'");
        }
        return a;
    }
}
