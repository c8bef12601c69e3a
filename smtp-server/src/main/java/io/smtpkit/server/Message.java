package io.smtpkit.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The content of a received message, exactly as it will be stored: the server's
 * {@code Received:} header (when enabled) followed by the octets the client sent, dot-unstuffed.
 *
 * <p>Small messages are held in memory; larger ones are spooled to a temporary file that is
 * deleted after the handler returns. Prefer {@link #openStream()} or {@link #writeTo} to
 * {@link #bytes()} for content that may be large.
 */
public interface Message {

    /** The number of octets. */
    long size();

    /** A new stream over the content from its start; the caller closes it. */
    InputStream openStream() throws IOException;

    /**
     * The whole content in one array.
     *
     * @throws IOException if the spool cannot be read
     * @throws IllegalStateException if the message is larger than an array can hold
     */
    default byte[] bytes() throws IOException {
        if (size() > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("message of " + size() + " octets does not fit in an array");
        }
        try (InputStream in = openStream()) {
            return in.readAllBytes();
        }
    }

    /** Copies the content to {@code out} without holding it all in memory. */
    default void writeTo(OutputStream out) throws IOException {
        try (InputStream in = openStream()) {
            in.transferTo(out);
        }
    }
}
