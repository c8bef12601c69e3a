package io.smtpkit.protocol.internal;

import io.smtpkit.protocol.Chunks;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The DataDecoder against a reference model written straight from RFC 5321 §4.1.1.4 and
 * §4.5.2, with no state machine: find the first "." CRLF that starts a CRLF-terminated line (the
 * message start counts as one), then drop the first dot of every line. Messages are built from
 * pieces rich in dots, CRs and LFs, and fed in random chunks.
 */
class DataDecoderPropertiesTest {

    /** What the reference says about one input. */
    record Expected(byte[] content, int consumed, boolean bare) {}

    /** The reference model, shared with the fuzz targets: {@link DotStuffingReference}. */
    static Expected reference(byte[] in, boolean normalize) {
        DotStuffingReference.Expected e = DotStuffingReference.reference(in, normalize);
        return new Expected(e.content(), e.consumed(), e.bare());
    }

    @Provide
    Arbitrary<byte[]> messages() {
        Arbitrary<String> piece = Arbitraries.of("a", "xy", "b.c", " ", ".", ".", "..", "\r", "\n", "\r\n", "\r\n",
                "\r\n.", ".\r", ".\n", "\0", "\u00ff", "MAIL FROM:<x@y>");
        Arbitrary<String> body = piece.list().ofMaxSize(60).map(l -> String.join("", l));
        Arbitrary<String> trailer = Arbitraries.of("", "NOOP\r\n", ".\r\n", "\r\n.\r\n");
        return body.flatMap(b -> trailer.map(t -> (b + "\r\n.\r\n" + t).getBytes(StandardCharsets.ISO_8859_1)));
    }

    @Property(tries = 1500)
    void agreesWithTheReference(@ForAll("messages") byte[] input, @ForAll boolean normalize,
            @ForAll @Size(max = 6) List<@IntRange(min = 0, max = 400) Integer> cuts,
            @ForAll @IntRange(min = 0, max = 2) int bufferKind) {
        Expected expected = reference(input, normalize);
        DataDecoder decoder = new DataDecoder(normalize);
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        int consumed = 0;
        boolean ended = false;
        for (byte[] chunk : Chunks.split(input, cuts)) {
            // Heap buffers are scanned through their array, direct and read-only ones through getLong.
            ByteBuffer buffer = switch (bufferKind) {
                case 0 -> ByteBuffer.wrap(chunk);
                case 1 -> ByteBuffer.allocateDirect(chunk.length).put(chunk).flip();
                default -> ByteBuffer.wrap(chunk).asReadOnlyBuffer();
            };
            ended = decoder.decode(buffer, b -> {
                byte[] bytes = new byte[b.remaining()];
                b.duplicate().get(bytes);
                content.write(bytes, 0, bytes.length);
            });
            consumed += buffer.position();
            if (ended) {
                break;
            }
            assertEquals(chunk.length, buffer.position(), "a chunk without the end is consumed whole");
        }
        assertEquals(true, ended, "the end was found");
        assertEquals(expected.consumed(), consumed, "consumed through the end and no further");
        assertArrayEquals(expected.content(), content.toByteArray(), "content");
        assertEquals(expected.bare(), decoder.sawBareLineEnding(), "bare CR/LF seen");
    }

    @Property(tries = 300)
    void readOnlyAndDirectBuffersDecodeTheSame(@ForAll("messages") byte[] input, @ForAll boolean normalize) {
        Expected expected = reference(input, normalize);
        for (ByteBuffer buffer : List.of(ByteBuffer.wrap(input).asReadOnlyBuffer(),
                ByteBuffer.allocateDirect(input.length).put(input).flip(),
                ByteBuffer.wrap(withMargins(input), 3, input.length).slice())) {
            DataDecoder decoder = new DataDecoder(normalize);
            ByteArrayOutputStream content = new ByteArrayOutputStream();
            boolean ended = decoder.decode(buffer, b -> {
                byte[] bytes = new byte[b.remaining()];
                b.duplicate().get(bytes);
                content.write(bytes, 0, bytes.length);
            });
            assertEquals(true, ended);
            assertEquals(expected.consumed(), buffer.position());
            assertArrayEquals(expected.content(), content.toByteArray());
        }
    }

    @Example
    void referenceSanity() {
        // The model itself, on the cases the transcripts spell out.
        assertArrayEquals(bytes("a\r\n"), reference(bytes("a\r\n.\r\n"), true).content());
        assertArrayEquals(bytes(""), reference(bytes(".\r\n"), true).content());
        assertArrayEquals(bytes(".\r\n"), reference(bytes("..\r\n.\r\n"), true).content());
        assertArrayEquals(bytes("a\r\n\r\nb\r\n"), reference(bytes("a\n.\nb\r\n.\r\n"), true).content());
        assertArrayEquals(bytes("a\n\nb\r\n"), reference(bytes("a\n.\nb\r\n.\r\n"), false).content());
        assertEquals(true, reference(bytes("a\rb\r\n.\r\n"), true).bare());
        assertEquals(false, reference(bytes("a\r\nb\r\n.\r\n"), true).bare());
    }

    private static byte[] withMargins(byte[] input) {
        byte[] padded = new byte[input.length + 6];
        java.util.Arrays.fill(padded, (byte) '\n');
        System.arraycopy(input, 0, padded, 3, input.length);
        return padded;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
