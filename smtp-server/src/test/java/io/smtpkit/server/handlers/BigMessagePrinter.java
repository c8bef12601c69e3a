package io.smtpkit.server.handlers;

import io.smtpkit.server.Message;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;

/**
 * Prints one generated message through {@link DebugHandler} into an output that only counts,
 * then prints the count. {@link DebugHandlerMemoryTest} runs it in a JVM with a small heap: the
 * message is never held whole, so only the handler could run out of memory.
 *
 * <p>Arguments: the message size in octets and the line length with its CRLF; every other octet
 * is 0x01, which the handler prints as four.
 */
public final class BigMessagePrinter {
    private BigMessagePrinter() {}

    public static void main(String[] args) throws Exception {
        long size = Long.parseLong(args[0]);
        int lineLength = Integer.parseInt(args[1]);
        long[] count = new long[1];
        OutputStream counting = new OutputStream() {
            @Override
            public void write(int b) {
                count[0]++;
            }

            @Override
            public void write(byte[] b, int off, int len) {
                count[0] += len;
            }
        };
        new DebugHandler(new PrintStream(counting, false)).onMessage(Fixtures.session("192.0.2.7"),
                Fixtures.envelope("a@example.org", "b@example.net"), lines(size, lineLength));
        System.out.println(count[0]);
    }

    private static Message lines(long size, int lineLength) {
        return new Message() {
            @Override
            public long size() {
                return size;
            }

            @Override
            public InputStream openStream() {
                return new InputStream() {
                    private long position;

                    @Override
                    public int read() {
                        return position < size ? octet(position++) : -1;
                    }

                    @Override
                    public int read(byte[] b, int off, int len) {
                        if (position >= size) {
                            return -1;
                        }
                        int n = (int) Math.min(len, size - position);
                        for (int i = 0; i < n; i++) {
                            b[off + i] = (byte) octet(position++);
                        }
                        return n;
                    }

                    private int octet(long at) {
                        long column = at % lineLength;
                        return column == lineLength - 2 ? '\r' : column == lineLength - 1 ? '\n' : 0x01;
                    }
                };
            }
        };
    }
}
