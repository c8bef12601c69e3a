import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.server.SmtpServer;
import io.smtpkit.server.handlers.SinkHandler;
import java.net.InetSocketAddress;

/**
 * {@code BenchServer} with a Prometheus meter registry, as {@code smtpkit --metrics} runs it, to
 * measure what the server's meters cost (see metrics.sh):
 * {@code java -cp CLASSPATH MeteredBenchServer.java [port] [maxConnections] [loops]}. The
 * registry is not scraped: the cost measured is the recording on the hot path.
 */
public class MeteredBenchServer {
    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 2525;
        int max = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        int loops = args.length > 2 ? Integer.parseInt(args[2]) : Runtime.getRuntime().availableProcessors();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        SmtpServer server = SmtpServer.builder()
                .loops(loops)
                .listen(new InetSocketAddress("127.0.0.1", port))
                .handler(new SinkHandler())
                .config(SessionConfig.builder().maxMessageSize(0).build())
                .maxConnections(max)
                .maxConnectionsPerClient(0)
                .maxConnectionRatePerClient(0)
                .meterRegistry(registry)
                .build()
                .start();
        System.out.println("smtpkit sink (metered) listening on " + server.addresses() + " pid " + ProcessHandle.current().pid());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println(
                registry.scrape().lines().filter(l -> l.startsWith("smtp_messages_total")).reduce("", (a, b) -> a + b + "\n"))));
        Thread.currentThread().join();
    }
}
