package io.smtpkit.cli;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * Tees {@code System.out} into a buffer, for handlers that print there (debug, the plugin
 * example); restores it on close.
 */
final class StdoutCapture implements AutoCloseable {

    private final PrintStream original = System.out;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

    StdoutCapture() {
        OutputStream tee = new OutputStream() {
            @Override
            public void write(int b) {
                synchronized (buffer) {
                    buffer.write(b);
                }
                original.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                synchronized (buffer) {
                    buffer.write(b, off, len);
                }
                original.write(b, off, len);
            }
        };
        System.setOut(new PrintStream(tee, true, StandardCharsets.UTF_8));
    }

    String text() {
        synchronized (buffer) {
            return buffer.toString(StandardCharsets.UTF_8);
        }
    }

    /** Waits up to {@code timeout} for the captured text to satisfy {@code condition}; returns the text. */
    String await(Predicate<String> condition, Duration timeout) throws InterruptedException {
        try {
            return io.smtpkit.server.testsupport.Eventually.poll(this::text, condition, timeout);
        } catch (InterruptedException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e); // text() throws nothing checked
        }
    }

    @Override
    public void close() {
        System.out.flush();
        System.setOut(original);
    }
}
