package io.smtpkit.server.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.server.internal.ProxyHeader.Result;
import io.smtpkit.server.internal.ProxyHeader.Status;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The PROXY protocol header, v1 and v2, as HAProxy's doc/proxy-protocol.txt specifies it. */
class ProxyHeaderTest {

    private static final byte[] SMTP = "EHLO client.example\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final int TCP4 = 0x11;
    private static final int TCP6 = 0x21;
    private static final int PROXY = 0x21;
    private static final int LOCAL = 0x20;

    // ------------------------------------------------------------------------------------------
    // Version 1

    @Test
    void v1Tcp4NamesBothEndpoints() {
        Result r = parse("PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\n");
        assertEquals(Status.PROXIED, r.status());
        assertEquals(new InetSocketAddress(ip("192.0.2.1"), 56324), r.source());
        assertEquals(new InetSocketAddress(ip("198.51.100.2"), 25), r.destination());
        assertEquals(44, r.consumed());
    }

    @Test
    void v1Tcp6NamesBothEndpoints() {
        Result r = parse("PROXY TCP6 2001:db8::1 2001:DB8:0:0:0:0:0:2 0 65535\r\n");
        assertEquals(Status.PROXIED, r.status());
        assertEquals(new InetSocketAddress(ip("2001:db8::1"), 0), r.source());
        assertEquals(new InetSocketAddress(ip("2001:db8::2"), 65535), r.destination());
    }

