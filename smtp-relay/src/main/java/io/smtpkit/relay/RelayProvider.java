package io.smtpkit.relay;

import com.google.auto.service.AutoService;
import io.smtpkit.protocol.client.ClientConfig;
import io.smtpkit.protocol.client.Wait;
import io.smtpkit.relay.internal.TlsContexts;
import io.smtpkit.relay.queue.DiskQueueStore;
import io.smtpkit.relay.queue.QueueConfig;
import io.smtpkit.relay.queue.QueueStore;
import io.smtpkit.relay.queue.QueueStores;
import io.smtpkit.server.HandlerOptionException;
import io.smtpkit.server.HandlerOptions;
import io.smtpkit.server.HandlerProvider;
import io.smtpkit.server.SmtpHandler;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Registers {@code relay} (smtpd's {@code PureProxy}): {@code -c relay 127.0.0.1:8025
 * mail.example.org:587}, or {@code -o upstream=...}. Every option is checked when the handler is
 * made, so a wrong value stops the server at start with a message naming the option.
 */
@AutoService(HandlerProvider.class)
public final class RelayProvider implements HandlerProvider {

    /** Every option, with its description; the {@code lmtp} handler takes them all for its non-list recipients. */
    static final Map<String, String> OPTIONS = describeOptions();

    private final String handler;

    /** The {@code relay} handler's provider (made by {@link java.util.ServiceLoader}). */
    public RelayProvider() {
        this("relay");
    }

    /** Reads the relay's options for {@code handler}, whose name the errors give. */
    RelayProvider(String handler) {
        this.handler = handler;
    }

    private static Map<String, String> describeOptions() {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("upstream", "HOST:PORT of the next hop (or the second positional address, as in smtpd)");
        o.put("route", "DOMAIN=HOST:PORT[,DOMAIN=HOST:PORT...]: that recipient domain goes there instead (repeatable)");
        o.put("helo", "the name given in EHLO to the next hop (default: localhost)");
        o.put("tls", "STARTTLS to the next hop: off, opportunistic (default) or required (4xx when it cannot be had)");
        o.put("tls-trust", "PEM file of the CA(s) trusted for tls=required (default: the JDK's trust store)");
        o.put("tls-verify", "false to skip the certificate and host name check of tls=required (default: true)");
        o.put("auth-user", "user name for AUTH PLAIN/LOGIN to the next hop; needs auth-password-file");
        o.put("auth-password-file", "file whose first line is the AUTH password (never logged)");
        o.put("auth-insecure", "true to allow AUTH without TLS (default: false)");
        o.put("networks", "CIDR,... of clients that may relay anywhere (default: 127.0.0.0/8,::1/128)");
        o.put("domains", "DOMAIN,... accepted from any client (the domains this server takes mail for)");
        o.put("timeout-connect", "time to connect to the next hop, e.g. 30s (default: 30s)");
        o.put("timeout-reply", "time to wait for each reply before the data's end (default: RFC 5321, 2 to 5 min)");
        o.put("timeout-data", "time for each content write and the reply after the data (default: 3 min / 10 min)");
        o.put("queue", "DIR (or postgresql://...): store and forward: 250 once the message is on disk, delivered in the background");
        o.put("retry-min", "queue: wait after a first deferral, e.g. 30s (default: 300s)");
        o.put("retry-max", "queue: longest wait between attempts (default: 4000s)");
        o.put("lifetime", "queue: how long a recipient is tried before a failure notice, e.g. 5d (default: 5d)");
        o.put("delay-warning", "queue: tell the sender after this long that delivery is still tried, e.g. 4h (default: never)");
        o.put("queue-workers", "queue: deliveries at once (default: 10)");
        o.put("queue-lease", "queue: how long a claim on a message lasts unless renewed, e.g. 30s (default: 2m); "
                + "how long a dead node's mail waits for another node");
        o.put("queue-reserve", "queue: free space kept on the queue's disk, e.g. 100M or 5% (default: 100M); below it 452 4.3.1");
        return Collections.unmodifiableMap(o);
    }

    @Override
    public String name() {
        return "relay";
    }

    @Override
    public List<String> aliases() {
        return List.of("PureProxy");
    }

    @Override
    public String description() {
        return "relays each message to a next hop while the client waits, never an open relay (smtpd's PureProxy)";
    }

    @Override
    public Map<String, String> options() {
        return OPTIONS;
    }

