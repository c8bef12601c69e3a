package io.smtpkit.protocol;

import io.smtpkit.protocol.transcript.Transcript;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the seed corpus of smtp-protocol's fuzz targets (issue 14) into their inputs
 * directories, where Jazzer's regression mode replays them and {@code scripts/fuzz.sh} starts
 * from them. For {@link SessionFuzzTest}: one input per golden transcript (its client bytes, with
 * a header that gives its configuration, handler answers and TLS outcomes as far as
 * {@link SessionFuzzInput} can say them) and the attack shapes below; for the others, the inputs
 * of their parsers' tables and attack shapes. Run it after adding transcripts or seeds, from the
 * repository root:
 *
 * <pre>
 * mvn -q -pl smtp-protocol test-compile
 * java -cp smtp-protocol/target/test-classes:smtp-protocol/target/classes io.smtpkit.protocol.FuzzSeeds \
 *     smtp-protocol/src/test/resources
 * </pre>
 *
 * Files it writes are named {@code seed-*}; it replaces those and leaves the rest alone, above all
 * the crash reproducers kept beside them ({@code crash-*}).
 */
public final class FuzzSeeds {

    private FuzzSeeds() {}

    public static void main(String[] args) throws IOException {
        Path resources = Path.of(args[0]);
        Map<String, byte[]> session = new LinkedHashMap<>();
        List<Transcript> transcripts = Transcript.loadAll();
        for (int i = 0; i < transcripts.size(); i++) {
            Transcript t = transcripts.get(i);
            session.put("seed-transcript-" + t.name(), fromTranscript(t, i));
        }
        attackShapes(session);
        write(resources.resolve("io/smtpkit/protocol/SessionFuzzTestInputs/session"), session);
        write(resources.resolve("io/smtpkit/protocol/internal/DataDecoderFuzzTestInputs/decode"), dataSeeds());
        write(resources.resolve("io/smtpkit/protocol/internal/LineReaderFuzzTestInputs/read"), lineSeeds());
        write(resources.resolve("io/smtpkit/protocol/internal/PathParserFuzzTestInputs/parse"), pathSeeds());
        write(resources.resolve("io/smtpkit/protocol/internal/SaslFuzzTestInputs/decode"), saslSeeds());
    }

    /** Replaces the {@code seed-*} files in {@code dir} with {@code seeds}. */
    public static void write(Path dir, Map<String, byte[]> seeds) throws IOException {
        Files.createDirectories(dir);
        try (var old = Files.list(dir)) {
            for (Path p : old.toList()) {
                if (p.getFileName().toString().startsWith("seed-")) {
                    Files.delete(p);
                }
            }
        }
        for (Map.Entry<String, byte[]> e : seeds.entrySet()) {
            Files.write(dir.resolve(e.getKey()), e.getValue());
        }
        System.out.println(seeds.size() + " seeds written to " + dir);
    }

    /** A seed: {@code header} bytes, then {@code text} in UTF-8. */
    public static byte[] bytes(int[] header, String text) {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[header.length + body.length];
        for (int i = 0; i < header.length; i++) {
            out[i] = (byte) header[i];
        }
        System.arraycopy(body, 0, out, header.length, body.length);
        return out;
    }

    // ------------------------------------------------------------------------------------------
    // DataDecoderFuzzTest: flags (normalise, buffer kind, largest read), seed, data

