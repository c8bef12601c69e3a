package io.smtpkit.server.testsupport;

import java.io.ByteArrayOutputStream;

/** A hand-made TLS ClientHello (RFC 8446 §4.1.2), for server names no TLS library would send. */
public final class ClientHello {

    private ClientHello() {}

    /** A TLS 1.2/1.3 ClientHello record whose server_name extension (RFC 6066 §3) holds {@code hostName} as it is. */
    public static byte[] withServerName(byte[] hostName) {
        ByteArrayOutputStream sni = new ByteArrayOutputStream();
        u16(sni, hostName.length + 3); // server_name_list
        sni.write(0);                  // host_name
        u16(sni, hostName.length);
        sni.writeBytes(hostName);

        ByteArrayOutputStream extensions = new ByteArrayOutputStream();
        extension(extensions, 0x0000, sni.toByteArray());
        extension(extensions, 0x000a, new byte[] {0, 4, 0, 0x1d, 0, 0x17});         // groups: x25519, P-256
        extension(extensions, 0x000d, new byte[] {0, 4, 0x04, 0x03, 0x08, 0x04});   // ecdsa, rsa-pss sha256
        extension(extensions, 0x002b, new byte[] {4, 0x03, 0x04, 0x03, 0x03});      // TLS 1.3, 1.2

        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(3);
        body.write(3);                     // legacy_version TLS 1.2
        body.writeBytes(new byte[32]);     // random
        body.write(0);                     // no session id
        u16(body, 6);
        body.writeBytes(new byte[] {0x13, 0x01, (byte) 0xc0, 0x2f, (byte) 0xc0, 0x2b}); // cipher suites
        body.write(1);
        body.write(0);                     // null compression
        u16(body, extensions.size());
        body.writeBytes(extensions.toByteArray());

        ByteArrayOutputStream handshake = new ByteArrayOutputStream();
        handshake.write(1);                // client_hello
        handshake.write(body.size() >> 16);
        u16(handshake, body.size() & 0xffff);
        handshake.writeBytes(body.toByteArray());

        ByteArrayOutputStream record = new ByteArrayOutputStream();
        record.write(0x16);                // handshake
        record.write(3);
        record.write(1);
        u16(record, handshake.size());
        record.writeBytes(handshake.toByteArray());
        return record.toByteArray();
    }

    private static void extension(ByteArrayOutputStream out, int type, byte[] data) {
        u16(out, type);
        u16(out, data.length);
        out.writeBytes(data);
    }

    private static void u16(ByteArrayOutputStream out, int value) {
        out.write(value >> 8);
        out.write(value);
    }
}
