package io.smtpkit.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.transcript.RecordingOutput;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Fuzzing the whole session: whatever bytes arrive, in whatever chunks, under whatever
 * configuration and handler answers, the session never throws, never stalls with input it will
 * not read, and answers in well-formed replies; and every command line gets exactly one reply.
 */
class SessionPropertiesTest {

    private static final Pattern REPLY_LINE = Pattern.compile("[2-5]\\d\\d[ -][^\\r\\n]*");

    private static final List<String> VOCABULARY = List.of(
            "EHLO client.example", "HELO client.example", "MAIL FROM:<a@example.org>", "MAIL FROM:<>",
            "MAIL FROM:<a@example.org> SIZE=10 BODY=8BITMIME", "MAIL FROM:<a@example.org> BODY=BINARYMIME",
            "MAIL FROM:<jösé@example.org> SMTPUTF8", "RCPT TO:<b@example.org>", "RCPT TO:<Postmaster>",
            "RCPT TO:<b@example.org> NOTIFY=NEVER", "DATA", "BDAT 5", "BDAT 0 LAST", "BDAT 3 LAST", "RSET",
            "NOOP", "QUIT", "HELP", "HELP MAIL", "VRFY x", "EXPN x", "STARTTLS", "AUTH PLAIN", "AUTH LOGIN",
            "AUTH PLAIN AGFsaWNlAHNlY3JldA==", "YWxpY2U=", "*", ".", "..", "", "MAIL FROM:<", "RCPT TO:<@x:>",
            "FOO", "MAIL FROM:<a@[IPv6:::1]>", "RCPT TO:<\"q\\\"x\"@[192.0.2.1]>", "RCPT TO:<a\u0085@example.org>",
            "MAIL FROM:<\"\u009b\"@example.org> SMTPUTF8", "EHLO \u2028");

    /** Random configurations, including small limits so they are reached. */
    @Provide
    Arbitrary<SessionConfig> configs() {
        Arbitrary<Boolean> b = Arbitraries.of(true, false);
        return Combinators.combine(
                        Combinators.combine(b, b, b, b, b, b, b, b).as((utf8, chunking, binary, dsn, tls, auth, insecure, reject) ->
                                SessionConfig.builder().smtpUtf8(utf8).chunking(chunking).binaryMime(binary).dsn(dsn)
                                        .startTls(tls).authentication(auth).allowInsecureAuth(insecure)
                                        .bareLineEndings(reject ? BareLineEndings.REJECT : BareLineEndings.NORMALIZE)),
                        Arbitraries.of(0L, 5L, 20L, 1000L),
                        Arbitraries.of(0, 1, 3),
                        Arbitraries.of(0, 2, 5, 50),
                        Arbitraries.of(64, 512),
                        b,
                        Arbitraries.of(0, 1, 1000))
                .as((builder, size, rcpts, errors, line, requireAuth, overshoot) -> builder.maxMessageSize(size)
                        .maxRecipients(rcpts).maxErrors(errors).maxCommandLine(line).requireAuth(requireAuth)
                        .maxRecipientOvershoot(overshoot).build());
    }

    /** Client input: SMTP-ish lines and raw junk, glued together with every kind of line ending. */
    @Provide
    Arbitrary<byte[]> inputs() {
        Arbitrary<String> word = Arbitraries.oneOf(
                Arbitraries.of(VOCABULARY),
                Arbitraries.strings().withChars(" .:<>@\"\\=\r\n\0\u00e9\u00ff\u0080a").ofMaxLength(12),
                Arbitraries.integers().between(1, 700).map("x"::repeat));
        Arbitrary<String> ending = Arbitraries.of("\r\n", "\r\n", "\r\n", "\n", "\r", "");
        Arbitrary<String> piece = Combinators.combine(word, ending).as(String::concat);
        return piece.list().ofMaxSize(40).map(l -> String.join("", l).getBytes(StandardCharsets.UTF_8));
    }

    /** Handler answers: the default, or any positive or negative reply. */
    @Provide
    Arbitrary<Long> seeds() {
        return Arbitraries.longs();
    }

    @Property(tries = 1000)
    void randomInputNeverBreaksTheSession(@ForAll("configs") SessionConfig config, @ForAll("inputs") byte[] input,
            @ForAll @Size(max = 10) List<@IntRange(min = 0, max = 3000) Integer> cuts, @ForAll("seeds") long seed) {
        Random random = new Random(seed);
        RecordingOutput out = new RecordingOutput();
        SmtpSession session = new SmtpSession(config, out);
        session.start();
        answer(session, random);
        for (byte[] chunk : Chunks.split(input, cuts)) {
            ByteBuffer in = buffer(chunk, random.nextInt(3));
            while (in.hasRemaining() && !session.isClosed()) {
                int before = in.position();
                session.receive(in);
                if (session.awaiting() != null) {
                    answer(session, random);
                } else if (session.state() == SessionState.TLS) {
                    in.position(in.limit()); // the transport drops the plaintext behind STARTTLS
                    session.tlsStarted(random.nextInt(4) != 0);
                } else if (!session.isClosed() && in.hasRemaining()) {
                    // Neither paused nor closed: then it has read everything, or stopped where
                    // content ended, after reading something, with commands to follow.
                    assertTrue(in.position() > before && !session.isReceivingContent(),
                            "stalled in state " + session.state());
                }
            }
        }
        assertWellFormed(out);
        if (random.nextBoolean()) {
            session.timeout();
        } else {
            session.connectionLost();
        }
        assertTrue(session.isClosed());
        assertWellFormed(out);
    }

