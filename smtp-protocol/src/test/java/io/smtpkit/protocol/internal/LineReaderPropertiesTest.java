package io.smtpkit.protocol.internal;

import io.smtpkit.protocol.Chunks;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** The LineReader frames any split of the same input identically, and as a simple model says. */
class LineReaderPropertiesTest {

    @Provide
    Arbitrary<byte[]> inputs() {
        Arbitrary<String> piece = Arbitraries.oneOf(
                Arbitraries.of("NOOP", "a", " ", "\r", "\n", "\r\n", "\r\n", "\0", "\u00e9", "\r\r"),
                Arbitraries.integers().between(1, 140).map("x"::repeat));
        return piece.list().ofMaxSize(40).map(l -> String.join("", l).getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Frames as text: "LINE <escaped>" with "(bare LF)" when so, or "TOO_LONG". */
    static List<String> frames(byte[] input, int capacity, List<Integer> cuts) {
        LineReader reader = new LineReader(capacity);
        List<String> frames = new ArrayList<>();
        for (byte[] chunk : Chunks.split(input, cuts)) {
            ByteBuffer buffer = ByteBuffer.wrap(chunk);
            while (buffer.hasRemaining()) {
                LineReader.Result result = reader.read(buffer);
                if (result == LineReader.Result.LINE) {
                    byte[] line = Arrays.copyOf(reader.bytes(), reader.length());
                    frames.add("LINE " + escape(line) + (reader.bareLf() ? " (bare LF)" : ""));
                    reader.clear();
                } else if (result == LineReader.Result.TOO_LONG) {
                    frames.add("TOO_LONG");
                }
            }
        }
        return frames;
    }

    /** The model: split at every LF; a line fits if it and a CRLF fit the capacity. */
    static List<String> model(byte[] input, int capacity) {
        List<String> frames = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < input.length; i++) {
            if (input[i] != '\n') {
                continue;
            }
            boolean crlf = i > start && input[i - 1] == '\r';
            byte[] line = Arrays.copyOfRange(input, start, crlf ? i - 1 : i);
            frames.add(line.length + 2 <= capacity ? "LINE " + escape(line) + (crlf ? "" : " (bare LF)") : "TOO_LONG");
            start = i + 1;
        }
        return frames;
    }

    @Property(tries = 1500)
    void anySplitFramesAlike(@ForAll("inputs") byte[] input, @ForAll @IntRange(min = 8, max = 200) int capacity,
            @ForAll @Size(max = 8) List<@IntRange(min = 0, max = 2000) Integer> cuts) {
        List<String> whole = frames(input, capacity, List.of());
        assertEquals(model(input, capacity), whole, "one piece");
        assertEquals(whole, frames(input, capacity, cuts), "split at " + cuts);
    }

    @Property(tries = 200)
    void oneByteAtATimeFramesAlike(@ForAll("inputs") byte[] input, @ForAll @IntRange(min = 8, max = 200) int capacity) {
        List<Integer> everyByte = new ArrayList<>();
        for (int i = 1; i < input.length; i++) {
            everyByte.add(i);
        }
        assertEquals(model(input, capacity), frames(input, capacity, everyByte));
    }

    @Example
    void limitsOnBothSides() {
        // capacity 10: 8 characters + CRLF fit, 9 do not; a bare-LF line is held to the same count.
        assertEquals(List.of("LINE 12345678"), frames("12345678\r\n".getBytes(StandardCharsets.US_ASCII), 10, List.of()));
        assertEquals(List.of("TOO_LONG"), frames("123456789\r\n".getBytes(StandardCharsets.US_ASCII), 10, List.of()));
        assertEquals(List.of("LINE 12345678 (bare LF)"), frames("12345678\n".getBytes(StandardCharsets.US_ASCII), 10, List.of()));
        assertEquals(List.of("TOO_LONG", "LINE ok"), frames("123456789012345\r\nok\r\n".getBytes(StandardCharsets.US_ASCII), 10, List.of(3, 12)));
    }

    private static String escape(byte[] line) {
        return io.smtpkit.protocol.transcript.Transcript.escape(line);
    }

    /**
     * A long line (a 12 KiB SASL response, RFC 4954 §4) does not leave its buffer behind: once
     * handled, an idle session holds a small one again (DESIGN: a few KiB per idle connection).
     */
    @Example
    void theBufferShrinksAfterALongLine() {
        LineReader reader = new LineReader(12_288);
        ByteBuffer in = ByteBuffer.wrap(("x".repeat(12_000) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        assertEquals(LineReader.Result.LINE, reader.read(in));
        byte[] line = reader.bytes();
        assertEquals(12_000, reader.length());
        reader.clear();
        assertEquals('x', line[11_999], "the handled line stays readable in the array already taken");
        org.junit.jupiter.api.Assertions.assertTrue(reader.bytes().length <= 1024, "buffer kept: " + reader.bytes().length);
        assertEquals(LineReader.Result.LINE, reader.read(ByteBuffer.wrap("NOOP\r\n".getBytes(StandardCharsets.US_ASCII))));
        assertEquals("NOOP", new String(reader.bytes(), 0, reader.length(), StandardCharsets.US_ASCII));
    }
}
