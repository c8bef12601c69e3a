package io.smtpkit.protocol;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Cuts test input into chunks, as a network would deliver it. */
public final class Chunks {
    private Chunks() {}

    /** {@code input} cut at {@code cuts} (clamped to its length, in any order); empty chunks are kept. */
    public static List<byte[]> split(byte[] input, List<Integer> cuts) {
        List<Integer> points = new ArrayList<>();
        for (int c : cuts) {
            points.add(Math.min(c, input.length));
        }
        points.sort(null);
        List<byte[]> chunks = new ArrayList<>();
        int from = 0;
        for (int p : points) {
            chunks.add(Arrays.copyOfRange(input, from, p));
            from = p;
        }
        chunks.add(Arrays.copyOfRange(input, from, input.length));
        return chunks;
    }
}