    @Provide
    Arbitrary<List<String>> commandLines() {
        Arbitrary<String> line = Arbitraries.oneOf(
                Arbitraries.of(VOCABULARY).filter(l -> !l.startsWith("BDAT")),
                Arbitraries.strings().withChars(" .:<>@\"\\=\0\u00e9a").ofMaxLength(12),
                Arbitraries.integers().between(500, 700).map(n -> "NOOP " + "x".repeat(n)));
        return line.list().ofMaxSize(30);
    }

    /**
     * RFC 5321 §4.2, RFC 2920 §3.1: each command line, however wrong, gets exactly one reply (the
     * last line of which is "NNN text"), and replies come in order.
     */
    @Property(tries = 1000)
    void everyCommandLineGetsExactlyOneReply(@ForAll("configs") SessionConfig config,
            @ForAll("commandLines") List<String> lines, @ForAll("seeds") long seed) {
        Random random = new Random(seed);
        RecordingOutput out = new RecordingOutput();
        SmtpSession session = new SmtpSession(config, out);
        session.start();
        answer(session, random);
        for (String line : lines) {
            if (session.isClosed()) {
                break;
            }
            SessionState before = session.state();
            int repliesBefore = finalLines(out);
            ByteBuffer in = ByteBuffer.wrap((line + "\r\n").getBytes(StandardCharsets.UTF_8));
            while (in.hasRemaining() && !session.isClosed() && session.state() != SessionState.TLS) {
                session.receive(in);
                answer(session, random);
            }
            if (session.state() == SessionState.TLS) {
                session.tlsStarted(true);
            }
            boolean command = before == SessionState.CONNECTED || before == SessionState.GREETED
                    || before == SessionState.MAIL || before == SessionState.RCPT || before == SessionState.AUTH;
            if (command) {
                assertEquals(1, finalLines(out) - repliesBefore,
                        () -> "replies to '" + line + "' in " + before + ":\n" + out.replies());
            }
        }
        assertWellFormed(out);
    }

    private static void answer(SmtpSession session, Random random) {
        while (session.awaiting() != null) {
            Decision decision = session.awaiting();
            Reply reply = switch (random.nextInt(6)) {
                case 0, 1 -> null;
                case 2 -> Reply.of(250, "2.0.0", "fine");
                case 3 -> Reply.of(decision instanceof Decision.Authenticate ? 235 : 251, "ok");
                case 4 -> Reply.of(450, "4.0.0", "later");
                default -> Reply.of(554, null, "no");
            };
            session.resume(reply);
        }
    }

    /** The bytes as a transport might hold them: a heap array, a direct buffer, or a slice of a bigger array. */
    private static ByteBuffer buffer(byte[] bytes, int kind) {
        switch (kind) {
            case 0:
                return ByteBuffer.wrap(bytes);
            case 1:
                return ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
            default:
                byte[] bigger = new byte[bytes.length + 10];
                Arrays.fill(bigger, (byte) '\n');
                System.arraycopy(bytes, 0, bigger, 5, bytes.length);
                return ByteBuffer.wrap(bigger, 5, bytes.length).slice();
        }
    }

    /** How many replies were completed: final lines, "NNN text". */
    private static int finalLines(RecordingOutput out) {
        int n = 0;
        for (String line : out.replies().split("\r\n")) {
            if (line.length() >= 4 && line.charAt(3) == ' ') {
                n++;
            }
        }
        return n;
    }

    /** Checks that the replies are whole, well-formed reply lines. */
    private static void assertWellFormed(RecordingOutput out) {
        String all = out.replies();
        if (all.isEmpty()) {
            return;
        }
        assertTrue(all.endsWith("\r\n"));
        String previousCode = null;
        for (String line : all.substring(0, all.length() - 2).split("\r\n", -1)) {
            assertTrue(REPLY_LINE.matcher(line).matches(), () -> "malformed reply line: " + line);
            String code = line.substring(0, 3);
            if (previousCode != null) {
                assertEquals(previousCode, code, "a multi-line reply keeps its code");
            }
            previousCode = line.charAt(3) == '-' ? code : null;
        }
        assertEquals(null, previousCode, "the last reply is complete");
        assertTrue(!all.toLowerCase(Locale.ROOT).contains("exception"), "no stack traces on the wire");
    }
}
