package io.smtpkit.protocol.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.MailPath;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Tables for the RFC 5321 §4.1.2 path grammar and esmtp-param lists. */
class PathParserTest {

    /** Valid paths as RCPT sees them: text, local part, domain, index after the path. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = " | ", quoteCharacter = '\'', nullValues = "<none>", textBlock = """
            <user@example.org>                         | user                 | example.org            | 18
            <USER@EXAMPLE.ORG> SIZE=1                  | USER                 | EXAMPLE.ORG            | 18
            <first.last@sub.example.org>               | first.last           | sub.example.org        | 28
            <a@b>                                      | a                    | b                      | 5
            <a@b-c.d1>                                 | a                    | b-c.d1                 | 10
            <!#$%&*+-/=?^_`{|}~@example.org>           | !#$%&*+-/=?^_`{|}~   | example.org            | 32
            <"john doe"@example.org>                   | "john doe"           | example.org            | 24
            <"a\\"b"@example.org>                      | "a\\"b"              | example.org            | 20
            <""@example.org>                           | ""                   | example.org            | 16
            <"@"@example.org>                          | "@"                  | example.org            | 17
            <user@[192.0.2.1]>                         | user                 | [192.0.2.1]            | 18
            <user@[0.0.0.0]>                           | user                 | [0.0.0.0]              | 16
            <user@[255.255.255.255]>                   | user                 | [255.255.255.255]      | 24
            <user@[IPv6:2001:db8::1]>                  | user                 | [IPv6:2001:db8::1]     | 25
            <user@[ipv6:::]>                           | user                 | [ipv6:::]              | 16
            <user@[IPv6:1:2:3:4:5:6:7:8]>              | user                 | [IPv6:1:2:3:4:5:6:7:8] | 29
            <user@[IPv6:::ffff:192.0.2.1]>             | user                 | [IPv6:::ffff:192.0.2.1] | 30
            <user@[IPv6:1:2:3:4:5:6:192.0.2.1]>        | user                 | [IPv6:1:2:3:4:5:6:192.0.2.1] | 35
            <user@[x-tag:some-content]>                | user                 | [x-tag:some-content]   | 27
            <@hop.example:user@example.org>            | user                 | example.org            | 31
            <@a.example,@[192.0.2.1]:user@example.org> | user                 | example.org            | 42
            <Postmaster>                               | Postmaster           | <none>                 | 12
            <postmaster>                               | postmaster           | <none>                 | 12
            """)
    void validRecipient(String text, String local, String domain, int end) {
        PathParser.Parsed parsed = PathParser.parsePath(text, 0, false, false, true);
        assertNotNull(parsed, text);
        assertEquals(new MailPath(local, domain), parsed.path());
        assertEquals(end, parsed.end());
    }

    @ParameterizedTest(name = "[{index}] <{0}>")
    @ValueSource(strings = {
        "", "<", "<>", "<@", "<@x>", "<@x:", "<@x:>", "<@x,>", "<@x,@y>", "<@:user@example.org>", "<user@>",
        "<@x.example user@example.org>", "user@example.org", "<user@example.org", "<user@example.org ",
        "<user>", "<postmaster@>", "<\"postmaster\">", "<user@@example.org>", "<us er@example.org>",
        "<.user@example.org>", "<user.@example.org>", "<us..er@example.org>", "<user@.example.org>",
        "<user@example.org.>", "<user@example..org>", "<user@-example.org>", "<user@example-.org>",
        "<user@exa_mple.org>", "<user@exa mple.org>", "<\"unterminated@example.org>", "<\"a\"b@example.org>",
        "<\"tab\there\"@example.org>", "<user@[192.0.2.256]>", "<user@[192.0.2]>", "<user@[192.0.2.1.5]>",
        "<user@[1920.0.2.1]>", "<user@[192.0.2.1>", "<user@[]>", "<user@[IPv6:]>", "<user@[IPv6:1::2::3]>",
        "<user@[IPv6:12345::]>", "<user@[IPv6:1:2:3:4:5:6:7]>", "<user@[IPv6:1:2:3:4:5:6:7:8:9]>",
        "<user@[IPv6:g::1]>", "<user@[IPv6:::ffff:192.0.2.256]>", "<user@[tag:]>", "<user@[:x]>",
        "<user@[-tag:x]>", "<user@[tag:a]b]>", "<jösé@example.org>", "<user@bücher.example>",
        "<user@[\u0661\u0662\u0663.0.0.1]>", "<user@[IPv6:\u0661::1]>",
        "<<user@example.org>"
    })
    void invalidRecipient(String text) {
        assertNull(PathParser.parsePath(text, 0, false, false, true), text);
    }

    @Test
    void trailingTextIsLeftToTheCaller() {
        // The path ends at its '>'; what follows is for parseParameters to refuse.
        assertEquals(18, PathParser.parsePath("<user@example.org>>", 0, false, false, true).end());
        assertNull(PathParser.parseParameters(">", 0, false));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"<jösé@example.org>", "<user@bücher.example>", "<用户@例子.广告>", "<\"ü ü\"@example.org>"})
    void utf8OnlyWithSmtpUtf8(String text) {
        assertNull(PathParser.parsePath(text, 0, false, false, true));
        PathParser.Parsed parsed = PathParser.parsePath(text, 0, true, false, true);
        assertNotNull(parsed);
        assertTrue(parsed.path().isInternationalized());
    }

    /**
     * RFC 6531 §3.3 lets any UTF8-non-ascii into atext, qtext and labels, so the grammar takes C1
     * controls and U+2028/U+2029 like any other character; hasControl is what finds them (the
     * session answers 553). Each of U+0085, U+009B, U+2028 and U+2029 in a local part, a quoted
     * local part, a domain and a source route.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
        "<a\u0085b@example.org>", "<\"a\u0085b\"@example.org>", "<a@exa\u0085mple.org>", "<@h\u0085p:a@example.org>",
        "<a\u009bb@example.org>", "<\"a\u009bb\"@example.org>", "<a@exa\u009bmple.org>", "<@h\u009bp:a@example.org>",
        "<a\u2028b@example.org>", "<\"a\u2028b\"@example.org>", "<a@exa\u2028mple.org>", "<@h\u2028p:a@example.org>",
        "<a\u2029b@example.org>", "<\"a\u2029b\"@example.org>", "<a@exa\u2029mple.org>", "<@h\u2029p:a@example.org>",
        "<\u0080@example.org>", "<\u009f@example.org>"
    })
    void controlsPassTheGrammarAndAreFoundAfterIt(String text) {
        PathParser.Parsed parsed = PathParser.parsePath(text, 0, true, false, true);
        assertNotNull(parsed, text);
        assertTrue(PathParser.hasControl(text, 0, parsed.end()), text);
    }

    /** The other side of each range: UTF-8 next to the C1 controls and the separators is text. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"<用户@例子.广告>", "<jösé@bücher.example>", "<a~\u00a0b@example.org>",
        "<\"a\u2027b\u202a\"@example.org>", "<\u00ff\uffef@\u0100.example>", "<user@example.org>"})
    void utf8TextIsNoControl(String text) {
        PathParser.Parsed parsed = PathParser.parsePath(text, 0, true, false, true);
        assertNotNull(parsed, text);
        assertFalse(PathParser.hasControl(text, 0, parsed.end()), text);
    }

    /**
     * C0 controls and DEL are outside the grammar, UTF-8 or not (and the session refuses their line
     * first); no control can be slipped in as a quoted-pair either.
     */
    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"<a\u0001b@example.org>", "<\"a\u0000b\"@example.org>", "<a\u007fb@example.org>",
        "<a@exa\u001bmple.org>", "<\"a\\\u0085\"@example.org>"})
    void c0ControlsAreNoPathAtAll(String text) {
        assertNull(PathParser.parsePath(text, 0, true, false, true), text);
    }

    @ParameterizedTest(name = "U+{0}")
    @CsvSource({"0000,true", "001F,true", "0020,false", "007E,false", "007F,true", "0080,true", "0085,true",
        "009B,true", "009F,true", "00A0,false", "2027,false", "2028,true", "2029,true", "202A,false"})
    void controlRanges(String hex, boolean control) {
        assertEquals(control, PathParser.isControl((char) Integer.parseInt(hex, 16)));
    }

    @Test
    void hasControlLooksOnlyBetweenItsBounds() {
        String s = "\u0085<a@b>\u2028";
        assertFalse(PathParser.hasControl(s, 1, 6));
        assertTrue(PathParser.hasControl(s, 0, 6));
        assertTrue(PathParser.hasControl(s, 1, 7));
    }

    @Test
    void nullPathOnlyForMail() {
        assertEquals(MailPath.NULL, PathParser.parsePath("<>", 0, false, true, false).path());
        assertNull(PathParser.parsePath("<>", 0, false, false, true));
        assertNull(PathParser.parsePath("<Postmaster>", 0, false, true, false));
    }

    @Test
    void parsesFromAnOffset() {
        PathParser.Parsed parsed = PathParser.parsePath("FROM:<a@b> X", 5, false, true, false);
        assertEquals(new MailPath("a", "b"), parsed.path());
        assertEquals(10, parsed.end());
    }

    @Test
    void lengthLimits() {
        String local64 = "a".repeat(64);
        assertNotNull(PathParser.parsePath("<" + local64 + "@example.org>", 0, false, false, true));
        assertNull(PathParser.parsePath("<" + local64 + "a@example.org>", 0, false, false, true));
        // 256 octets with the brackets (RFC 5321 §4.5.3.1.3).
        String domain252 = "d".repeat(63) + "." + "d".repeat(63) + "." + "d".repeat(63) + "." + "d".repeat(60);
        assertEquals(252, domain252.length());
        assertNotNull(PathParser.parsePath("<a@" + domain252 + ">", 0, false, false, true));
        assertNull(PathParser.parsePath("<ab@" + domain252 + ">", 0, false, false, true));
        // Octets, not characters: "é" is two.
        String local32 = "é".repeat(32);
        assertNotNull(PathParser.parsePath("<" + local32 + "@example.org>", 0, true, false, true));
        assertNull(PathParser.parsePath("<" + local32 + "a@example.org>", 0, true, false, true));
    }

    @ParameterizedTest(name = "[{0}]")
    @CsvSource(delimiter = '|', textBlock = """
            ''                                 | {}
            ' SIZE=10'                         | {SIZE=10}
            ' size=10 body=8bitmime'           | {SIZE=10, BODY=8bitmime}
            ' SMTPUTF8'                        | {SMTPUTF8=null}
            '   SMTPUTF8   SIZE=1  '           | {SMTPUTF8=null, SIZE=1}
            ' X-A-1=a;b,c+d'                   | {X-A-1=a;b,c+d}
            ' AUTH=<>'                         | {AUTH=<>}
            """)
    void validParameters(String text, String expected) {
        Map<String, String> params = PathParser.parseParameters(text, 0, false);
        assertEquals(expected, String.valueOf(new LinkedHashMap<>(params)));
    }

    @ParameterizedTest(name = "[{0}]")
    @ValueSource(strings = {"SIZE=1", " SIZE=", " SIZE==1", " SIZE=1=2", " -X", " X_Y=1", " =1", " SIZE=1 SIZE=2",
        " size=1 SIZE=2", " SIZE=a\tb", " SIZE=\u00e9", " SIZE=1\u0000"})
    void invalidParameters(String text) {
        assertNull(PathParser.parseParameters(text, 0, false), text);
    }

    @Test
    void utf8ParameterValuesOnlyWithSmtpUtf8() {
        assertNull(PathParser.parseParameters(" ORCPT=utf-8;\u00e9", 0, false));
        assertEquals(Map.of("ORCPT", "utf-8;\u00e9"), PathParser.parseParameters(" ORCPT=utf-8;\u00e9", 0, true));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {" ORCPT=utf-8;a\u0085", " ORCPT=utf-8;\u009b", " ENVID=\u2028", " ENVID=a\u2029b", " X=\u0080"})
    void parameterValuesHoldNoControlsEvenWithSmtpUtf8(String text) {
        assertNull(PathParser.parseParameters(text, 0, true), text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"example.org", "a", "a-b.c", "[192.0.2.1]", "[IPv6:::1]", "xn--bcher-kva.example"})
    void domains(String domain) {
        assertTrue(PathParser.isDomain(domain, false));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "a.", ".a", "-a", "a-", "a..b", "a b", "[192.0.2.300]", "bücher.example", "[IPv6:::1"})
    void notDomains(String domain) {
        assertFalse(PathParser.isDomain(domain, false));
    }

    @ParameterizedTest
    @CsvSource({"0.0.0.0,true", "255.255.255.255,true", "256.0.0.0,false", "1.2.3,false", "1.2.3.4.5,false",
        "01.2.3.4,true", "1234.2.3.4,false", "1..3.4,false", "a.b.c.d,false", "\u0661.2.3.4,false"})
    void ipv4(String text, boolean valid) {
        assertEquals(valid, PathParser.isIpv4(text), text);
    }

    // "1:2:3:4:5:6::8" ("::" for a single group) is valid IPv6 (RFC 4291 §2.2) but outside RFC
    // 5321's IPv6-comp, which allows at most six groups besides "::". Accepted on purpose, as
    // inet_pton and the MTAs that use it do.
    @ParameterizedTest
    @CsvSource({"::,true", "::1,true", "1::,true", "1:2:3:4:5:6:7:8,true", "1:2:3:4:5:6::8,true",
        "1:2:3:4:5:6:1.2.3.4,true", "::1.2.3.4,true", "1:2:3:4:5:6:7,false", "1:2:3:4:5:6:7:8:9,false",
        "1::2::3,false", ":1:2:3:4:5:6:7,false", "12345::,false", "g::,false", "::1.2.3,false", "\u0661::,false"})
    void ipv6(String text, boolean valid) {
        assertEquals(valid, PathParser.isIpv6(text), text);
    }
}
