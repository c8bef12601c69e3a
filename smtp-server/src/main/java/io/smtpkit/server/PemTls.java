package io.smtpkit.server;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import javax.net.ssl.SSLContext;

/** Makes an {@link SSLContext} from PEM files, as most mail servers are configured. */
public final class PemTls {

    private PemTls() {}

    /**
     * Loads a certificate chain and its unencrypted PKCS#8 private key (RSA or EC).
     *
     * @param certificateChain PEM file with one or more {@code CERTIFICATE} blocks, leaf first
     * @param privateKey PEM file with a {@code PRIVATE KEY} block
     * @throws IOException if a file cannot be read
     * @throws GeneralSecurityException if the contents are not a usable certificate and key
     */
    public static SSLContext load(Path certificateChain, Path privateKey) throws IOException, GeneralSecurityException {
        throw new UnsupportedOperationException("not built yet");
    }
}
