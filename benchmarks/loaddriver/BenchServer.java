import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.server.SmtpHandler;
import io.smtpkit.server.SmtpServer;
import io.smtpkit.server.handlers.SinkHandler;
import java.net.InetSocketAddress;

/**
 * Starts the smtpkit server with the sink handler for the load driver (see README.md):
 * {@code java -cp CLASSPATH BenchServer.java [port] [maxConnections] [loops]}; loops defaults to
 * the server's default (the number of available processors). Runs until killed.
 */
public class BenchServer {
    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 2525;
        int max = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        int loops = args.length > 2 ? Integer.parseInt(args[2]) : Runtime.getRuntime().availableProcessors();
        SmtpHandler sink = new SinkHandler();
        SmtpServer server = SmtpServer.builder()
                .loops(loops)
                .listen(new InetSocketAddress("127.0.0.1", port))
                .handler(sink)
                .config(SessionConfig.builder().maxMessageSize(0).build())
                .maxConnections(max)
                // Every load generator connects from 127.0.0.1: the per-client limits that
                // protect a public server would measure themselves here.
                .maxConnectionsPerClient(0)
                .maxConnectionRatePerClient(0)
                .build()
                .start();
        System.out.println("smtpkit sink listening on " + server.addresses() + " pid " + ProcessHandle.current().pid());
        Thread.currentThread().join();
    }
}