    @Override
    public SmtpHandler create(Map<String, String> options) {
        RelayConfig config = config(options);
        QueuedRelayHandler queued = queued(config, options);
        return queued != null ? queued : new RelayHandler(config);
    }

    /**
     * Queue mode's handler for {@code config} when {@code -o queue=} is given (its store opened,
     * its runner started), else null; the queue's own options without a queue are refused.
     */
    QueuedRelayHandler queued(RelayConfig config, Map<String, String> options) {
        HandlerOptions o = HandlerOptions.of(handler, options, OPTIONS.keySet());
        String queue = o.get("queue", null);
        if (queue == null) {
            for (String key : QUEUE_ONLY) {
                if (o.get(key, null) != null) {
                    throw fail(key, "option " + key + " needs a queue (-o queue=DIR)");
                }
            }
            return null;
        }
        QueueConfig q = queueConfig(o);
        DiskQueueStore.Reserve reserve;
        try {
            reserve = DiskQueueStore.Reserve.parse(o.get("queue-reserve", "100M"));
        } catch (IllegalArgumentException e) {
            throw fail("queue-reserve", "option queue-reserve: " + e.getMessage());
        }
        QueueStore store;
        try {
            store = QueueStores.open(queue, reserve);
        } catch (IOException | IllegalArgumentException e) {
            // a database store's messages name its URL with the password masked; the spec itself may hold one
            throw fail("queue", (QueueStores.isDatabase(queue) ? "queue: " : "queue " + queue + ": ") + e.getMessage());
        }
        return new QueuedRelayHandler(config, store, q);
    }

    private static final List<String> QUEUE_ONLY =
            List.of("retry-min", "retry-max", "lifetime", "delay-warning", "queue-workers", "queue-lease", "queue-reserve");

    private QueueConfig queueConfig(HandlerOptions o) {
        QueueConfig d = QueueConfig.DEFAULT;
        Duration min = queueTime(o, "retry-min", d.retryMin());
        Duration max = queueTime(o, "retry-max", d.retryMax());
        if (max.compareTo(min) < 0) {
            throw fail("retry-max", "option retry-max (" + max + ") is shorter than retry-min (" + min + ")");
        }
        Duration lifetime = queueTime(o, "lifetime", d.lifetime());
        Duration warning = queueTime(o, "delay-warning", null);
        String workers = o.get("queue-workers", null);
        int n = d.workers();
        if (workers != null) {
            try {
                n = Integer.parseInt(workers.strip());
            } catch (NumberFormatException e) {
                n = 0;
            }
            if (n < 1 || n > 1000) {
                throw fail("queue-workers", "option queue-workers must be a number from 1 to 1000, not '" + workers + "'");
            }
        }
        Duration lease = queueTime(o, "queue-lease", d.lease());
        if (lease.compareTo(Duration.ofSeconds(3)) < 0) {
            throw fail("queue-lease", "option queue-lease must be at least 3s, not '" + o.get("queue-lease", null) + "'");
        }
        return new QueueConfig(min, max, lifetime, warning, n, lease);
    }

    private Duration queueTime(HandlerOptions o, String key, Duration otherwise) {
        String value = o.get(key, null);
        if (value == null) {
            return otherwise;
        }
        try {
            return QueueConfig.parseDuration(value);
        } catch (IllegalArgumentException e) {
            throw fail(key, "option " + key + " must be a time such as 30s, 5m, 4h or 5d, not '" + value + "'");
        }
    }

