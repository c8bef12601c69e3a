package io.smtpkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.server.testsupport.Eventually;
import io.smtpkit.server.testsupport.SmtpClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code --metrics HOST:PORT}: Prometheus' text format at /metrics, scraped after real mail. */
class MetricsCliTest {

    private final CliHarness cli = new CliHarness();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @AfterEach
    void close() {
        cli.close();
    }

    @Test
    void scrapesTheServersAndTheJvmsMeters() throws Exception {
        CliHarness.Serving serving = cli.serve("-n", "-c", "sink", "--metrics", "127.0.0.1:0", "127.0.0.1:0");
        InetSocketAddress metrics = serving.started().metricsAddress().orElseThrow();
        assertTrue(metrics.getPort() > 0);
        String reply = SmtpClient.deliver(serving.address(), "a@example.org", "b@example.org", "Subject: m\r\n\r\nhi\r\n");
        assertTrue(reply.startsWith("250"), reply);

        String body = Eventually.poll(() -> scrape(metrics).body(),
                text -> text.contains("smtp_sessions_total{outcome=\"quit\"} 1.0"), Duration.ofSeconds(20));
        assertTrue(body.contains("smtp_messages_total{result=\"accepted\"} 1.0"), body);
        assertTrue(body.contains("smtp_messages_total{result=\"refused\"} 0.0"), body);
        assertTrue(body.contains("smtp_connections_opened_total 1.0"), body);
        assertTrue(body.contains("smtp_connections_active 0.0"), body);
        assertTrue(body.contains("smtp_replies_total{class=\"2xx\"} 6.0"), body);
        assertTrue(body.contains("smtp_message_bytes_count{result=\"accepted\"} 1"), body);
        assertTrue(body.contains("jvm_memory_used_bytes{"), body);
        assertTrue(body.contains("jvm_threads_live_threads"), body);
        assertTrue(body.contains("process_cpu_usage"), body);
        HttpResponse<String> response = scrape(metrics);
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));

        HttpResponse<String> elsewhere = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + metrics.getPort() + "/metricsx")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, elsewhere.statusCode());

        serving.started().close();
        assertFalse(serving.started().isRunning());
        try (ServerSocket again = new ServerSocket()) {
            // the endpoint is gone with the server: its port can be bound again
            again.bind(metrics);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"9025", "127.0.0.1", "127.0.0.1:http", "127.0.0.1:70000", ":9025", "no.such.host.invalid:9025"})
    void aBadAddressIsAUsageError(String value) {
        String line = cli.run("-n", "-c", "sink", "--metrics", value, "127.0.0.1:0").assertUsageError();
        assertTrue(line.contains("--metrics"), line);
    }

    @Test
    void aMetricsPortInUseIsAUsageErrorAndTheServerIsClosed() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            String line = cli.run("-n", "-c", "sink", "--metrics", "127.0.0.1:" + port, "127.0.0.1:0").assertUsageError();
            assertTrue(line.contains("--metrics 127.0.0.1:" + port + ": cannot listen"), line);
        }
    }

    @Test
    void metricsOnEveryInterfaceAreWarnedAbout(@TempDir Path dir) throws Exception {
        try (ServerProcess wide = ServerProcess.start(dir, List.of(), "-n", "-c", "sink", "--metrics", "0.0.0.0:0", "127.0.0.1:0");
                ServerProcess loopback = ServerProcess.start(dir, List.of(), "-n", "-c", "sink", "--metrics", "127.0.0.1:0",
                        "127.0.0.1:0")) {
            String warned = Eventually.poll(wide::stderrText, text -> text.contains("--metrics"), Duration.ofSeconds(20));
            assertTrue(warned.contains("WARN") && warned.contains("--metrics 0.0.0.0:0 is reachable from other hosts"), warned);
            // Printed before the start line, so by now it would be there.
            assertFalse(loopback.stderrText().contains("--metrics"), loopback.stderrText());
        }
    }

    private HttpResponse<String> scrape(InetSocketAddress metrics) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metrics.getPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
