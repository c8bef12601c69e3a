package io.smtpkit.server;

import io.smtpkit.protocol.FuzzSeeds;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes the seed corpus of smtp-server's fuzz targets ({@link FileAuthenticatorFuzzTest},
 * {@link PemTlsFuzzTest}; issue 14), as {@code FuzzSeeds} does for smtp-protocol's. From the
 * repository root:
 *
 * <pre>
 * mvn -q -pl smtp-protocol,smtp-server test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/cp.txt
 * java -cp smtp-server/target/test-classes:smtp-server/target/classes:$(cat smtp-server/target/cp.txt) \
 *     io.smtpkit.server.ServerFuzzSeeds smtp-server/src/test/resources
 * </pre>
 */
public final class ServerFuzzSeeds {

    private ServerFuzzSeeds() {}

    public static void main(String[] args) throws IOException {
        Path resources = Path.of(args[0]);
        FuzzSeeds.write(resources.resolve("io/smtpkit/server/FileAuthenticatorFuzzTestInputs/load"), userFiles());
        FuzzSeeds.write(resources.resolve("io/smtpkit/server/PemTlsFuzzTestInputs/load"), pemFiles(resources.resolve("tls")));
    }

    private static Map<String, byte[]> userFiles() {
        String hashed = FileAuthenticator.hash("hunter2".toCharArray(), 1000);
        String[][] files = {
            {"valid", "# users\n\nalice:correct horse battery staple\nbob:" + hashed + "\n  # indented comment\n"},
            {"crlf", "alice:pass:with:colons\r\ncarol:x\r\n\r\n"},
            {"cr-only", "alice:a\rbob:b\r"},
            {"duplicate", "alice:one\nalice:two\n"},
            {"no-colon", "alice\n"},
            {"empty-user", ":password\n"},
            {"empty-password", "alice:\n"},
            {"spaces", " alice:x\nbob :y\n"},
            {"control", "al\tice:x\n"},
            {"pbkdf2-bad-iterations", "bob:{PBKDF2}0:AAAA:AAAAAAAAAAAAAAAAAAAAAA==\nc:{PBKDF2}99999999999:AAAA:AAAA\n"},
            {"pbkdf2-parts", "bob:{PBKDF2}1000:AAAA\n"},
            {"pbkdf2-bad-base64", "bob:{PBKDF2}1000:!!!!:AAAAAAAAAAAAAAAAAAAAAA==\n"},
            {"pbkdf2-short-hash", "bob:{PBKDF2}1000:AAAA:AAAA\n"},
            {"pbkdf2-empty-salt", "bob:{PBKDF2}1000::AAAAAAAAAAAAAAAAAAAAAA==\n"},
            {"utf8", "jösé:pässwörd\n\ud83d\udce7:\u20ac\n"},
            {"bom", "\ufeffalice:x\n"},
        };
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        for (String[] f : files) {
            seeds.put("seed-" + f[0], f[1].getBytes(StandardCharsets.UTF_8));
        }
        seeds.put("seed-latin1", "j\u00f6s\u00e9:x\n".getBytes(StandardCharsets.ISO_8859_1));
        return seeds;
    }

    private static Map<String, byte[]> pemFiles(Path tls) throws IOException {
        String rsaCert = Files.readString(tls.resolve("rsa-cert.pem"));
        String rsaKey = Files.readString(tls.resolve("rsa-key.pem"));
        String ecCert = Files.readString(tls.resolve("ec-cert.pem"));
        String ecKey = Files.readString(tls.resolve("ec-key.pem"));
        String pkcs1 = Files.readString(tls.resolve("rsa-key-pkcs1.pem"));
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        seeds.put("seed-both-rsa", pem(0, rsaKey + rsaCert));
        seeds.put("seed-both-ec", pem(0, ecCert + ecKey));
        seeds.put("seed-cert-rsa", pem(1, rsaCert));
        seeds.put("seed-cert-ec-mismatch", pem(1, ecCert));
        seeds.put("seed-key-rsa", pem(2, rsaKey));
        seeds.put("seed-key-ec-mismatch", pem(2, ecKey));
        seeds.put("seed-key-pkcs1", pem(2, pkcs1));
        seeds.put("seed-key-encrypted", pem(2, rsaKey.replace("PRIVATE KEY", "ENCRYPTED PRIVATE KEY")));
        seeds.put("seed-two-files-ec", pem(3, ecCert + "\0" + ecKey));
        seeds.put("seed-chain", pem(1, rsaCert + ecCert));
        seeds.put("seed-crlf", pem(0, (ecKey + ecCert).replace("\n", "\r\n")));
        seeds.put("seed-explanatory-text", pem(0, "Subject: CN=localhost\nBag Attributes\n" + ecKey + "\n" + ecCert + "trailing\n"));
        seeds.put("seed-no-end", pem(1, rsaCert.substring(0, rsaCert.indexOf("-----END"))));
        seeds.put("seed-truncated-base64", pem(1, rsaCert.substring(0, 200) + "\n-----END CERTIFICATE-----\n"));
        seeds.put("seed-bad-padding", pem(2, "-----BEGIN PRIVATE KEY-----\nMIIB=AAA\n-----END PRIVATE KEY-----\n"));
        seeds.put("seed-empty-blocks", pem(0, "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"
                + "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"));
        seeds.put("seed-nothing", pem(3, "nothing here\n\0nothing either\n"));
        return seeds;
    }

    private static byte[] pem(int mode, String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(mode);
        out.writeBytes(text.getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }
}
