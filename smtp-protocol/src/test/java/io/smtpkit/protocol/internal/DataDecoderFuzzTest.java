package io.smtpkit.protocol.internal;

import static io.smtpkit.protocol.FuzzSupport.check;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.smtpkit.protocol.FuzzSupport;
import io.smtpkit.protocol.transcript.Transcript;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A differential fuzz target: {@link DataDecoder} against {@link DotStuffingReference}, the
 * model the property tests use. Both must agree on every input, cut anywhere and held in any
 * kind of buffer: where the data ends, the content (dot-unstuffed, bare LF normalised or not),
 * whether a bare CR or LF was seen. A second message follows in the same decoder after
 * {@link DataDecoder#reset()}, from the bytes after the first one's end.
 *
 * <p>Input: byte 0 bit 0 normalise bare LF, bits 1-2 buffer kind, bits 3-7 the largest read
 * (0 = whole, else 1..31 octets); byte 1 the seed of the cuts; then the data. "\r\n.\r\n" is
 * appended so that every input has an end.
 */
class DataDecoderFuzzTest {

    private static final byte[] END = {'\r', '\n', '.', '\r', '\n'};

    @FuzzTest(maxDuration = "60s")
    void decode(byte[] input) {
        int flags = input.length > 0 ? input[0] & 0xff : 0;
        int seed = input.length > 1 ? input[1] & 0xff : 0;
        boolean normalize = (flags & 1) != 0;
        int kind = flags >> 1 & 3;
        int maxRead = flags >> 3;
        byte[] data = input.length > 2 ? Arrays.copyOfRange(input, 2, input.length) : new byte[0];
        byte[] stream = Arrays.copyOf(data, data.length + END.length);
        System.arraycopy(END, 0, stream, data.length, END.length);

        DataDecoder decoder = new DataDecoder(normalize);
        int consumed = message(decoder, stream, normalize, kind, maxRead, seed);
        // The rest of the stream is a second message for the same decoder.
        byte[] rest = Arrays.copyOfRange(stream, consumed, stream.length);
        byte[] second = Arrays.copyOf(rest, rest.length + END.length);
        System.arraycopy(END, 0, second, rest.length, END.length);
        decoder.reset();
        message(decoder, second, normalize, kind, maxRead, seed + 1);
    }

    /** Decodes one message from {@code stream}, checking it against the reference; returns the bytes it took. */
    private static int message(DataDecoder decoder, byte[] stream, boolean normalize, int kind, int maxRead, int seed) {
        DotStuffingReference.Expected expected = DotStuffingReference.reference(stream, normalize);
        byte[] reference = expected.content();
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        int consumed = 0;
        for (byte[] chunk : FuzzSupport.reads(stream, maxRead, seed)) {
            ByteBuffer in = FuzzSupport.buffer(chunk, kind);
            boolean ended = decoder.decode(in, b -> {
                check(b.hasRemaining(), "an empty content buffer");
                // Each byte as it comes must be the reference's next: the content so far is a prefix.
                int at = content.size();
                check(at + b.remaining() <= reference.length, "more content than the reference");
                for (int i = b.position(); i < b.limit(); i++) {
                    int k = at + i - b.position();
                    check(b.get(i) == reference[k], () -> "content differs from the reference at " + k + ":\n"
                            + Transcript.escape(stream) + "\nreference " + Transcript.escape(reference));
                }
                byte[] bytes = new byte[b.remaining()];
                b.duplicate().get(bytes);
                content.writeBytes(bytes);
            });
            consumed += in.position();
            if (ended) {
                int took = consumed;
                check(took == expected.consumed(), () -> "ended after " + took + " bytes, the reference after "
                        + expected.consumed() + ": " + Transcript.escape(stream));
                check(content.size() == reference.length, "less content than the reference");
                check(expected.bare() == decoder.sawBareLineEnding(), () -> "bare CR/LF seen: reference says " + expected.bare());
                return consumed;
            }
            check(in.position() == chunk.length, "a read without the end is consumed whole");
            check(consumed < expected.consumed(), () -> "did not end where the reference does: " + Transcript.escape(stream));
        }
        throw new AssertionError("never ended; the reference ends after " + expected.consumed() + " bytes");
    }
}