    private static Map<String, byte[]> dataSeeds() {
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        String[][] shapes = {
            {"plain", "Subject: hi\r\n\r\nHello\r\n"},
            {"empty", ""},
            {"dot-first", ".\r\n"},
            {"stuffed", "..\r\n.x\r\n...\r\n"},
            {"lf-dot-lf", "a\n.\nMAIL FROM:<x@y>\r\n"},
            {"cr-dot-cr", "b\r.\rMAIL FROM:<x@y>\r\n"},
            {"lf-dot-crlf", "c\n.\r\nMAIL FROM:<x@y>\r\n"},
            {"crlf-dot-lf", "d\r\n.\nMAIL FROM:<x@y>\r\n"},
            {"crlf-dot-cr", "e\r\n.\rMAIL FROM:<x@y>\r\n"},
            {"dot-cr-cr-lf", "f\r\n.\r\r\n"},
            {"nul-8bit", "\0\u00ff\u00e9\r\n\0.\r\n"},
            {"bare-cr-end", "g\r"},
            {"end-then-more", "h\r\n.\r\nQUIT\r\n..\r\n"},
            {"long-lines", "x".repeat(300) + "\r\n" + "y".repeat(300) + "\n"},
        };
        int[] flags = {0x00, 0x01, 0x03, 0x0c, 0x0d, 0x0f, 0x46, 0xfb};
        for (int i = 0; i < shapes.length; i++) {
            String data = shapes[i][1];
            seeds.put("seed-" + shapes[i][0], latin1(new int[] {flags[i % flags.length], i}, data));
            seeds.put("seed-" + shapes[i][0] + "-bytewise", latin1(new int[] {flags[(i + 3) % flags.length] | 0x08, i}, data));
        }
        return seeds;
    }

    private static byte[] latin1(int[] header, String text) {
        byte[] body = text.getBytes(StandardCharsets.ISO_8859_1);
        byte[] out = new byte[header.length + body.length];
        for (int i = 0; i < header.length; i++) {
            out[i] = (byte) header[i];
        }
        System.arraycopy(body, 0, out, header.length, body.length);
        return out;
    }

    // ------------------------------------------------------------------------------------------
    // LineReaderFuzzTest: capacity, split (largest read, buffer kind), seed, bytes

    private static Map<String, byte[]> lineSeeds() {
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        seeds.put("seed-commands", latin1(new int[] {200, 0, 0}, "EHLO x\r\nMAIL FROM:<a@b>\r\nNOOP\nRSET\r\r\n\r\n"));
        seeds.put("seed-at-capacity", latin1(new int[] {2, 3, 1}, "12345678\r\n123456789\r\n12345678\n123456789\nok\r\n"));
        seeds.put("seed-overflow-then-line", latin1(new int[] {12, 7, 2}, "x".repeat(40) + "\r\nok\r\n" + "y".repeat(19) + "\r"));
        seeds.put("seed-smtp-512", latin1(new int[] {132, 0x21, 3}, "NOOP " + "a".repeat(505) + "\r\nNOOP " + "a".repeat(506) + "\r\n"));
        seeds.put("seed-sasl-12288", latin1(new int[] {255, 0x5f, 4}, "A".repeat(12_286) + "\r\n" + "B".repeat(12_287) + "\r\nC\r\n"));
        seeds.put("seed-cr-lf-nul", latin1(new int[] {20, 0x41, 5}, "\r\r\n\n\0\n\r\u00ff\n"));
        seeds.put("seed-no-lf", latin1(new int[] {100, 0x02, 6}, "z".repeat(500)));
        return seeds;
    }

    // ------------------------------------------------------------------------------------------
    // PathParserFuzzTest: flags (utf8, null, postmaster, read as UTF-8, start), text