    /** The settings from {@code -o} options. */
    RelayConfig config(Map<String, String> options) {
        HandlerOptions o = HandlerOptions.of(handler, options, OPTIONS.keySet());
        RelayConfig.Builder b = RelayConfig.builder();
        String upstream = o.get("upstream", null);
        String routes = o.get("route", null);
        if (upstream == null && routes == null) {
            o.required("upstream"); // throws, naming the option
        }
        if (upstream != null) {
            b.upstream(hop("upstream", upstream));
        }
        if (routes != null) {
            for (String route : list(routes)) {
                int equals = route.indexOf('=');
                if (equals <= 0) {
                    throw fail("route", "route '" + route + "' is not DOMAIN=HOST:PORT");
                }
                try {
                    b.route(route.substring(0, equals), hop("route", route.substring(equals + 1)));
                } catch (IllegalArgumentException e) {
                    throw fail("route", "route '" + route + "': " + e.getMessage());
                }
            }
        }
        String helo = o.get("helo", null);
        if (helo != null) {
            try {
                b.heloName(helo);
            } catch (IllegalArgumentException e) {
                throw fail("helo", "helo '" + helo + "' is not a host name: " + e.getMessage());
            }
        }
        String tls = o.get("tls", "opportunistic");
        switch (tls.strip().toLowerCase(Locale.ROOT)) {
            case "off" -> b.tls(ClientConfig.Tls.OFF);
            case "opportunistic" -> b.tls(ClientConfig.Tls.OPPORTUNISTIC);
            case "required" -> b.tls(ClientConfig.Tls.REQUIRED);
            default -> throw fail("tls", "option tls must be off, opportunistic or required, not '" + tls + "'");
        }
        String trust = o.get("tls-trust", null);
        if (trust != null) {
            try {
                b.trust(TlsContexts.trusting(Path.of(trust)));
            } catch (IOException | RuntimeException e) {
                throw fail("tls-trust", "tls-trust " + trust + ": cannot read a PEM certificate (" + e.getMessage() + ")");
            }
        }
        b.verify(o.flag("tls-verify", true));
        String user = o.get("auth-user", null);
        String passwordFile = o.get("auth-password-file", null);
        if (user != null && passwordFile == null) {
            throw fail("auth-password-file", "auth-user needs auth-password-file (-o auth-password-file=FILE)");
        }
        if (user == null && passwordFile != null) {
            throw fail("auth-user", "auth-password-file needs auth-user (-o auth-user=NAME)");
        }
        if (user != null) {
            String password = firstLine(passwordFile);
            try {
                b.credentials(user, password);
            } catch (IllegalArgumentException e) {
                // The client's check names no value, so the password does not reach the message.
                throw fail("auth-user", "auth-user or the password cannot be sent: " + e.getMessage());
            }
        }
        b.allowInsecureAuth(o.flag("auth-insecure", false));
        String networks = o.get("networks", null);
        if (networks != null) {
            try {
                b.networks(list(networks));
            } catch (IllegalArgumentException e) {
                throw fail("networks", "networks: " + e.getMessage());
            }
        }
        String domains = o.get("domains", null);
        if (domains != null) {
            try {
                b.domains(list(domains));
            } catch (IllegalArgumentException e) {
                throw fail("domains", "domains: " + e.getMessage());
            }
        }
        Duration connect = duration(o, "timeout-connect");
        if (connect != null) {
            b.connectTimeout(connect);
        }
        Duration reply = duration(o, "timeout-reply");
        if (reply != null) {
            for (Wait w : List.of(Wait.GREETING, Wait.COMMAND, Wait.MAIL, Wait.RCPT, Wait.DATA_INITIATION)) {
                b.timeout(w, reply);
            }
        }
        Duration data = duration(o, "timeout-data");
        if (data != null) {
            b.timeout(Wait.DATA_BLOCK, data).timeout(Wait.DATA_TERMINATION, data);
        }
        return b.build();
    }

    private NextHop hop(String key, String value) {
        try {
            return NextHop.parse(value);
        } catch (IllegalArgumentException e) {
            throw fail(key, "option " + key + ": " + e.getMessage());
        }
    }

    private static List<String> list(String value) {
        return Arrays.stream(value.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    private String firstLine(String file) {
        try (BufferedReader in = Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8)) {
            String line = in.readLine();
            if (line == null || line.isEmpty()) {
                throw fail("auth-password-file", "auth-password-file " + file + " is empty: the password is its first line");
            }
            return line;
        } catch (IOException e) {
            throw fail("auth-password-file", "auth-password-file " + file + " cannot be read (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** {@code 30s}, {@code 500ms}, {@code 5m}, or a number of seconds (the queue's syntax, {@link QueueConfig#parseDuration}). */
    private Duration duration(HandlerOptions o, String key) {
        String value = o.get(key, null);
        if (value == null) {
            return null;
        }
        try {
            return QueueConfig.parseDuration(value);
        } catch (IllegalArgumentException e) {
            throw fail(key, "option " + key + " must be a time such as 30s, 500ms or 5m, not '" + value + "'");
        }
    }

    private HandlerOptionException fail(String key, String message) {
        return new HandlerOptionException(handler, key, message);
    }
}
