package io.smtpkit.protocol.internal;

import static io.smtpkit.protocol.FuzzSupport.check;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.smtpkit.protocol.FuzzSupport;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@link LineReader} on any bytes, cut anywhere: it frames lines exactly as the property tests'
 * model says ({@link LineReaderPropertiesTest#model}), consumes at most through the next LF, and
 * its buffer never grows past its capacity (nor stays above 1 KiB once a line is handled).
 *
 * <p>Input: byte 0 the capacity (below 128: 8 + n; else (n - 127) * 100, up to 12 800 octets,
 * the SASL line's size), byte 1 bits 0-4 the largest read (0 = whole) and bits 5-6 the buffer
 * kind, byte 2 the seed of the cuts; then the bytes.
 */
class LineReaderFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void read(byte[] input) {
        int c = input.length > 0 ? input[0] & 0xff : 0;
        int capacity = c < 128 ? 8 + c : (c - 127) * 100;
        int split = input.length > 1 ? input[1] & 0xff : 0;
        int maxRead = split & 31;
        int kind = split >> 5 & 3;
        int seed = input.length > 2 ? input[2] & 0xff : 0;
        byte[] bytes = input.length > 3 ? Arrays.copyOfRange(input, 3, input.length) : new byte[0];

        LineReader reader = new LineReader(capacity);
        List<String> frames = new ArrayList<>();
        for (byte[] chunk : FuzzSupport.reads(bytes, maxRead, seed)) {
            ByteBuffer in = FuzzSupport.buffer(chunk, kind);
            while (in.hasRemaining()) {
                int before = in.position();
                LineReader.Result result = reader.read(in);
                check(reader.bytes().length <= capacity, () -> "the buffer grew to " + reader.bytes().length + " > " + capacity);
                int lf = -1;
                for (int i = before; i < in.limit(); i++) {
                    if (in.get(i) == '\n') {
                        lf = i;
                        break;
                    }
                }
                check(in.position() == (lf < 0 ? in.limit() : lf + 1), "consumed past the LF, or stopped before it");
                boolean noLf = lf < 0;
                check((result == LineReader.Result.MORE) == noLf, () -> result + " without " + (noLf ? "an LF" : "MORE"));
                if (result == LineReader.Result.LINE) {
                    check(reader.length() + 2 <= capacity, "a line longer than the capacity");
                    byte[] line = Arrays.copyOf(reader.bytes(), reader.length());
                    frames.add("LINE " + io.smtpkit.protocol.transcript.Transcript.escape(line)
                            + (reader.bareLf() ? " (bare LF)" : ""));
                    reader.clear();
                    check(reader.bytes().length <= 1024, "a long line's buffer was kept");
                } else if (result == LineReader.Result.TOO_LONG) {
                    frames.add("TOO_LONG");
                }
            }
        }
        List<String> expected = LineReaderPropertiesTest.model(bytes, capacity);
        check(expected.equals(frames), () -> "framing differs from the model:\nmodel  " + expected + "\nreader " + frames);
    }
}