    private static Map<String, byte[]> pathSeeds() {
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        String[] paths = {
            "<a@example.org>", "<>", "<Postmaster>", "<postmaster@example.org>", "<\"q\\\"x\"@[192.0.2.1]>",
            "<u@[IPv6:2001:db8::1]>", "<u@[IPv6:::ffff:192.0.2.1]>", "<u@[IPv6:1:2:3:4:5:6:7:8]>", "<u@[tag:x~y]>",
            "<@a.example,@[192.0.2.1]:u@c.example>", "<@a.example:>", "<jösé@exämple.org>", "<a.b.c@d-e.f>",
            "<a..b@x>", "<.a@x>", "<a@-x>", "<a@x->", "<a@x..y>", "<a@[1.2.3.256]>", "<a@[١٢٧.0.0.1]>",
            "<" + "l".repeat(65) + "@x>", "<a@" + "d".repeat(63) + "." + "e".repeat(63) + "." + "f".repeat(63) + "." + "g".repeat(60) + ">",
            "<a@b> SIZE=10 BODY=8BITMIME SMTPUTF8", "<a@b> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;a@b", "<a@b>  X-Y=1  ",
            "<a@b> =x", "<a@b> K=", "<a@b> K=v=w", "<a@b> k=1 K=2", "<a@b> AUTH=<>", "<a@b> ENVID=é",
        };
        int[] flags = {0x07, 0x0f, 0x06, 0x01, 0x0b, 0x02, 0x04, 0x0e};
        for (int i = 0; i < paths.length; i++) {
            seeds.put(String.format("seed-%02d", i), bytes(new int[] {flags[i % flags.length] | 0x08}, paths[i]));
        }
        seeds.put("seed-from-offset", bytes(new int[] {0x5f}, "FROM:<a@b.example> SIZE=1"));
        seeds.put("seed-latin1", latin1(new int[] {0x01}, "<j\u00f6@x\u00e9.org>"));
        return seeds;
    }

    // ------------------------------------------------------------------------------------------
    // SaslFuzzTest: the bytes

    private static Map<String, byte[]> saslSeeds() {
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        String[] texts = {
            "AGFsaWNlAHNlY3JldA==", "YWxpY2UAYWxpY2UAc2VjcmV0", "AAB4", "YWxpY2U=", "=", "*", "RU", "YQ", "YQ=", "Y",
            "!!!!", "  AGFsaWNlAHNlY3JldA==  ", "wK8=", "7aCA", "authz\0user\0pass", "\0user\0pass", "\0\0pass",
            "a\0b\0c\0d", "jösé\0€\0\ud83d\udce7",
        };
        for (int i = 0; i < texts.length; i++) {
            seeds.put(String.format("seed-%02d", i), bytes(new int[0], texts[i]));
        }
        return seeds;
    }

    // ------------------------------------------------------------------------------------------
    // From the golden transcripts

    private static final SessionFuzzInput.Split[] ROTATION = {
        SessionFuzzInput.Split.WHOLE, SessionFuzzInput.Split.LINES, SessionFuzzInput.Split.TINY,
        SessionFuzzInput.Split.SMALL, SessionFuzzInput.Split.LINES_CUT, SessionFuzzInput.Split.HALVES,
    };

    static byte[] fromTranscript(Transcript t, int index) {
        SessionConfig c = t.sessionConfig();
        Header h = new Header();
        h.bit(0, 0, c.smtpUtf8()).bit(0, 1, c.eightBitMime()).bit(0, 2, c.pipelining()).bit(0, 3, c.chunking())
                .bit(0, 4, c.binaryMime()).bit(0, 5, c.enhancedStatusCodes()).bit(0, 6, c.dsn()).bit(0, 7, c.startTls())
                .bit(1, 0, c.authentication()).bit(1, 1, c.allowInsecureAuth()).bit(1, 2, c.requireTls())
                .bit(1, 3, c.requireAuth()).bit(1, 4, c.bareLineEndings() == BareLineEndings.REJECT);
        long size = c.maxMessageSize();
        h.bytes[2] = (byte) (size == 0 ? 0 : size % 8 == 0 && size / 8 < 255 ? size / 8 : 255);
        int recipients = c.maxRecipients() <= 15 ? c.maxRecipients() : 0;
        int errors = c.maxErrors() <= 15 ? c.maxErrors() : 0;
        h.bytes[3] = (byte) (errors << 4 | recipients);
        int line = c.maxCommandLine();
        h.bytes[4] = (byte) (line == SessionConfig.DEFAULT_MAX_COMMAND_LINE ? 0 : Math.max(1, Math.min(255, line - 63)));

        ByteArrayOutputStream client = new ByteArrayOutputStream();
        boolean tls = false;
        boolean timeout = false;
        int tlsFailures = 0;
        int handshakes = 0;
        for (Transcript.Phase phase : t.phases()) {
            client.writeBytes(phase.input());
            if (phase.action() instanceof Transcript.Tls step) {
                tls = true;
                if (!step.success()) {
                    tlsFailures |= 1 << handshakes;
                }
                handshakes++;
            } else if (phase.action() instanceof Transcript.Timeout) {
                timeout = true;
            }
        }
        h.bytes[9] = (byte) tlsFailures;
        h.answers(answers(t));
        SessionFuzzInput.Split split = tls ? SessionFuzzInput.Split.LINES : ROTATION[index % ROTATION.length];
        h.split(split, index % 4, timeout, index);
        boolean perRecipient = t.steps().stream()
                .anyMatch(s -> s instanceof Transcript.Answer a && a.kind() == Transcript.DecisionKind.DELIVERY);
        h.bit(10, 6, perRecipient).bit(10, 7, c.lmtp());
        return SessionFuzzInput.encode(h.bytes, client.toByteArray());
    }

