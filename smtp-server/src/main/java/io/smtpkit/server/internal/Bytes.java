package io.smtpkit.server.internal;

import java.nio.ByteBuffer;
import java.util.Arrays;

/** A growable byte array: the event loop's staging area for one batch of output. */
final class Bytes {

    private byte[] data;
    private int length;
    /** The one view over {@code data}, so a flush per reply batch allocates nothing; re-made when data grows. */
    private ByteBuffer view;

    Bytes(int initialCapacity) {
        data = new byte[initialCapacity];
    }

    void append(byte[] bytes) {
        ensure(bytes.length);
        System.arraycopy(bytes, 0, data, length, bytes.length);
        length += bytes.length;
    }

    void append(ByteBuffer buffer) {
        int n = buffer.remaining();
        ensure(n);
        buffer.get(data, length, n);
        length += n;
    }

    int length() {
        return length;
    }

    boolean isEmpty() {
        return length == 0;
    }

    void clear() {
        length = 0;
    }

    /** A buffer over the content, valid until the next change. */
    ByteBuffer buffer() {
        if (view == null || view.array() != data) {
            view = ByteBuffer.wrap(data);
        }
        view.clear().limit(length);
        return view;
    }

    /** A heap copy of what {@code in} has left, for keeping beyond the loop buffer it is in. */
    static ByteBuffer copy(ByteBuffer in) {
        ByteBuffer copy = ByteBuffer.allocate(in.remaining());
        copy.put(in).flip();
        return copy;
    }

    private void ensure(int more) {
        if (length + more > data.length) {
            data = Arrays.copyOf(data, Math.max(data.length * 2, length + more));
        }
    }
}
