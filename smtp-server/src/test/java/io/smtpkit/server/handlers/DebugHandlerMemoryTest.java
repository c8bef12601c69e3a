package io.smtpkit.server.handlers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.SessionConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The largest message the default configuration accepts, made of lines of 0x01 octets (each
 * printed as four), goes through {@link DebugHandler} in a JVM with a 64 MiB heap. A printout
 * built in memory needs more than twice 128 MiB; a streamed one needs the same few buffers as a
 * small message.
 */
class DebugHandlerMemoryTest {

    private static final long SIZE = SessionConfig.DEFAULT_MAX_MESSAGE_SIZE;
    private static final int LINE = 1000; // octets per line, CRLF included

    @Test
    void aMaximalMessageOfControlsPrintsInASmallHeap(@TempDir Path dir) throws Exception {
        Path stdout = dir.resolve("stdout");
        Path stderr = dir.resolve("stderr");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(List.of(java, "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                BigMessagePrinter.class.getName(), Long.toString(SIZE), Integer.toString(LINE)))
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .start();
        try {
            assertTrue(child.waitFor(120, TimeUnit.SECONDS), "the child JVM did not finish in time");
        } finally {
            child.destroyForcibly();
        }
        String err = Files.readString(stderr, StandardCharsets.UTF_8);
        assertEquals(0, child.exitValue(), err);
        assertEquals(expectedOctets(), Long.parseLong(Files.readString(stdout, StandardCharsets.US_ASCII).strip()), err);
    }

    /** The printout's length, worked out from the message's shape rather than by printing it. */
    private static long expectedOctets() {
        long lines = SIZE / LINE;
        long rest = SIZE % LINE; // a last line without CRLF, shorter than LINE - 2
        long content = lines * ((LINE - 2) * 4L + 1) + (rest > 0 ? rest * 4 + 1 : 0);
        String around = DebugHandler.BEGIN + "\n"
                + "mail from: <a@example.org>\n"
                + "rcpt to: <b@example.net>\n"
                + "mail options: SIZE=100\n"
                + "X-Peer: 192.0.2.7\n" // no empty line: the whole message is its header section
                + DebugHandler.END + "\n";
        return content + around.length();
    }
}
