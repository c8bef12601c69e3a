package io.smtpkit.protocol;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * How {@link SessionFuzzTest} reads one fuzz input: a 12-byte header that chooses the
 * {@link SessionConfig}, the handler's answers, the TLS handshake outcomes and how the network
 * cuts the client's bytes, then the client's bytes themselves. Every byte string is a valid
 * input (a short one is padded with zeros), so the fuzzer can mutate the header like any other
 * byte, and a seed is easy to write by hand with {@link #encode}.
 *
 * <pre>
 * byte 0   bit 0 smtpUtf8, 1 eightBitMime, 2 pipelining, 3 chunking, 4 binaryMime,
 *          5 enhancedStatusCodes, 6 dsn, 7 startTls
 * byte 1   bit 0 authentication, 1 allowInsecureAuth, 2 requireTls, 3 requireAuth,
 *          4 bareLineEndings=REJECT, 5 start secure (implicit TLS, RFC 8314),
 *          6 an XTEST extension, 7 an extension that replaces NOOP (421 on "NOOP close")
 * byte 2   maxMessageSize: 0 none, 255 the 32 MiB default, else 8 * n octets
 * byte 3   low nibble maxRecipients (0 = none), high nibble maxErrors (0 = none)
 * byte 4   maxCommandLine: 0 the 512 default, else 63 + n (64..318)
 * byte 5-8 the answers, 3 bits per decision, repeating after ten decisions (see {@link #answer})
 * byte 9   TLS handshakes: bit k set means handshake k (mod 8) fails
 * byte 10  bits 0-2 how the input is cut (see {@link #chunks()}), bits 3-4 the buffer kind of
 *          the raw run, bit 5 end with timeout() rather than connectionLost(), bit 6 messages
 *          answered per recipient (resumePerRecipient), bit 7 lmtp (RFC 2033)
 * byte 11  the seed of the random cuts
 * 12..     the client's bytes
 * </pre>
 */
record SessionFuzzInput(byte[] header, byte[] client) {

    static final int HEADER = 12;

    /** How the network delivers the client's bytes. */
    enum Split {
        /** All in one read. */
        WHOLE,
        /** Each line (through its LF) in its own read, as from a client that waits for replies. */
        LINES,
        /** One byte per read. */
        BYTES,
        /** Random reads of 1 to 8 bytes. */
        TINY,
        /** Random reads of 1 to 64 bytes. */
        SMALL,
        /** Random reads of 1 to 600 bytes. */
        LARGE,
        /** Lines, each cut once more at a random point. */
        LINES_CUT,
        /** Two reads, cut at a random point. */
        HALVES
    }

    static SessionFuzzInput parse(byte[] data) {
        byte[] header = Arrays.copyOf(data, HEADER); // zero-padded when short
        byte[] client = data.length > HEADER ? Arrays.copyOfRange(data, HEADER, data.length) : new byte[0];
        return new SessionFuzzInput(header, client);
    }

    /** The bytes of an input with this header and these client bytes. */
    static byte[] encode(byte[] header, byte[] client) {
        byte[] data = Arrays.copyOf(header, HEADER + client.length);
        System.arraycopy(client, 0, data, HEADER, client.length);
        return data;
    }

    private boolean bit(int index, int bit) {
        return (header[index] >> bit & 1) != 0;
    }

    private int unsigned(int index) {
        return header[index] & 0xff;
    }

    SessionConfig config() {
        SessionConfig.Builder b = SessionConfig.builder()
                .smtpUtf8(bit(0, 0)).eightBitMime(bit(0, 1)).pipelining(bit(0, 2)).chunking(bit(0, 3))
                .binaryMime(bit(0, 4)).enhancedStatusCodes(bit(0, 5)).dsn(bit(0, 6)).startTls(bit(0, 7))
                .authentication(bit(1, 0)).allowInsecureAuth(bit(1, 1)).requireTls(bit(1, 2)).requireAuth(bit(1, 3))
                .bareLineEndings(bit(1, 4) ? BareLineEndings.REJECT : BareLineEndings.NORMALIZE)
                .lmtp(bit(10, 7));
        int size = unsigned(2);
        b.maxMessageSize(size == 255 ? SessionConfig.DEFAULT_MAX_MESSAGE_SIZE : 8L * size);
        b.maxRecipients(unsigned(3) & 0x0f).maxErrors(unsigned(3) >> 4);
        int line = unsigned(4);
        b.maxCommandLine(line == 0 ? SessionConfig.DEFAULT_MAX_COMMAND_LINE : 63 + line);
        if (bit(1, 6)) {
            b.extension(new CommandExtension() {
                @Override
                public String verb() {
                    return "XTEST";
                }

                @Override
                public String ehloKeyword() {
                    return "XTEST";
                }

                @Override
                public Reply handle(String argument, SessionInfo session) {
                    return Reply.of(250, "2.0.0", "XTEST " + argument.length() + " in " + session.state());
                }
            });
        }
        if (bit(1, 7)) {
            b.extension(new CommandExtension() {
                @Override
                public String verb() {
                    return "noop";
                }

                @Override
                public Reply handle(String argument, SessionInfo session) {
                    return argument.equals("close") ? Reply.of(421, "4.3.0", "closing as asked") : Reply.OK;
                }
            });
        }
        return b.build();
    }

    boolean startSecure() {
        return bit(1, 5);
    }

    /** The answer to the {@code k}-th decision (from 0). */
    Reply answer(int k, Decision decision) {
        int answers = (unsigned(5) << 24) | (unsigned(6) << 16) | (unsigned(7) << 8) | unsigned(8);
        return switch ((answers >>> (3 * (k % 10))) & 7) {
            case 0, 1 -> null;
            case 2 -> decision instanceof Decision.Authenticate ? Reply.AUTHENTICATION_SUCCEEDED : Reply.of(250, "2.0.0", "fine");
            case 3 -> Reply.of(251, "2.1.5", "will forward");
            case 4 -> Reply.of(450, "4.2.0", "try later");
            case 5 -> Reply.of(554, "5.7.1", "refused");
            case 6 -> Reply.of(421, "4.3.0", "closing");
            default -> Reply.AUTHENTICATION_FAILED;
        };
    }

    /**
     * Whether a message is answered recipient by recipient ({@link SmtpSession#resumePerRecipient}),
     * each reply one {@link #answer} of its own, instead of once.
     */
    boolean answersPerRecipient() {
        return bit(10, 6);
    }

    /** Whether the {@code k}-th TLS handshake (from 0) succeeds. */
    boolean handshakeSucceeds(int k) {
        return !bit(9, k % 8);
    }

    Split split() {
        return Split.values()[unsigned(10) & 7];
    }

    /** 0 heap, 1 direct, 2 read-only heap, 3 a slice of a larger array. */
    int rawBufferKind() {
        return unsigned(10) >> 3 & 3;
    }

    boolean endWithTimeout() {
        return bit(10, 5);
    }

    /** The client's bytes as the network delivers them. */
    List<byte[]> chunks() {
        SplittableRandom random = new SplittableRandom(unsigned(11));
        List<Integer> cuts = new ArrayList<>();
        int n = client.length;
        switch (split()) {
            case WHOLE -> { }
            case LINES, LINES_CUT -> {
                int from = 0;
                for (int i = 0; i < n; i++) {
                    if (client[i] == '\n') {
                        if (split() == Split.LINES_CUT && i + 1 > from + 1) {
                            cuts.add(from + 1 + random.nextInt(i + 1 - from - 1));
                        }
                        cuts.add(i + 1);
                        from = i + 1;
                    }
                }
            }
            case BYTES -> {
                for (int i = 1; i < n; i++) {
                    cuts.add(i);
                }
            }
            case TINY, SMALL, LARGE -> {
                return FuzzSupport.reads(client, split() == Split.TINY ? 8 : split() == Split.SMALL ? 64 : 600, unsigned(11));
            }
            case HALVES -> cuts.add(n == 0 ? 0 : random.nextInt(n + 1));
        }
        return Chunks.split(client, cuts);
    }
}
