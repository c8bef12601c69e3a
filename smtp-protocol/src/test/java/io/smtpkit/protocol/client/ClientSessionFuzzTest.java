package io.smtpkit.protocol.client;

import static io.smtpkit.protocol.FuzzSupport.check;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.smtpkit.protocol.FuzzSupport;
import java.util.Arrays;
import java.util.List;

/**
 * The whole {@link ClientSession} on any server bytes, under any {@link ClientConfig}, with an
 * owner that answers every event ({@link ClientDriver}): nothing throws, one Closed, one outcome
 * per transaction, and the bytes fed whole or cut into random reads in random buffer kinds give
 * the same output and events (up to a STARTTLS: see {@link ClientDriver#untilTls}).
 *
 * <p>Input: byte 0 the configuration (bit 0 LMTP, bit 1 pipelining, bits 2-3 TLS off /
 * opportunistic / required / opportunistic, bit 4 AUTH, bit 5 insecure AUTH allowed, bit 6
 * implicit TLS); byte 1 the longest read of the cut run (0: whole); byte 2 the buffer kind;
 * bytes 3-4 the owner's seed; the rest is what the server sends.
 */
class ClientSessionFuzzTest {

    static final int HEADER = 5;

    @FuzzTest(maxDuration = "60s")
    void session(byte[] input) {
        if (input.length < HEADER) {
            return;
        }
        int bits = input[0] & 0xff;
        ClientConfig.Builder b = ClientConfig.builder().heloName("client.example").lmtp((bits & 1) != 0)
                .pipelining((bits & 2) != 0).tls(ClientConfig.Tls.values()[((bits >> 2) & 3) % 3])
                .allowInsecureAuth((bits & 32) != 0);
        if ((bits & 16) != 0) {
            b.credentials("alice", "secret");
        }
        ClientConfig config = b.build();
        boolean secure = (bits & 64) != 0;
        int maxRead = input[1] & 0xff;
        int kind = input[2] & 3;
        long seed = ((input[3] & 0xff) << 8) | (input[4] & 0xff);
        byte[] server = Arrays.copyOfRange(input, HEADER, input.length);

        ClientDriver whole = new ClientDriver(config, secure, seed);
        whole.feed(FuzzSupport.buffer(server, 0));
        List<String> expected = ClientDriver.untilTls(whole.end());

        ClientDriver cut = new ClientDriver(config, secure, seed);
        for (byte[] read : FuzzSupport.reads(server, maxRead, (int) seed)) {
            cut.feed(FuzzSupport.buffer(read, kind));
        }
        List<String> actual = ClientDriver.untilTls(cut.end());
        check(expected.equals(actual), () -> "the cut changed the conversation:\n" + expected + "\n" + actual);
    }
}
