package io.smtpkit.protocol;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * What the fuzz targets (the {@code *FuzzTest} classes, issue 14) share: the oracle's failure,
 * the kinds of buffer a transport may hand over, and reads cut from a seed the fuzzer chose.
 */
public final class FuzzSupport {

    private FuzzSupport() {}

    /** Fails the input with {@code what} unless {@code condition} holds. */
    public static void check(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }

    /** The same, with a message that is only worked out on failure (fuzzing runs millions of checks). */
    public static void check(boolean condition, Supplier<String> what) {
        if (!condition) {
            throw new AssertionError(what.get());
        }
    }

    /**
     * {@code bytes} at position 0 of a buffer of one kind: 0 heap, 1 direct, 2 read-only heap
     * (neither of the last two has an accessible array), 3 a slice in the middle of a larger
     * array (a non-zero array offset, LFs on both sides). A direct buffer is valid until the next
     * call that asks for one: it is reused, as allocating one per read would dominate a fuzz run.
     */
    public static ByteBuffer buffer(byte[] bytes, int kind) {
        return switch (kind & 3) {
            case 0 -> ByteBuffer.wrap(bytes);
            case 1 -> direct(bytes);
            case 2 -> ByteBuffer.wrap(bytes).asReadOnlyBuffer();
            default -> {
                byte[] bigger = new byte[bytes.length + 10];
                Arrays.fill(bigger, (byte) '\n');
                System.arraycopy(bytes, 0, bigger, 5, bytes.length);
                yield ByteBuffer.wrap(bigger, 5, bytes.length).slice();
            }
        };
    }

    private static ByteBuffer direct = ByteBuffer.allocateDirect(0);

    private static ByteBuffer direct(byte[] bytes) {
        if (direct.capacity() < bytes.length) {
            direct = ByteBuffer.allocateDirect(Math.max(bytes.length, 2 * direct.capacity()));
        }
        direct.clear();
        direct.put(bytes).flip();
        return direct.slice();
    }

    /** {@code bytes} cut into reads of 1 to {@code maxRead} octets chosen by {@code seed}; whole if {@code maxRead} is 0. */
    public static List<byte[]> reads(byte[] bytes, int maxRead, int seed) {
        List<Integer> cuts = new ArrayList<>();
        if (maxRead > 0) {
            SplittableRandom random = new SplittableRandom(seed);
            for (int at = 1 + random.nextInt(maxRead); at < bytes.length; at += 1 + random.nextInt(maxRead)) {
                cuts.add(at);
            }
        }
        return Chunks.split(bytes, cuts);
    }
}
