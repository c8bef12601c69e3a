package io.smtpkit.server;

import static io.smtpkit.server.TestSupport.resource;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.server.testsupport.TestTls;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PEM loading, proved by handshakes with the loaded contexts (RSA and EC). */
class PemTlsTest {

    @Test
    void loadsRsaAndEcPairs() throws Exception {
        SSLContext rsa = PemTls.load(resource("tls/rsa-cert.pem"), resource("tls/rsa-key.pem"));
        SSLContext ec = PemTls.load(resource("tls/ec-cert.pem"), resource("tls/ec-key.pem"));
        assertEquals(certificate("tls/rsa-cert.pem"), handshake(rsa));
        assertEquals(certificate("tls/ec-cert.pem"), handshake(ec));
        assertEquals("RSA", handshake(rsa).getPublicKey().getAlgorithm());
        assertEquals("EC", handshake(ec).getPublicKey().getAlgorithm());
    }

    @Test
    void certificateAndKeyInOneFile(@TempDir Path dir) throws Exception {
        Path both = dir.resolve("both.pem");
        Files.writeString(both, Files.readString(resource("tls/ec-key.pem")) + Files.readString(resource("tls/ec-cert.pem")));
        assertEquals(certificate("tls/ec-cert.pem"), handshake(PemTls.load(both, both)));
    }

    /**
     * A real TLS handshake with {@code server} on a loopback socket; returns the certificate the
     * client was shown.
     */
    private static X509Certificate handshake(SSLContext server) throws Exception {
        try (SSLServerSocket listener = (SSLServerSocket) server.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            listener.setSoTimeout(10_000);
            CompletableFuture<Void> accepted = CompletableFuture.runAsync(() -> {
                try (SSLSocket s = (SSLSocket) listener.accept()) {
                    s.setSoTimeout(10_000);
                    s.startHandshake();
                    s.getOutputStream().write('!');
                    s.getOutputStream().flush();
                } catch (Exception e) {
                    throw new CompletionException(e);
                }
            });
            X509Certificate shown;
            try (SSLSocket client = (SSLSocket) TestTls.trustAll().getSocketFactory()
                    .createSocket(InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
                client.setSoTimeout(10_000);
                client.startHandshake();
                assertEquals('!', client.getInputStream().read(), "data after the handshake");
                shown = (X509Certificate) client.getSession().getPeerCertificates()[0];
            }
            accepted.get(10, TimeUnit.SECONDS);
            return shown;
        }
    }

    private static X509Certificate certificate(String name) throws Exception {
        try (InputStream in = Files.newInputStream(resource(name))) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    @Test
    void refusesWhatItCannotUseWithAClearMessage(@TempDir Path dir) throws Exception {
        GeneralSecurityException pkcs1 = assertThrows(GeneralSecurityException.class,
                () -> PemTls.load(resource("tls/rsa-cert.pem"), resource("tls/rsa-key-pkcs1.pem")));
        assertTrue(pkcs1.getMessage().contains("openssl pkcs8"), pkcs1.getMessage());
        GeneralSecurityException mismatch = assertThrows(GeneralSecurityException.class,
                () -> PemTls.load(resource("tls/rsa-cert.pem"), resource("tls/ec-key.pem")));
        assertTrue(mismatch.getMessage().contains("EC"), mismatch.getMessage());
        Path empty = Files.writeString(dir.resolve("empty.pem"), "nothing here\n");
        GeneralSecurityException none = assertThrows(GeneralSecurityException.class,
                () -> PemTls.load(empty, resource("tls/rsa-key.pem")));
        assertTrue(none.getMessage().contains("no CERTIFICATE"), none.getMessage());
    }
}
