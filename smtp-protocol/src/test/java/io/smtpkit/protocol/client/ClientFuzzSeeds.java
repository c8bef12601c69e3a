package io.smtpkit.protocol.client;

import io.smtpkit.protocol.FuzzSeeds;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes the seeds of {@link ClientSessionFuzzTest}: one per golden client transcript (its server
 * bytes, with a header for its configuration), plus a few hostile shapes. From the repository root:
 *
 * <pre>
 * mvn -q -pl smtp-protocol test-compile
 * java -cp smtp-protocol/target/test-classes:smtp-protocol/target/classes io.smtpkit.protocol.client.ClientFuzzSeeds \
 *     smtp-protocol/src/test/resources
 * </pre>
 */
public final class ClientFuzzSeeds {

    private ClientFuzzSeeds() {}

    public static void main(String[] args) throws IOException {
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        int n = 0;
        for (ClientTranscript t : ClientTranscript.loadAll()) {
            ClientConfig c = t.clientConfig();
            int tls = switch (c.tls()) {
                case OFF -> 0;
                case OPPORTUNISTIC -> 1;
                case REQUIRED -> 2;
            };
            int bits = (c.lmtp() ? 1 : 0) | (c.pipelining() ? 2 : 0) | tls << 2 | (c.authenticates() ? 16 : 0)
                    | (c.allowInsecureAuth() ? 32 : 0) | (t.secure() ? 64 : 0);
            ByteArrayOutputStream server = new ByteArrayOutputStream();
            server.write(new byte[] {(byte) bits, (byte) (n % 7), (byte) n, 0, (byte) n});
            for (ClientTranscript.Step step : t.steps()) {
                if (step instanceof ClientTranscript.Input i) {
                    server.writeBytes(i.bytes());
                }
            }
            seeds.put("seed-" + t.name(), server.toByteArray());
            n++;
        }
        seeds.put("seed-flood", hostile("220 mx\r\n250-mx\r\n" + "250-PIPELINING\r\n".repeat(300) + "250 OK\r\n"));
        seeds.put("seed-long-line", hostile("220 " + "x".repeat(2000) + "\r\n"));
        seeds.put("seed-injection", hostile("220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go\r\n250-evil\r\n250 AUTH PLAIN\r\n"));
        seeds.put("seed-binary", hostile("220 mx\r\n\0\u00ff\r\r\n\n250 \u2028\r\n"));
        FuzzSeeds.write(Path.of(args[0]).resolve("io/smtpkit/protocol/client/ClientSessionFuzzTestInputs/session"), seeds);
    }

    private static byte[] hostile(String server) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(new byte[] {(byte) 0x07, 3, 1, 0, 42}, 0, 5);
        b.writeBytes(server.getBytes(StandardCharsets.UTF_8));
        return b.toByteArray();
    }
}
