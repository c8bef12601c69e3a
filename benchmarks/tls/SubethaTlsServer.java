import java.nio.file.Path;
import java.io.InputStream;
import java.net.InetAddress;
import org.subethamail.smtp.server.SMTPServer;

/**
 * SubEthaSMTP (davidmoten's maintained fork) with STARTTLS, discarding every message, for the
 * TLS benchmark (README.md). The certificate comes from smtpkit's {@code PemTls}, only to read the
 * same PEM files. <pre>java -cp CLASSPATH SubethaTlsServer.java PORT CERT KEY</pre>
 */
public class SubethaTlsServer {
    public static void main(String[] args) throws Exception {
        var context = io.smtpkit.server.PemTls.load(Path.of(args[1]), Path.of(args[2]));
        SMTPServer server = SMTPServer.port(Integer.parseInt(args[0]))
                .bindAddress(InetAddress.getByName("127.0.0.1"))
                .maxConnections(20_000)
                .enableTLS()
                .startTlsSocketFactory(context)
                .messageHandler((messageContext, from, to, data) -> { })
                .build();
        server.start();
        System.out.println("subethasmtp listening on 127.0.0.1:" + args[0] + " pid " + ProcessHandle.current().pid());
        Thread.currentThread().join();
    }
}
