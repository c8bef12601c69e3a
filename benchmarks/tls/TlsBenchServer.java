import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.server.PemTls;
import io.smtpkit.server.SmtpServer;
import io.smtpkit.server.handlers.SinkHandler;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.Provider;
import java.security.Security;
import javax.net.ssl.SSLContext;

/**
 * The smtpkit sink with TLS for the TLS benchmark (README.md): a STARTTLS listener and an
 * implicit-TLS listener, the certificate from PEM files, and the TLS provider asked for:
 * {@code jsse} (the JDK's) or {@code conscrypt} (BoringSSL through Conscrypt, when its jar is on
 * the class path; the provider goes first, so {@code PemTls}'s {@code SSLContext.getInstance("TLS")}
 * gets Conscrypt's engine).
 * <pre>java -cp CLASSPATH TlsBenchServer.java STARTTLS_PORT IMPLICIT_PORT CERT KEY jsse|conscrypt [loops]</pre>
 */
public class TlsBenchServer {
    public static void main(String[] args) throws Exception {
        int starttls = Integer.parseInt(args[0]);
        int implicit = Integer.parseInt(args[1]);
        String provider = args[4];
        int loops = args.length > 5 ? Integer.parseInt(args[5]) : Runtime.getRuntime().availableProcessors();
        if (provider.equals("conscrypt")) {
            Provider conscrypt = (Provider) Class.forName("org.conscrypt.Conscrypt").getMethod("newProvider").invoke(null);
            Security.insertProviderAt(conscrypt, 1);
        } else if (!provider.equals("jsse")) {
            throw new IllegalArgumentException("provider: jsse or conscrypt, not " + provider);
        }
        SSLContext context = PemTls.load(Path.of(args[2]), Path.of(args[3]));
        SmtpServer server = SmtpServer.builder()
                .loops(loops)
                .listen(new InetSocketAddress("127.0.0.1", starttls))
                .listenTls(new InetSocketAddress("127.0.0.1", implicit))
                .tls(context)
                .handler(new SinkHandler())
                .config(SessionConfig.builder().maxMessageSize(0).build())
                .maxConnections(20_000)
                // Every load generator connects from 127.0.0.1: the per-client limits that
                // protect a public server would measure themselves here.
                .maxConnectionsPerClient(0)
                .maxConnectionRatePerClient(0)
                .build()
                .start();
        System.out.println("smtpkit sink (" + context.getProvider().getName() + ") listening on " + server.addresses()
                + " pid " + ProcessHandle.current().pid());
        Thread.currentThread().join();
    }
}
