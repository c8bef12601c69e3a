package io.smtpkit.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.slf4j.LoggerFactory;

/**
 * {@code --metrics HOST:PORT}: the server's meters and the JVM's (memory, GC, threads, class
 * loading, process CPU, file descriptors, uptime) for Prometheus, in its text format at
 * {@code /metrics}, served by the JDK's own HTTP server on one thread of its own.
 */
final class MetricsEndpoint implements AutoCloseable {

    /** Prometheus' text exposition format, version 0.0.4: what every scraper reads. */
    private static final String TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8";

    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private HttpServer http;

    MetricsEndpoint() {
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    /** Listens on {@code address}; after this {@link #address()} has the real port. */
    void start(InetSocketAddress address) throws IOException {
        http = HttpServer.create(address, 16);
        http.createContext("/metrics", this::serve);
        // The dispatcher thread answers each scrape itself: a scrape is a few milliseconds of
        // string building, and Prometheus scrapes every few seconds at most.
        http.setExecutor(null);
        http.start();
        LoggerFactory.getLogger(Main.class).info("metrics for Prometheus at http://{}/metrics", Addresses.format(address()));
        if (!address.getAddress().isLoopbackAddress()) {
            LoggerFactory.getLogger(Main.class).warn("--metrics {} is reachable from other hosts: the metrics have no "
                    + "authentication; prefer a loopback address behind a proxy, or a firewall", Addresses.format(address));
        }
    }

    InetSocketAddress address() {
        return http.getAddress();
    }

    private void serve(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            if (!exchange.getRequestURI().getPath().equals("/metrics")) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", TEXT_FORMAT);
            if (method.equals("HEAD")) {
                exchange.sendResponseHeaders(200, -1);
                return;
            }
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public void close() {
        if (http != null) {
            http.stop(0);
        }
        gc.close();
        registry.close();
    }
}
