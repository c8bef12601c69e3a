package io.smtpkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs the command in-process and keeps what it printed; closes every server it started. */
final class CliHarness implements AutoCloseable {

    /** The start line, e.g. {@code smtpkit 0.1.0 listening on 127.0.0.1:8025 (handler debug)}. */
    static final Pattern START_LINE = Pattern.compile(
            "smtpkit \\S+ listening on (\\S+):(\\d+)(?:, \\S+)*(?: and with TLS on \\S+(?:, \\S+)*)? \\(handler (\\S+)\\)(?:, web inbox on \\S+)?(?:, behind a PROXY protocol balancer)?");

    record Result(int exitCode, String out, String err) {

        /** Asserts a usage error: status 2 and exactly one line on stderr, without a stack trace. */
        String assertUsageError() {
            assertEquals(Main.USAGE, exitCode, () -> "exit status; stderr: " + err + " stdout: " + out);
            String line = err.strip();
            assertFalse(line.isEmpty(), "an error line on stderr");
            assertFalse(line.contains("\n"), () -> "one line on stderr, got:\n" + err);
            assertTrue(line.startsWith("smtpkit: "), () -> "the line names the command: " + line);
            assertFalse(line.contains("Exception") || line.contains("\tat "), () -> "no stack trace: " + line);
            assertEquals("", out, "nothing on stdout");
            return line;
        }
    }

    /** A started command: its server and what it printed so far. */
    record Serving(Main.Started started, ByteArrayOutputStream out, ByteArrayOutputStream err) {

        String outText() {
            return out.toString(StandardCharsets.UTF_8);
        }

        InetSocketAddress address() {
            return started.addresses().get(0);
        }

        /** The start line printed, checked against the real bound port. */
        Matcher startLine() {
            String first = outText().lines().findFirst().orElse("");
            Matcher matcher = START_LINE.matcher(first);
            assertTrue(matcher.matches(), () -> "start line: " + first);
            assertEquals(address().getPort(), Integer.parseInt(matcher.group(2)), "the real bound port is printed");
            return matcher;
        }
    }

    private final List<Main.Started> started = new ArrayList<>();

    Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Main.Started result = Main.start(args, print(out), print(err));
        if (result.isRunning()) {
            started.add(result);
            result.close();
            throw new AssertionError("expected the command to exit, but it serves: " + out.toString(StandardCharsets.UTF_8));
        }
        return new Result(result.exitCode(), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    Serving serve(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Main.Started result = Main.start(args, print(out), print(err));
        assertTrue(result.isRunning(), () -> "expected a running server; exit " + result.exitCode()
                + ", stderr: " + err.toString(StandardCharsets.UTF_8));
        started.add(result);
        return new Serving(result, out, err);
    }

    private static PrintStream print(ByteArrayOutputStream bytes) {
        return new PrintStream(bytes, true, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        started.forEach(Main.Started::close);
    }
}