    /** The transcript's handler answers in the order the session asks, as {@link SessionFuzzInput#answer} codes. */
    private static List<Integer> answers(Transcript t) {
        List<Integer> codes = new ArrayList<>();
        Transcript.Script script = t.script();
        SessionOutput quiet = new SessionOutput() {
            @Override public void send(byte[] reply) { }
            @Override public void content(ByteBuffer chunk) { }
            @Override public void discardContent() { }
            @Override public void startTls() { }
            @Override public void close() { }
        };
        SmtpSession session = new SmtpSession(t.sessionConfig(), quiet);
        session.start();
        settle(session, script, codes);
        for (Transcript.Phase phase : t.phases()) {
            ByteBuffer in = ByteBuffer.wrap(phase.input());
            while (in.hasRemaining() && !session.isClosed() && session.state() != SessionState.TLS) {
                session.receive(in);
                settle(session, script, codes);
            }
            if (phase.action() instanceof Transcript.Tls step && session.state() == SessionState.TLS) {
                session.tlsStarted(step.success());
            }
        }
        return codes;
    }

    private static void settle(SmtpSession session, Transcript.Script script, List<Integer> codes) {
        Decision d;
        while ((d = session.awaiting()) != null) {
            List<Reply> perRecipient = d instanceof Decision.Message m ? script.answerPerRecipient(m) : null;
            if (perRecipient != null) {
                perRecipient.forEach(r -> codes.add(code(r)));
                session.resumePerRecipient(perRecipient);
                continue;
            }
            Reply r = script.answer(d);
            codes.add(code(r));
            session.resume(r);
        }
    }

    /** The {@link SessionFuzzInput#answer} code nearest to {@code r}. */
    private static int code(Reply r) {
        return r == null ? 0
                : r.code() == 421 ? 6
                : r.code() == 535 ? 7
                : r.code() == 250 || r.code() == 235 ? 2
                : r.isPositive() ? 3
                : r.isTransient() ? 4
                : 5;
    }

    // ------------------------------------------------------------------------------------------
    // Attack shapes

    private static final String EHLO = "EHLO client.example\r\n";
    private static final String ENVELOPE = EHLO + "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n";

