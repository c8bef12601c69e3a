package io.smtpkit.relay;

import io.smtpkit.server.PemTls;
import io.smtpkit.server.testsupport.TestTls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;

/** The server test-jar's certificate (CN localhost, SAN localhost and 127.0.0.1) as files for the relay's options. */
final class TestCerts {

    private static final Path DIR;

    static {
        try {
            DIR = Files.createTempDirectory("relay-tls");
            DIR.toFile().deleteOnExit();
            TestTls.copy(TestTls.RSA_CERT, DIR);
            TestTls.copy(TestTls.RSA_KEY, DIR);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private TestCerts() {}

    static Path certificate() {
        return DIR.resolve(Path.of(TestTls.RSA_CERT).getFileName());
    }

    static Path key() {
        return DIR.resolve(Path.of(TestTls.RSA_KEY).getFileName());
    }

    static SSLContext serverContext() {
        try {
            return PemTls.load(certificate(), key());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String passwordFile(String text) throws IOException {
        Path p = Files.createTempFile(DIR, "password", ".txt");
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p.toString();
    }
}
