package io.smtpkit.server;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * Makes an {@link SSLContext} from PEM files, as most mail servers are configured (Postfix's
 * {@code smtpd_tls_cert_file} and {@code smtpd_tls_key_file}). The server itself restricts
 * connections to TLS 1.2 and 1.3.
 */
public final class PemTls {

    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]*?)-----END \\1-----");

    private PemTls() {}

    /**
     * Loads a certificate chain and its unencrypted PKCS#8 private key (RSA or EC).
     *
     * @param certificateChain PEM file with one or more {@code CERTIFICATE} blocks, leaf first
     * @param privateKey PEM file with a {@code PRIVATE KEY} block (it may be the same file)
     * @throws IOException if a file cannot be read
     * @throws GeneralSecurityException if the contents are not a usable certificate and key;
     *     the message names the file and says what is wrong
     */
    public static SSLContext load(Path certificateChain, Path privateKey) throws IOException, GeneralSecurityException {
        return load(certificateChain, privateKey, null);
    }

    /**
     * As {@link #load(Path, Path)}, with the TLS of {@code provider}: for example Conscrypt's
     * ({@code org.conscrypt.Conscrypt.newProvider()}, BoringSSL), which takes about half the
     * JDK's CPU per handshake (benchmarks/tls).
     *
     * @param provider the JCA provider of the {@code SSLContext}, or null for the JDK's default
     */
    public static SSLContext load(Path certificateChain, Path privateKey, Provider provider)
            throws IOException, GeneralSecurityException {
        Certificate[] chain = certificates(certificateChain);
        PrivateKey key = privateKey(privateKey);
        String keyType = key.getAlgorithm();
        String certType = chain[0].getPublicKey().getAlgorithm();
        if (!keyType.equals(certType)) {
            throw new GeneralSecurityException("the key in " + privateKey + " is " + keyType
                    + " but the certificate in " + certificateChain + " is for a " + certType + " key");
        }
        char[] password = new char[0];
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("server", key, password, chain);
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, password);
            SSLContext context = provider == null ? SSLContext.getInstance("TLS") : SSLContext.getInstance("TLS", provider);
            context.init(keys.getKeyManagers(), null, null);
            return context;
        } catch (GeneralSecurityException e) {
            // E.g. "Certificate chain is not valid" for a chain out of order: say which files.
            throw new GeneralSecurityException("the certificate chain in " + certificateChain + " and the key in "
                    + privateKey + " are not usable: " + e.getMessage(), e);
        }
    }

    private static Certificate[] certificates(Path file) throws IOException, GeneralSecurityException {
        String text = readText(file);
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        Matcher m = BLOCK.matcher(text);
        List<Certificate> chain = new ArrayList<>();
        while (m.find()) {
            if (m.group(1).equals("CERTIFICATE")) {
                try {
                    byte[] der = Base64.getMimeDecoder().decode(m.group(2));
                    Collection<? extends Certificate> read = factory.generateCertificates(new ByteArrayInputStream(der));
                    chain.addAll(read);
                } catch (IllegalArgumentException | CertificateException e) {
                    // Bad base64 or DER: say which file, as the other refusals do.
                    throw new GeneralSecurityException("a CERTIFICATE block in " + file + " is not a valid certificate: "
                            + e.getMessage(), e);
                }
            }
        }
        if (chain.isEmpty()) {
            throw new GeneralSecurityException("no CERTIFICATE block in " + file);
        }
        return chain.toArray(new Certificate[0]);
    }

    private static PrivateKey privateKey(Path file) throws IOException, GeneralSecurityException {
        String text = readText(file);
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            String type = m.group(1);
            if (type.equals("ENCRYPTED PRIVATE KEY")) {
                throw new GeneralSecurityException("the key in " + file + " is encrypted; decrypt it with "
                        + "'openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pem'");
            }
            if (type.equals("RSA PRIVATE KEY") || type.equals("EC PRIVATE KEY")) {
                throw new GeneralSecurityException("the key in " + file + " is in the old " + type + " format; convert it "
                        + "to PKCS#8 with 'openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pem'");
            }
            if (type.equals("PRIVATE KEY")) {
                byte[] der;
                try {
                    der = Base64.getMimeDecoder().decode(m.group(2));
                } catch (IllegalArgumentException e) {
                    throw new GeneralSecurityException("the PRIVATE KEY block in " + file + " is not valid base64: "
                            + e.getMessage(), e);
                }
                PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
                for (String algorithm : new String[] {"RSA", "EC", "RSASSA-PSS", "Ed25519", "Ed448"}) {
                    try {
                        return KeyFactory.getInstance(algorithm).generatePrivate(spec);
                    } catch (InvalidKeySpecException | java.security.NoSuchAlgorithmException e) {
                        // try the next algorithm
                    }
                }
                throw new GeneralSecurityException("the PRIVATE KEY in " + file + " is neither an RSA nor an EC key");
            }
        }
        throw new GeneralSecurityException("no PRIVATE KEY block in " + file);
    }

    /**
     * The file as text. PEM blocks are ASCII, but the text around them may be anything
     * (RFC 7468 §5.2: explanatory text, e.g. a certificate's subject in UTF-8); ISO-8859-1 reads
     * every byte as one character, so such text can never fail the read.
     */
    private static String readText(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.ISO_8859_1);
    }
}
