package io.smtpkit.testkit.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * A self-signed X.509 v3 certificate (RFC 5280) made in memory, so that a test gets TLS without
 * openssl, key files or a certificate checked into its sources. The JDK can sign but has no public
 * API to build a certificate, so the DER is written here: an EC P-256 key (fast to generate),
 * signed with ECDSA/SHA-256, valid from a day ago for a year, naming {@code localhost} and
 * {@code 127.0.0.1} as subject alternative names, so clients that check the host name accept it.
 */
public final class SelfSigned {

    private static final String CN = "2.5.4.3";
    private static final String ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";
    private static final String SUBJECT_ALT_NAME = "2.5.29.17";
    private static final String BASIC_CONSTRAINTS = "2.5.29.19";
    private static final DateTimeFormatter UTC_TIME = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").withZone(ZoneOffset.UTC);

    private final KeyPair keys;
    private final X509Certificate certificate;

    private SelfSigned(KeyPair keys, X509Certificate certificate) {
        this.keys = keys;
        this.certificate = certificate;
    }

    /** A new key pair and a certificate for {@code host} (plus {@code localhost} and {@code 127.0.0.1}). */
    public static SelfSigned create(String host) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
            KeyPair keys = generator.generateKeyPair();
            byte[] name = name(host);
            Instant now = Instant.now();
            byte[] algorithm = sequence(oid(ECDSA_WITH_SHA256)); // RFC 5758 §3.2: no parameters
            byte[] tbs = sequence(
                    tagged(0xa0, integer(BigInteger.TWO)), // v3
                    integer(new BigInteger(64, new SecureRandom()).setBit(63)), // positive, 8 octets
                    algorithm,
                    name,
                    sequence(utcTime(now.minus(Duration.ofDays(1))), utcTime(now.plus(Duration.ofDays(365)))),
                    name,
                    keys.getPublic().getEncoded(), // SubjectPublicKeyInfo, already DER
                    tagged(0xa3, sequence(
                            extension(BASIC_CONSTRAINTS, true, sequence()), // not a CA
                            extension(SUBJECT_ALT_NAME, false, subjectAltNames(host)))));
            Signature signer = Signature.getInstance("SHA256withECDSA");
            signer.initSign(keys.getPrivate());
            signer.update(tbs);
            byte[] der = sequence(tbs, algorithm, bitString(signer.sign()));
            X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
            return new SelfSigned(keys, certificate);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot make a self-signed certificate: " + e.getMessage(), e);
        }
    }

    public KeyPair keys() {
        return keys;
    }

    public X509Certificate certificate() {
        return certificate;
    }

    private static byte[] subjectAltNames(String host) throws GeneralSecurityException {
        ByteArrayOutputStream names = new ByteArrayOutputStream();
        for (String dns : List.of(host, "localhost").stream().distinct().toList()) {
            if (!isIpLiteral(dns)) {
                names.writeBytes(tlv(0x82, dns.getBytes(StandardCharsets.US_ASCII))); // dNSName [2]
            }
        }
        for (String ip : List.of(host, "127.0.0.1").stream().distinct().toList()) {
            if (isIpLiteral(ip)) {
                try {
                    names.writeBytes(tlv(0x87, InetAddress.getByName(ip).getAddress())); // iPAddress [7]
                } catch (java.net.UnknownHostException e) {
                    throw new GeneralSecurityException(e);
                }
            }
        }
        return tlv(0x30, names.toByteArray());
    }

    private static boolean isIpLiteral(String host) {
        return host.matches("[0-9.]+") || host.contains(":");
    }

    private static byte[] name(String cn) {
        return sequence(tlv(0x31, sequence(oid(CN), tlv(0x0c, cn.getBytes(StandardCharsets.UTF_8)))));
    }

    private static byte[] extension(String oid, boolean critical, byte[] value) {
        return critical
                ? sequence(oid(oid), tlv(0x01, new byte[] {(byte) 0xff}), tlv(0x04, value))
                : sequence(oid(oid), tlv(0x04, value));
    }

    private static byte[] utcTime(Instant t) {
        return tlv(0x17, UTC_TIME.format(t).getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] integer(BigInteger value) {
        return tlv(0x02, value.toByteArray());
    }

    private static byte[] bitString(byte[] bits) {
        byte[] content = new byte[bits.length + 1]; // leading 0: no unused bits
        System.arraycopy(bits, 0, content, 1, bits.length);
        return tlv(0x03, content);
    }

    private static byte[] oid(String dotted) {
        String[] arcs = dotted.split("\\.");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(Integer.parseInt(arcs[0]) * 40 + Integer.parseInt(arcs[1]));
        for (int i = 2; i < arcs.length; i++) {
            long arc = Long.parseLong(arcs[i]);
            // base 128, most significant group first, high bit set on all but the last
            int groups = 1;
            for (long rest = arc >>> 7; rest != 0; rest >>>= 7) {
                groups++;
            }
            for (int g = groups - 1; g >= 0; g--) {
                int bits = (int) ((arc >>> (7 * g)) & 0x7f);
                out.write(g == 0 ? bits : bits | 0x80);
            }
        }
        return tlv(0x06, out.toByteArray());
    }

    private static byte[] sequence(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return tlv(0x30, out.toByteArray());
    }

    private static byte[] tagged(int tag, byte[] content) {
        return tlv(tag, content);
    }

    /** Tag, DER definite length (short form below 128, else long form), content. */
    private static byte[] tlv(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
        out.write(tag);
        int length = content.length;
        if (length < 0x80) {
            out.write(length);
        } else {
            int octets = (32 - Integer.numberOfLeadingZeros(length) + 7) / 8;
            out.write(0x80 | octets);
            for (int i = octets - 1; i >= 0; i--) {
                out.write(length >>> (8 * i));
            }
        }
        out.writeBytes(content);
        return out.toByteArray();
    }
}
