package io.smtpkit.testkit;

import io.smtpkit.testkit.internal.SelfSigned;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * The self-signed certificate a TLS-enabled {@link SmtpServerExtension} serves, made in memory
 * when the server starts (EC P-256, valid for a year, for {@code localhost} and {@code 127.0.0.1}),
 * and everything a client needs to trust it, so that the test checks certificates as production
 * code does instead of turning verification off:
 * <ul>
 *   <li>{@link #clientContext()}: an {@code SSLContext} that trusts exactly this certificate;
 *       with Angus Mail, {@code props.put("mail.smtp.ssl.socketFactory", cert.socketFactory())};
 *   <li>{@link #trustStore()}: a {@code KeyStore} with the certificate, for clients configured
 *       with a trust store (Spring's {@code SslBundle}, Apache Commons Net);
 *   <li>{@link #pem()}: the certificate in PEM, for tools and for clients of other languages.
 * </ul>
 */
public final class TestCertificate {

    private final SelfSigned material;
    private final SSLContext serverContext;
    private final SSLContext clientContext;
    private final KeyStore trustStore;

    private TestCertificate(SelfSigned material) throws GeneralSecurityException, java.io.IOException {
        this.material = material;
        char[] password = "testkit".toCharArray(); // the key store never leaves memory
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        keyStore.load(null, null);
        keyStore.setKeyEntry("server", material.keys().getPrivate(), password, new Certificate[] {material.certificate()});
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keyStore, password);
        serverContext = SSLContext.getInstance("TLS");
        serverContext.init(keyManagers.getKeyManagers(), null, null);

        trustStore = KeyStore.getInstance("PKCS12");
        trustStore.load(null, null);
        trustStore.setCertificateEntry("smtpkit-testkit", material.certificate());
        TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trustManagers.init(trustStore);
        clientContext = SSLContext.getInstance("TLS");
        clientContext.init(null, trustManagers.getTrustManagers(), null);
    }

    /** A new key pair and certificate for {@code host}. */
    static TestCertificate generate(String host) {
        try {
            return new TestCertificate(SelfSigned.create(host));
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException("cannot set up TLS for the test server: " + e.getMessage(), e);
        }
    }

    /** The server's side: what the server was given. */
    SSLContext serverContext() {
        return serverContext;
    }

    /** A client context that trusts this certificate and nothing else. */
    public SSLContext clientContext() {
        return clientContext;
    }

    /** {@link #clientContext()}'s socket factory, e.g. for {@code mail.smtp.ssl.socketFactory}. */
    public SSLSocketFactory socketFactory() {
        return clientContext.getSocketFactory();
    }

    /** A PKCS#12 key store holding the certificate as a trusted entry (alias {@code smtpkit-testkit}), without password. */
    public KeyStore trustStore() {
        return trustStore;
    }

    /** The certificate. */
    public X509Certificate certificate() {
        return material.certificate();
    }

    /** The certificate as PEM ({@code -----BEGIN CERTIFICATE-----}, base64 in lines of 64). */
    public String pem() {
        try {
            String body = Base64.getMimeEncoder(64, "\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                    .encodeToString(material.certificate().getEncoded());
            return "-----BEGIN CERTIFICATE-----\n" + body + "\n-----END CERTIFICATE-----\n";
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }
}