    @Test
    void v1Tcp6TakesFullAndMappedForms() {
        Result r = parse("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ::ffff:192.0.2.7 65535 65535\r\n");
        assertEquals(Status.PROXIED, r.status());
        assertEquals(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), r.source().getAddress());
        assertEquals(ip("192.0.2.7"), r.destination().getAddress());
        assertEquals(ip("::"), parse("PROXY TCP6 :: ::1 1 2\r\n").source().getAddress());
        assertEquals(ip("1::"), parse("PROXY TCP6 1:: ::1 1 2\r\n").source().getAddress());
        assertEquals(ip("1:0:3:4:5:6:7:8"), parse("PROXY TCP6 1::3:4:5:6:7:8 ::1 1 2\r\n").source().getAddress());
    }

    @Test
    void v1UnknownKeepsTheRealEndpoints() {
        Result r = parse("PROXY UNKNOWN\r\n");
        assertEquals(Status.LOCAL, r.status());
        assertEquals(15, r.consumed());
        assertNull(r.source());
        assertEquals(Status.LOCAL, parse("PROXY UNKNOWN whatever is here\r\n").status());
    }

    @Test
    void v1TheLongestLineIs107OctetsAndOneMoreIsTooLong() {
        String six = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
        String longest = "PROXY UNKNOWN " + six + " " + six + " 65535 65535\r\n";
        assertEquals(107, longest.length());
        assertEquals(new Result(Status.LOCAL, 107, null, null, null), parse(longest));
        assertEquals(Status.INVALID, parse("PROXY UNKNOWN " + six + " " + six + " 65535 655355\r\n").status());
        // 107 octets without a CRLF: refused without waiting for more
        byte[] noEnd = ("PROXY UNKNOWN " + "a".repeat(93)).getBytes(StandardCharsets.US_ASCII);
        assertEquals(107, noEnd.length);
        assertEquals(Status.INVALID, ProxyHeader.parse(ByteBuffer.wrap(noEnd)).status());
        assertEquals(Status.NEED_MORE, ProxyHeader.parse(ByteBuffer.wrap(noEnd, 0, 106)).status());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "PROXY TCP4 192.0.2.1 198.51.100.2 56324 65536\r\n", // port one past the range
        "PROXY TCP4 192.0.2.1 198.51.100.2 99999 25\r\n",
        "PROXY TCP4 192.0.2.1 198.51.100.2 025 25\r\n", // heading zero
        "PROXY TCP4 192.0.2.1 198.51.100.2 -1 25\r\n",
        "PROXY TCP4 192.0.2.1 198.51.100.2 +25 25\r\n",
        "PROXY TCP4 192.0.2.1 198.51.100.2  25 25\r\n", // two spaces
        "PROXY TCP4 192.0.2.1 198.51.100.2 25\t25\r\n",
        "PROXY TCP4 192.0.2.1 198.51.100.2 25 25 \r\n", // trailing space
        "PROXY TCP4 192.0.2.1 198.51.100.2 25 25 26\r\n",
        "PROXY TCP4 192.0.2.1 198.51.100.2 25\r\n",
        "PROXY TCP4 192.0.2.01 198.51.100.2 1 25\r\n", // heading zero
        "PROXY TCP4 256.0.2.1 198.51.100.2 1 25\r\n",
        "PROXY TCP4 192.0.2 198.51.100.2 1 25\r\n",
        "PROXY TCP4 192.0.2.1.5 198.51.100.2 1 25\r\n",
        "PROXY TCP4 mail.example 198.51.100.2 1 25\r\n", // never a name lookup
        "PROXY TCP4 ::1 198.51.100.2 1 25\r\n", // family does not match
        "PROXY TCP6 192.0.2.1 ::1 1 25\r\n",
        "PROXY TCP6 1::2::3 ::1 1 25\r\n",
        "PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 25\r\n",
        "PROXY TCP6 1:2:3:4:5:6:7 ::1 1 25\r\n",
        "PROXY TCP6 1:2:3:4::5:6:7:8 ::1 1 25\r\n",
        "PROXY TCP6 12345::1 ::1 1 25\r\n",
        "PROXY TCP6 g::1 ::1 1 25\r\n",
        "PROXY TCP6 :1::1 ::1 1 25\r\n",
        "PROXY TCP6 ::1: ::1 1 25\r\n",
        "PROXY TCP5 192.0.2.1 198.51.100.2 1 25\r\n",
        "PROXY tcp4 192.0.2.1 198.51.100.2 1 25\r\n",
        "PROXY UNKNOWNX\r\n",
        "PROXY \r\n",
        "PROXY  TCP4 192.0.2.1 198.51.100.2 1 25\r\n",
        "PROXY TCP4 192.0.2.1 198.51.100.2 1 25\n", // bare LF
        "PROXY TCP4 192.0.2.1 198.51.100.2 1 25\rX\n", // bare CR
        "PROXY TCP4 192.0.2.1 198.51.100.2 1 2\u00e95\r\n",
        "PROXY\tTCP4 192.0.2.1 198.51.100.2 1 25\r\n",
        "proxy TCP4 192.0.2.1 198.51.100.2 1 25\r\n",
        "EHLO client.example\r\n", // a client that was not proxied
        "\r\n\r\nX", // a v2 signature gone wrong
        "\u0016\u0003\u0001\u0002\u0000", // a TLS ClientHello
    })
    void v1DeviationsAreInvalid(String header) {
        Result r = ProxyHeader.parse(ByteBuffer.wrap(header.getBytes(StandardCharsets.ISO_8859_1)));
        assertEquals(Status.INVALID, r.status(), r::toString);
        assertEquals(0, r.consumed());
        assertFalse(r.reason().isEmpty());
    }

    @Test
    void garbageIsRefusedFromItsFirstWrongOctet() {
        assertEquals(Status.INVALID, parse("G").status());
        assertEquals(Status.INVALID, parse("PROXX").status());
        assertEquals(Status.NEED_MORE, parse("PROX").status());
        assertEquals(Status.INVALID, parse("\r\n\r\n\u0000\r\nQUIX").status());
        assertEquals(Status.NEED_MORE, parse("").status());
    }

    // ------------------------------------------------------------------------------------------
    // Version 2

    @Test
    void v2Tcp4NamesBothEndpoints() {
        byte[] header = v2(PROXY, TCP4, concat(bytes(192, 0, 2, 1), bytes(198, 51, 100, 2), port(56324), port(25)));
        Result r = ProxyHeader.parse(ByteBuffer.wrap(header));
        assertEquals(Status.PROXIED, r.status());
        assertEquals(new InetSocketAddress(ip("192.0.2.1"), 56324), r.source());
        assertEquals(new InetSocketAddress(ip("198.51.100.2"), 25), r.destination());
        assertEquals(28, r.consumed());
    }

    @Test
    void v2Tcp6NamesBothEndpoints() {
        byte[] header = v2(PROXY, TCP6, concat(ip("2001:db8::1").getAddress(), ip("2001:db8::2").getAddress(),
                port(65535), port(587)));
        Result r = ProxyHeader.parse(ByteBuffer.wrap(header));
        assertEquals(Status.PROXIED, r.status());
        assertEquals(new InetSocketAddress(ip("2001:db8::1"), 65535), r.source());
        assertEquals(new InetSocketAddress(ip("2001:db8::2"), 587), r.destination());
        assertEquals(52, r.consumed());
    }

    @Test
    void v2TlvsAreSkipped() {
        byte[] tlvs = concat(tlv(0x04, new byte[3]), tlv(0x05, "abcde".getBytes(StandardCharsets.US_ASCII)),
                tlv(0x20, new byte[0]));
        byte[] header = v2(PROXY, TCP4, concat(tcp4Addresses(), tlvs));
        Result r = ProxyHeader.parse(ByteBuffer.wrap(concat(header, SMTP)));
        assertEquals(Status.PROXIED, r.status());
        assertEquals(header.length, r.consumed());
        assertEquals(ip("192.0.2.1"), r.source().getAddress());
    }

    @Test
    void v2LocalKeepsTheRealEndpointsWhateverItsLength() {
        assertEquals(new Result(Status.LOCAL, 16, null, null, null), ProxyHeader.parse(ByteBuffer.wrap(v2(LOCAL, 0x00, new byte[0]))));
        // "must not assume zero is presented for LOCAL connections"
        assertEquals(28, ProxyHeader.parse(ByteBuffer.wrap(concat(v2(LOCAL, TCP4, tcp4Addresses()), SMTP))).consumed());
    }

    @Test
    void v2FamiliesThisServerDoesNotServeFallBackToTheRealEndpoints() {
        assertEquals(Status.LOCAL, ProxyHeader.parse(ByteBuffer.wrap(v2(PROXY, 0x00, new byte[7]))).status()); // UNSPEC
        assertEquals(Status.LOCAL, ProxyHeader.parse(ByteBuffer.wrap(v2(PROXY, 0x31, new byte[216]))).status()); // UNIX
        assertEquals(Status.LOCAL, ProxyHeader.parse(ByteBuffer.wrap(v2(PROXY, 0x12, tcp4Addresses()))).status()); // UDP
        assertEquals(Status.INVALID, ProxyHeader.parse(ByteBuffer.wrap(v2(PROXY, 0x31, new byte[215]))).status());
    }

    @Test
    void v2EveryLengthWrongByOneIsInvalid() {
        // the header's length one short of the addresses, or one past them (eating the client's 'E')
        for (int[] family : new int[][] {{TCP4, 12}, {TCP6, 36}}) {
            byte[] body = new byte[family[1]];
            byte[] good = v2(PROXY, family[0], body);
            assertEquals(Status.PROXIED, ProxyHeader.parse(ByteBuffer.wrap(concat(good, SMTP))).status());
            assertEquals(Status.INVALID, ProxyHeader.parse(ByteBuffer.wrap(concat(withLength(good, family[1] - 1), SMTP))).status());
            assertEquals(Status.INVALID, ProxyHeader.parse(ByteBuffer.wrap(concat(withLength(good, family[1] + 1), SMTP))).status());
        }
        // a TLV's own length one short or one long
        byte[] tlv = tlv(0x05, new byte[4]);
        byte[] good = v2(PROXY, TCP4, concat(tcp4Addresses(), tlv));
        assertEquals(Status.PROXIED, ProxyHeader.parse(ByteBuffer.wrap(good)).status());
        for (int wrong : new int[] {3, 5}) {
            byte[] bad = good.clone();
            bad[16 + 12 + 2] = (byte) wrong;
            assertEquals(Status.INVALID, ProxyHeader.parse(ByteBuffer.wrap(concat(bad, SMTP))).status(), "TLV length " + wrong);
        }
        // the header's length one short or one long around a TLV
        assertEquals(Status.INVALID, ProxyHeader.parse(ByteBuffer.wrap(concat(withLength(good, 12 + 7 - 1), SMTP))).status());
        assertEquals(Status.INVALID, ProxyHeader.parse(ByteBuffer.wrap(concat(withLength(good, 12 + 7 + 1), SMTP))).status());
    }

    @ParameterizedTest
    @ValueSource(ints = {0x11, 0x31, 0x01, 0x22, 0xf1})
    void v2VersionsOtherThanTwoAreInvalid(int versionCommand) {
        byte[] header = v2(PROXY, TCP4, tcp4Addresses());
        header[12] = (byte) versionCommand;
        Result r = ProxyHeader.parse(ByteBuffer.wrap(header));
        assertEquals(Status.INVALID, r.status(), r::toString);
        // refused as soon as the octet is seen
        assertEquals(Status.INVALID, ProxyHeader.parse(ByteBuffer.wrap(header, 0, 13)).status());
    }

    @ParameterizedTest
    @ValueSource(ints = {0x41, 0x13, 0xf1, 0x1f})
    void v2UndefinedFamiliesAndProtocolsAreInvalid(int familyProtocol) {
        Result r = ProxyHeader.parse(ByteBuffer.wrap(v2(PROXY, familyProtocol, tcp4Addresses())));
        assertEquals(Status.INVALID, r.status(), r::toString);
        assertEquals(Status.INVALID, ProxyHeader.parse(ByteBuffer.wrap(v2(LOCAL, familyProtocol, new byte[0]))).status());
    }

    @Test
    void v2SignatureWrongAtAnyOctetIsInvalid() {
        byte[] good = v2(PROXY, TCP4, tcp4Addresses());
        for (int i = 0; i < 12; i++) {
            byte[] bad = good.clone();
            bad[i] ^= 0x40;
            assertEquals(Status.INVALID, ProxyHeader.parse(ByteBuffer.wrap(bad)).status(), "octet " + i);
            assertEquals(Status.INVALID, ProxyHeader.parse(ByteBuffer.wrap(bad, 0, i + 1)).status(), "octet " + i + ", cut there");
        }
    }

    // ------------------------------------------------------------------------------------------
    // Both

    static Stream<byte[]> validHeaders() {
        return Stream.of(
                ascii("PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\n"),
                ascii("PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n"),
                ascii("PROXY UNKNOWN\r\n"),
                v2(PROXY, TCP4, tcp4Addresses()),
                v2(PROXY, TCP6, new byte[36]),
                v2(LOCAL, 0x00, new byte[0]),
                v2(PROXY, TCP4, concat(tcp4Addresses(), tlv(0x01, ascii("smtp")), tlv(0x04, new byte[0]))));
    }

    @ParameterizedTest
    @MethodSource("validHeaders")
    void truncatedAtEveryOctetNeedsMoreAndWhatFollowsIsNotConsumed(byte[] header) {
        for (int cut = 0; cut < header.length; cut++) {
            Result r = ProxyHeader.parse(ByteBuffer.wrap(header, 0, cut));
            assertEquals(Result.NEED_MORE, r, "cut at " + cut);
        }
        Result whole = ProxyHeader.parse(ByteBuffer.wrap(header));
        assertTrue(whole.status() == Status.PROXIED || whole.status() == Status.LOCAL, whole::toString);
        assertEquals(header.length, whole.consumed());
        // pipelined SMTP after the header is the client's, and the input buffer is left as it was
        ByteBuffer followed = ByteBuffer.allocate(header.length + SMTP.length + 3);
        followed.position(3);
        followed.put(header).put(SMTP).flip().position(3);
        assertEquals(whole, ProxyHeader.parse(followed));
        assertEquals(3, followed.position());
        assertArrayEquals(SMTP, Arrays.copyOfRange(followed.array(), 3 + whole.consumed(), followed.limit()));
    }

    @Test
    void networksMatchByPrefix() {
        Network v4 = Network.parse("10.1.0.0/15");
        assertTrue(v4.contains(ip("10.0.255.255")));
        assertTrue(v4.contains(ip("10.1.2.3")));
        assertFalse(v4.contains(ip("10.2.0.0")));
        assertFalse(v4.contains(ip("::ffff:10.2.0.0")));
        assertTrue(Network.parse("127.0.0.1").contains(ip("127.0.0.1")));
        assertFalse(Network.parse("127.0.0.1").contains(ip("127.0.0.2")));
        assertTrue(Network.parse("0.0.0.0/0").contains(ip("203.0.113.9")));
        assertFalse(Network.parse("0.0.0.0/0").contains(ip("::1")));
        assertTrue(Network.parse("::1/128").contains(ip("::1")));
        assertTrue(Network.parse("2001:db8::/32").contains(ip("2001:db8:ffff::1")));
        assertFalse(Network.parse("2001:db8::/33").contains(ip("2001:db8:8000::1")));
        for (String bad : List.of("10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "localhost", "10.0.0.0/8/8", "")) {
            assertThrows(IllegalArgumentException.class, () -> Network.parse(bad), bad);
        }
    }

    // ------------------------------------------------------------------------------------------

    private static Result parse(String text) {
        return ProxyHeader.parse(ByteBuffer.wrap(ascii(text)));
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] v2(int versionCommand, int familyProtocol, byte[] body) {
        byte[] fixed = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
                (byte) versionCommand, (byte) familyProtocol, (byte) (body.length >>> 8), (byte) body.length};
        return concat(fixed, body);
    }

    private static byte[] withLength(byte[] header, int length) {
        byte[] copy = header.clone();
        copy[14] = (byte) (length >>> 8);
        copy[15] = (byte) length;
        return Arrays.copyOf(copy, Math.min(copy.length, 16 + length));
    }

    private static byte[] tcp4Addresses() {
        return concat(bytes(192, 0, 2, 1), bytes(198, 51, 100, 2), port(40000), port(25));
    }

    private static byte[] tlv(int type, byte[] value) {
        return concat(bytes(type, value.length >>> 8, value.length & 0xff), value);
    }

    private static byte[] port(int port) {
        return bytes(port >>> 8, port & 0xff);
    }

    private static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
