package io.smtpkit.server;

import static io.smtpkit.server.TestSupport.resource;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemTlsTest {

    @Test
    void loadsRsaAndEcPairs() throws Exception {
        SSLContext rsa = PemTls.load(resource("tls/rsa-cert.pem"), resource("tls/rsa-key.pem"));
        SSLContext ec = PemTls.load(resource("tls/ec-cert.pem"), resource("tls/ec-key.pem"));
        assertNotNull(rsa.createSSLEngine());
        assertNotNull(ec.createSSLEngine());
    }

    @Test
    void certificateAndKeyInOneFile(@TempDir Path dir) throws Exception {
        Path both = dir.resolve("both.pem");
        Files.writeString(both, Files.readString(resource("tls/ec-key.pem")) + Files.readString(resource("tls/ec-cert.pem")));
        assertNotNull(PemTls.load(both, both));
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
