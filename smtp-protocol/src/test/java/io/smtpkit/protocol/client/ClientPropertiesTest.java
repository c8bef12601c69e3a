package io.smtpkit.protocol.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.smtpkit.protocol.Chunks;
import io.smtpkit.protocol.transcript.Transcript;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * The client's properties: random splits of the server's bytes never change what the client
 * writes or what it concludes; and whatever a server sends, in whatever pieces, the session never
 * throws, and every transaction gets exactly one outcome with a verdict for every recipient.
 */
class ClientPropertiesTest {

    private static final List<ClientTranscript> TRANSCRIPTS = ClientTranscript.loadAll();

    @Provide
    Arbitrary<ClientTranscript> transcripts() {
        return Arbitraries.of(TRANSCRIPTS);
    }

    @Property(tries = 1500)
    void randomSplitsNeverChangeTheOutcome(@ForAll("transcripts") ClientTranscript t, @ForAll long seed) {
        Random random = new Random(seed);
        List<String> actual = ClientTranscriptRunner.runPhases(t, phase -> bytes -> {
            List<Integer> cuts = new ArrayList<>();
            for (int i = random.nextInt(8); i > 0; i--) {
                cuts.add(random.nextInt(bytes.length + 1));
            }
            return Chunks.split(bytes, cuts);
        });
        assertEquals(Transcript.render(t.expected()), Transcript.render(actual), t.name() + ".txt, seed " + seed);
    }

    private static final List<String> SERVER_LINES = List.of(
            "220 mx.example ESMTP", "220-mx.example", "250 OK", "250-mx.example", "250-PIPELINING", "250-STARTTLS",
            "250-AUTH PLAIN LOGIN", "250-CHUNKING", "250-BINARYMIME", "250-8BITMIME", "250-SMTPUTF8", "250-SIZE 10",
            "250-DSN", "250 ENHANCEDSTATUSCODES", "250 2.1.0 OK", "251 forwarded", "354 go", "334 ", "334 VXNlcm5hbWU6",
            "235 2.7.0 OK", "221 Bye", "421 4.3.2 closing", "451 4.3.0 later", "452 4.5.3 too many", "454 no TLS",
            "500 what", "502 no EHLO", "503 sequence", "535 5.7.8 no", "550 5.1.1 no", "552 5.3.4 big", "554 no",
            "garbage", "", "250", "2", "250x", "999 odd", "250-" + "x".repeat(600), "\u00ff\u0000");

    @Provide
    Arbitrary<byte[]> serverBytes() {
        Arbitrary<String> line = Arbitraries.of(SERVER_LINES)
                .flatMap(l -> Arbitraries.of("\r\n", "\r\n", "\r\n", "\n", "\r", "").map(end -> l + end));
        return line.list().ofMaxSize(40).map(l -> String.join("", l).getBytes(StandardCharsets.UTF_8));
    }

    @Provide
    Arbitrary<ClientConfig> configs() {
        Arbitrary<Boolean> b = Arbitraries.of(true, false);
        return net.jqwik.api.Combinators.combine(b, b, Arbitraries.of(ClientConfig.Tls.values()), b, b)
                .as((lmtp, pipelining, tls, auth, insecure) -> {
                    ClientConfig.Builder c = ClientConfig.builder().heloName("client.example").lmtp(lmtp)
                            .pipelining(pipelining).tls(tls).allowInsecureAuth(insecure);
                    if (auth) {
                        c.credentials("alice", "secret");
                    }
                    return c.build();
                });
    }

    @Property(tries = 3000)
    void anyServerNeverThrowsAndNoTransactionIsLost(@ForAll("serverBytes") byte[] input, @ForAll("configs") ClientConfig config,
            @ForAll @Size(max = 8) List<Integer> cuts, @ForAll boolean secure, @ForAll long seed) {
        ClientDriver whole = new ClientDriver(config, secure, seed);
        whole.feed(ByteBuffer.wrap(input));
        List<String> expected = ClientDriver.untilTls(whole.end());
        ClientDriver cut = new ClientDriver(config, secure, seed);
        List<Integer> positions = cuts.stream().map(c -> Math.floorMod(c, input.length + 1)).toList();
        for (byte[] piece : Chunks.split(input, positions)) {
            cut.feed(ByteBuffer.wrap(piece));
        }
        assertEquals(expected, ClientDriver.untilTls(cut.end()));
    }
}
