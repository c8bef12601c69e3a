package io.smtpkit.server.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The test certificates under smtp-server's {@code src/test/resources/tls} (self-signed,
 * CN=localhost; see the README there) and a client context that trusts them, for every test
 * that needs TLS: no test has to call openssl.
 */
public final class TestTls {

    /** The RSA 2048 pair. */
    public static final String RSA_CERT = "tls/rsa-cert.pem";
    public static final String RSA_KEY = "tls/rsa-key.pem";
    /** The EC P-256 pair. */
    public static final String EC_CERT = "tls/ec-cert.pem";
    public static final String EC_KEY = "tls/ec-key.pem";

    private TestTls() {}

    /** Copies the class-path resource {@code name} (e.g. {@link #RSA_CERT}) into {@code dir}; a real file, also inside a jar. */
    public static Path copy(String name, Path dir) throws IOException {
        Path target = dir.resolve(name.substring(name.lastIndexOf('/') + 1));
        try (InputStream in = TestTls.class.getResourceAsStream("/" + name)) {
            if (in == null) {
                throw new IOException("no test resource " + name);
            }
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
        return target;
    }

    /** A client context that trusts any server: the test certificates are self-signed. */
    public static SSLContext trustAll() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new X509TrustManager() {
                @Override public void checkClientTrusted(X509Certificate[] chain, String authType) {}
                @Override public void checkServerTrusted(X509Certificate[] chain, String authType) {}
                @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
            }}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
