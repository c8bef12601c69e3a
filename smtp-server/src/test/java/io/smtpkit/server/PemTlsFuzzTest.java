package io.smtpkit.server;

import static io.smtpkit.protocol.FuzzSupport.check;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.net.ssl.SSLContext;

/**
 * {@link PemTls#load} on any file content (issue 14). Readable files either give an
 * {@link SSLContext} that makes engines, or are refused with the documented
 * {@link GeneralSecurityException} whose message names one of the files: no
 * {@link IOException} (the files are readable), no unchecked exception from the PEM, base64 or
 * DER parsing.
 *
 * <p>Input: byte 0 says which file the rest is: 0 both (certificate and key in one file), 1 the
 * certificate with a good RSA key, 2 the key with the good RSA certificate, 3 the certificate up
 * to the first NUL and the key after it.
 */
class PemTlsFuzzTest {

    private static final Path DIR = tempDir();
    private static final byte[] GOOD_CERT = read("tls/rsa-cert.pem");
    private static final byte[] GOOD_KEY = read("tls/rsa-key.pem");

    @FuzzTest(maxDuration = "60s")
    void load(byte[] input) throws IOException {
        int mode = input.length > 0 ? (input[0] & 0xff) % 4 : 0;
        byte[] rest = input.length > 0 ? Arrays.copyOfRange(input, 1, input.length) : input;
        Path cert = DIR.resolve("cert.pem");
        Path key = DIR.resolve("key.pem");
        switch (mode) {
            case 0 -> key = cert;
            case 1 -> Files.write(key, GOOD_KEY);
            case 2 -> Files.write(cert, GOOD_CERT);
            default -> { }
        }
        if (mode == 3) {
            int nul = 0;
            while (nul < rest.length && rest[nul] != 0) {
                nul++;
            }
            Files.write(cert, Arrays.copyOfRange(rest, 0, nul));
            Files.write(key, Arrays.copyOfRange(rest, Math.min(nul + 1, rest.length), rest.length));
        } else {
            Files.write(mode == 2 ? key : cert, rest);
        }
        SSLContext context;
        try {
            context = PemTls.load(cert, key);
        } catch (GeneralSecurityException e) {
            String message = e.getMessage();
            check(message != null && (message.contains(cert.toString()) || message.contains(key.toString())),
                    () -> "a refusal that names neither file: " + e);
            return;
        }
        check(context.createSSLEngine() != null, "a context that makes no engine");
    }

    private static Path tempDir() {
        try {
            Path dir = Files.createTempDirectory("smtpkit-fuzz-pem");
            dir.toFile().deleteOnExit();
            dir.resolve("cert.pem").toFile().deleteOnExit();
            dir.resolve("key.pem").toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] read(String resource) {
        try {
            return Files.readAllBytes(TestSupport.resource(resource));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