    private static void attackShapes(Map<String, byte[]> seeds) {
        // SMTP smuggling (CVE-2023-51764/51765/51766): every "almost" terminator stays content.
        String[] almost = {"\n.\n", "\r.\r", "\n.\r\n", "\r\n.\n", "\r\n.\r", "\r\n.\0\r\n", "\r\n..\r\n"};
        String[] names = {"lf-dot-lf", "cr-dot-cr", "lf-dot-crlf", "crlf-dot-lf", "crlf-dot-cr", "dot-nul", "dot-dot"};
        for (int i = 0; i < almost.length; i++) {
            String data = ENVELOPE + "DATA\r\nSubject: x\r\n\r\na" + almost[i]
                    + "MAIL FROM:<evil@example.net>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\nsmuggled\r\n.\r\nQUIT\r\n";
            seeds.put("seed-smuggling-" + names[i], seed(new Header().all().split(SessionFuzzInput.Split.WHOLE, 0, false, i), data));
            seeds.put("seed-smuggling-" + names[i] + "-reject",
                    seed(new Header().all().bit(1, 4, true).split(SessionFuzzInput.Split.TINY, 1, false, i), data));
        }
        seeds.put("seed-smuggling-bdat", seed(new Header().all().split(SessionFuzzInput.Split.SMALL, 2, false, 7),
                ENVELOPE + "BDAT 31\r\na\r\n.\r\nMAIL FROM:<e@example.net>\r\nBDAT 0 LAST\r\nQUIT\r\n"));
        seeds.put("seed-bdat-chunking-off", seed(new Header().all().bit(0, 3, false).split(SessionFuzzInput.Split.LINES, 0, false, 0),
                ENVELOPE + "BDAT 12\r\nNOOP\r\nNOOP\r\nNOOP\r\n"));
        seeds.put("seed-bdat-out-of-sequence", seed(new Header().all().split(SessionFuzzInput.Split.WHOLE, 3, false, 0),
                "BDAT 6 LAST\r\nNOOP\r\n" + EHLO + "BDAT 6\r\nRSET\r\nQUIT\r\n"));
        // LMTP (RFC 2033): duplicates answered twice, each recipient its own answer, BDAT LAST, too big.
        String lmtp = "LHLO client.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
                + "RCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\n";
        seeds.put("seed-lmtp-data-per-recipient", seed(new Header().all().answers(List.of(0, 0, 0, 0, 0, 0, 2, 4, 5))
                .split(SessionFuzzInput.Split.LINES, 0, false, 0).bit(10, 6, true).bit(10, 7, true),
                lmtp + "DATA\r\nhi\r\n.\r\n" + lmtp + "BDAT 2\r\nhiBDAT 2 LAST\r\n\r\nHELO x\r\nEHLO x\r\nQUIT\r\n"));
        seeds.put("seed-lmtp-too-big", seed(new Header().all().size(1).split(SessionFuzzInput.Split.SMALL, 1, false, 3)
                .bit(10, 7, true), lmtp + "DATA\r\n0123456789\r\n.\r\n" + lmtp + "BDAT 9\r\n012345678BDAT 1 LAST\r\nx"
                + lmtp + "BDAT 9 LAST\r\n012345678QUIT\r\n"));
        seeds.put("seed-bdat-rset", seed(new Header().all().split(SessionFuzzInput.Split.BYTES, 1, false, 0),
                ENVELOPE + "BDAT 3\r\nabcRSET\r\nBDAT 1 LAST\r\nx"));

        // Overlong lines: commands, MAIL with every extension, a SASL response past 12288 octets.
        seeds.put("seed-overlong-noop", seed(new Header().all().split(SessionFuzzInput.Split.SMALL, 0, false, 3),
                "NOOP " + "x".repeat(600) + "\r\nNOOP " + "y".repeat(505) + "\r\nNOOP " + "z".repeat(506) + "\r\nQUIT\r\n"));
        seeds.put("seed-overlong-small-limit", seed(new Header().all().line(64).split(SessionFuzzInput.Split.TINY, 2, false, 1),
                EHLO + "MAIL FROM:<" + "a".repeat(60) + "@example.org>\r\nHELP " + "h".repeat(70) + "\r\nQUIT\r\n"));
        seeds.put("seed-overlong-mail-all-extensions", seed(new Header().all().split(SessionFuzzInput.Split.LARGE, 0, false, 9),
                EHLO + "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nMAIL FROM:<" + "l".repeat(64) + "@" + "d".repeat(60)
                        + ".example> SIZE=99999999999999999999 BODY=BINARYMIME SMTPUTF8 AUTH=" + "x".repeat(500)
                        + " RET=HDRS ENVID=" + "e".repeat(100) + "\r\nQUIT\r\n"));
        seeds.put("seed-overlong-sasl", seed(new Header().all().answers(List.of(0, 0, 2)).split(SessionFuzzInput.Split.LARGE, 1, false, 2),
                EHLO + "AUTH PLAIN\r\n" + "A".repeat(12_300) + "\r\nAUTH LOGIN " + "B".repeat(12_280) + "\r\n*\r\nQUIT\r\n"));
        seeds.put("seed-overlong-no-lf", seed(new Header().all().split(SessionFuzzInput.Split.SMALL, 3, true, 4),
                EHLO + "NOOP " + "n".repeat(3000)));

        // NULs and other controls, in commands and in content.
        seeds.put("seed-nul", seed(new Header().all().split(SessionFuzzInput.Split.WHOLE, 0, false, 0),
                "EHLO a\0b\r\n" + ENVELOPE + "DATA\r\n\0\0\r\n.\0\r\n\0.\r\n.\r\nMAIL FROM:<a@b>\0\r\nNOOP\t\r\n\u007f\r\nQUIT\r\n"));
        seeds.put("seed-bare-cr-lf-commands", seed(new Header().all().split(SessionFuzzInput.Split.LINES_CUT, 1, false, 5),
                "EHLO x\rNOOP\r\nNOOP\nRSET\r\r\n\n\r\nQUIT\r\n"));
        seeds.put("seed-bare-lf-reject", seed(new Header().all().bit(1, 4, true).split(SessionFuzzInput.Split.LINES, 2, false, 0),
                "EHLO x\nMAIL FROM:<a@b.example>\nRCPT TO:<c@d.example>\r\nDATA\r\na\nb\r\n.\r\nQUIT\n"));

        // Bad UTF-8, with and without SMTPUTF8.
        byte[][] badUtf8 = {
            {(byte) 0xc3, 0x28}, {(byte) 0xc0, (byte) 0xaf}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
            {(byte) 0xe2, (byte) 0x82}, {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, {(byte) 0xff},
        };
        ByteArrayOutputStream utf8 = new ByteArrayOutputStream();
        utf8.writeBytes(EHLO.getBytes(StandardCharsets.US_ASCII));
        for (byte[] bad : badUtf8) {
            utf8.writeBytes("MAIL FROM:<j".getBytes(StandardCharsets.US_ASCII));
            utf8.writeBytes(bad);
            utf8.writeBytes("@example.org> SMTPUTF8\r\nEHLO ".getBytes(StandardCharsets.US_ASCII));
            utf8.writeBytes(bad);
            utf8.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        utf8.writeBytes("MAIL FROM:<jösé@exämple.org> SMTPUTF8\r\nRCPT TO:<ü@example.org>\r\nQUIT\r\n".getBytes(StandardCharsets.UTF_8));
        seeds.put("seed-bad-utf8-smtputf8", SessionFuzzInput.encode(new Header().all().split(SessionFuzzInput.Split.WHOLE, 0, false, 0).bytes,
                utf8.toByteArray()));
        seeds.put("seed-bad-utf8-ascii-only", SessionFuzzInput.encode(
                new Header().all().bit(0, 0, false).split(SessionFuzzInput.Split.TINY, 1, false, 0).bytes, utf8.toByteArray()));
        seeds.put("seed-utf8-verb", seed(new Header().all().split(SessionFuzzInput.Split.WHOLE, 0, false, 0),
                "\ud83d\udce7".repeat(20) + " x\r\nßßßß\r\nbdat 1 laſt\r\nQUIT\r\n"));

        // 20-digit (and longer) sizes: SIZE= and BDAT.
        seeds.put("seed-size-20-digits", seed(new Header().all().size(100).split(SessionFuzzInput.Split.WHOLE, 0, false, 0),
                EHLO + "MAIL FROM:<a@b.example> SIZE=99999999999999999999\r\n"
                        + "MAIL FROM:<a@b.example> SIZE=999999999999999999999\r\n"
                        + "MAIL FROM:<a@b.example> SIZE=9223372036854775808\r\n"
                        + "MAIL FROM:<a@b.example> SIZE=00000000000000000001\r\n"
                        + "RCPT TO:<c@d.example>\r\nBDAT 99999999999999999999 LAST\r\nabc"));
        seeds.put("seed-bdat-20-digits", seed(new Header().all().split(SessionFuzzInput.Split.SMALL, 1, false, 0),
                ENVELOPE + "BDAT 00000000000000000005 LAST\r\nhello" + "MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n"
                        + "BDAT 18446744073709551616\r\nxyz"));

        // Limits: errors, recipients, message size.
        StringBuilder flood = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            flood.append("BOGUS ").append(i).append("\r\n");
        }
        seeds.put("seed-max-errors", seed(new Header().all().limits(0, 3).split(SessionFuzzInput.Split.WHOLE, 0, false, 0), flood.toString()));
        StringBuilder rcpts = new StringBuilder(EHLO + "MAIL FROM:<a@b.example>\r\n");
        for (int i = 0; i < 8; i++) {
            rcpts.append("RCPT TO:<r").append(i).append("@example.org>\r\n");
        }
        seeds.put("seed-max-recipients", seed(new Header().all().limits(2, 0).split(SessionFuzzInput.Split.LINES, 0, false, 0),
                rcpts + "DATA\r\nhi\r\n.\r\nQUIT\r\n"));
        seeds.put("seed-too-big", seed(new Header().all().size(2).split(SessionFuzzInput.Split.TINY, 3, false, 0),
                ENVELOPE + "DATA\r\n" + "0123456789".repeat(3) + "\r\n.\r\n" + "MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n"
                        + "BDAT 10\r\n0123456789BDAT 10 LAST\r\n0123456789QUIT\r\n"));

        // STARTTLS: pipelined commands behind it, a failed handshake, a partial line before it.
        seeds.put("seed-starttls-pipelined", seed(new Header().all().split(SessionFuzzInput.Split.WHOLE, 0, false, 0),
                EHLO + "STARTTLS\r\nRSET\r\nMAIL FROM:<injected@example.net>\r\n"));
        seeds.put("seed-starttls-lines", seed(new Header().all().tls(0b10).split(SessionFuzzInput.Split.LINES, 1, false, 0),
                EHLO + "STARTTLS\r\n" + EHLO + "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nSTARTTLS\r\nQUIT\r\n"));
        seeds.put("seed-starttls-fail", seed(new Header().all().tls(0b1).split(SessionFuzzInput.Split.LINES, 0, false, 0),
                EHLO + "STARTTLS\r\nNOOP\r\n"));
        seeds.put("seed-implicit-tls", seed(new Header().all().bit(1, 5, true).bit(1, 1, false).answers(List.of(0, 0, 2))
                .split(SessionFuzzInput.Split.LINES, 2, false, 0), EHLO + "STARTTLS\r\nAUTH LOGIN\r\nYWxpY2U=\r\nc2VjcmV0\r\nQUIT\r\n"));

        // AUTH: LOGIN, cancel, empty authcid, bad base64, a 421 answer.
        seeds.put("seed-auth-mixed", seed(new Header().all().answers(List.of(0, 0, 7, 6)).split(SessionFuzzInput.Split.SMALL, 0, false, 6),
                EHLO + "AUTH LOGIN\r\n*\r\nAUTH PLAIN AHVzZXIAcGFzcw==\r\nAUTH PLAIN\r\nAABwYXNz\r\nAUTH LOGIN =\r\n"
                        + "AUTH PLAIN !!!\r\nAUTH LOGIN YWxpY2U=\r\nc2VjcmV0\r\nAUTH XOAUTH2 x\r\nAUTH PLAIN a b c\r\nNOOP\r\n"));

        // Handler answers of every kind on every decision.
        seeds.put("seed-answers", seed(new Header().all().answers(List.of(0, 2, 4, 5, 3, 2, 2, 5, 0, 6))
                .split(SessionFuzzInput.Split.HALVES, 0, false, 77),
                ENVELOPE + "RCPT TO:<c@example.org>\r\nRCPT TO:<d@example.org>\r\nDATA\r\nx\r\n.\r\nHELO again\r\nNOOP\r\n"));
        seeds.put("seed-greeting-554", seed(new Header().all().answers(List.of(5)).split(SessionFuzzInput.Split.WHOLE, 0, false, 0),
                EHLO + "BDAT 3\r\nabc\r\nQUIT\r\n"));

        // Extensions: XTEST, the NOOP replacement that closes.
        seeds.put("seed-extensions", seed(new Header().all().bit(1, 6, true).bit(1, 7, true).split(SessionFuzzInput.Split.LINES, 0, false, 0),
                EHLO + "XTEST hello\r\nxtest\r\nHELP\r\nHELP XTEST\r\nNOOP\r\nnoop close\r\nNOOP\r\n"));
        seeds.put("seed-help-vrfy-expn", seed(new Header().all().split(SessionFuzzInput.Split.BYTES, 0, true, 0),
                "HELP\r\nHELP MAIL\r\nHELP BOGUS\r\nVRFY\r\nVRFY x\r\nEXPN list\r\nRSET x\r\nDATA x\r\nSTARTTLS x\r\n"));
        seeds.put("seed-paths", seed(new Header().all().split(SessionFuzzInput.Split.WHOLE, 0, false, 0),
                EHLO + "MAIL FROM:<@a.example,@b.example:u@c.example>\r\nRCPT TO:<\"q\\\"x\"@[192.0.2.1]>\r\n"
                        + "RCPT TO:<u@[IPv6:2001:db8::192.0.2.1]>\r\nRCPT TO:<Postmaster>\r\nRCPT TO:<>\r\n"
                        + "RCPT TO:<u@[tag:x]> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;u@x\r\nMAIL FROM:<\r\nRCPT TO:<@x:>\r\nQUIT\r\n"));
    }

    private static byte[] seed(Header h, String client) {
        return SessionFuzzInput.encode(h.bytes, client.getBytes(StandardCharsets.UTF_8));
    }

    /** A {@link SessionFuzzInput} header, written field by field. */
    static final class Header {
        final byte[] bytes = new byte[SessionFuzzInput.HEADER];

        /** Every extension on (STARTTLS, AUTH without TLS, DSN, SMTPUTF8...), the default limits. */
        Header all() {
            bytes[0] = (byte) 0xff;
            bytes[1] = 0b11;
            bytes[2] = (byte) 255;
            bytes[3] = (byte) 0xa0; // 10 errors, no recipient limit
            return this;
        }

        Header bit(int index, int bit, boolean on) {
            bytes[index] = (byte) (on ? bytes[index] | 1 << bit : bytes[index] & ~(1 << bit));
            return this;
        }

        Header size(int eighths) {
            bytes[2] = (byte) eighths;
            return this;
        }

        Header limits(int recipients, int errors) {
            bytes[3] = (byte) (errors << 4 | recipients);
            return this;
        }

        Header line(int maxCommandLine) {
            bytes[4] = (byte) (maxCommandLine - 63);
            return this;
        }

        Header answers(List<Integer> codes) {
            int answers = 0;
            for (int k = 0; k < Math.min(10, codes.size()); k++) {
                answers |= codes.get(k) << (3 * k);
            }
            bytes[5] = (byte) (answers >>> 24);
            bytes[6] = (byte) (answers >>> 16);
            bytes[7] = (byte) (answers >>> 8);
            bytes[8] = (byte) answers;
            return this;
        }

        Header tls(int failures) {
            bytes[9] = (byte) failures;
            return this;
        }

        Header split(SessionFuzzInput.Split split, int bufferKind, boolean timeout, int seed) {
            bytes[10] = (byte) (split.ordinal() | bufferKind << 3 | (timeout ? 1 << 5 : 0));
            bytes[11] = (byte) seed;
            return this;
        }
    }
}
