package io.smtpkit.server;

import static io.smtpkit.server.TestSupport.resource;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Findings of {@link PemTlsFuzzTest} (issue 14), kept as plain tests: PEM files that are readable
 * but not what PemTls wants are refused with the documented {@link GeneralSecurityException}
 * naming the file, never an {@code IOException} or an unchecked exception.
 */
class PemTlsMalformedInputTest {

    @TempDir
    Path dir;

    @Test
    void textOutsideTheBlocksMayBeAnything() throws Exception {
        // RFC 7468 §5.2: explanatory text around the blocks, here UTF-8 and a stray Latin-1 byte;
        // it was read as US-ASCII and failed with MalformedInputException "Input length = 1".
        Path both = dir.resolve("both.pem");
        byte[] text = ("subject=CN=Jösé\n" + Files.readString(resource("tls/ec-key.pem")) + "\u00e9t\u00e9\n"
                + Files.readString(resource("tls/ec-cert.pem"))).getBytes(StandardCharsets.UTF_8);
        byte[] withLatin1 = new byte[text.length + 2];
        System.arraycopy(text, 0, withLatin1, 0, text.length);
        withLatin1[text.length] = (byte) 0x82;
        withLatin1[text.length + 1] = '\n';
        Files.write(both, withLatin1);
        assertNotNull(PemTls.load(both, both).createSSLEngine());
    }

    @Test
    void badBase64InAKeyNamesTheFile() throws Exception {
        // Was an IllegalArgumentException "Input byte array has wrong 4-byte ending unit".
        Path key = Files.writeString(dir.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\nMIIB=AAA\n-----END PRIVATE KEY-----\n");
        GeneralSecurityException e = assertThrows(GeneralSecurityException.class, () -> PemTls.load(resource("tls/rsa-cert.pem"), key));
        assertTrue(e.getMessage().contains(key.toString()) && e.getMessage().contains("base64"), e.getMessage());
    }

    @Test
    void badBase64OrDerInACertificateNamesTheFile() throws Exception {
        String good = Files.readString(resource("tls/rsa-cert.pem"));
        Path padding = Files.writeString(dir.resolve("padding.pem"), "-----BEGIN CERTIFICATE-----\nMIIB=AAA\n-----END CERTIFICATE-----\n");
        // Was a CertificateException "Incomplete BER/DER data" that named no file.
        Path truncated = Files.writeString(dir.resolve("truncated.pem"), good.substring(0, 200) + "\n-----END CERTIFICATE-----\n");
        for (Path cert : new Path[] {padding, truncated}) {
            GeneralSecurityException e = assertThrows(GeneralSecurityException.class, () -> PemTls.load(cert, resource("tls/rsa-key.pem")));
            assertTrue(e.getMessage().contains(cert.toString()), e.getMessage());
        }
    }

    @Test
    void aChainTheKeyStoreRefusesNamesTheFiles() throws Exception {
        // The fuzzer's input: the RSA and EC test certificates with a byte of the first one's
        // issuer changed, so the chain does not link up. Was a KeyStoreException "Certificate chain
        // is not valid" that named no file.
        byte[] input;
        try (var in = getClass().getResourceAsStream("PemTlsFuzzTestInputs/load/crash-chain-not-valid")) {
            input = in.readAllBytes();
        }
        Path cert = Files.write(dir.resolve("chain.pem"), java.util.Arrays.copyOfRange(input, 1, input.length));
        GeneralSecurityException e = assertThrows(GeneralSecurityException.class, () -> PemTls.load(cert, resource("tls/rsa-key.pem")));
        assertTrue(e.getMessage().contains(cert.toString()), e.getMessage());
    }
}
