package io.smtpkit.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.server.testsupport.Eventually;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real command in a JVM of its own (its own heap size, its own log level), for what cannot be
 * tested in-process: running out of memory, signals, what reaches stderr. Every wait is bounded.
 */
final class ServerProcess implements AutoCloseable {

    private static final Pattern TLS_PORT = Pattern.compile(" and with TLS on \\S+:(\\d+)");

    private final Process process;
    private final Path stdout;
    private final Path stderr;
    final InetSocketAddress address;
    final InetSocketAddress tlsAddress;

    private ServerProcess(Process process, Path stdout, Path stderr, InetSocketAddress address,
            InetSocketAddress tlsAddress) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
        this.address = address;
        this.tlsAddress = tlsAddress;
    }

    /** Starts {@code java JVM_ARGS Main ARGS} and waits (at most 30 s) for its start line. */
    static ServerProcess start(Path dir, List<String> jvmArgs, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmArgs);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        Path stdout = Files.createTempFile(dir, "stdout", ".log");
        Path stderr = Files.createTempFile(dir, "stderr", ".log");
        // Both to files: what the handler prints (debug, a plugin) is kept for the test to read,
        // and a pipe nobody reads cannot fill up and stall the server.
        Process process = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        String first = Eventually.poll(() -> firstLine(stdout), l -> l != null || !process.isAlive(), Duration.ofSeconds(30));
        String line = first != null ? first : firstLine(stdout); // it may have printed and died at once
        Matcher start = CliHarness.START_LINE.matcher(String.valueOf(line));
        if (!start.matches()) {
            process.destroyForcibly();
            throw new AssertionError("start line within 30 s: " + line + "; stderr: " + Files.readString(stderr));
        }
        Matcher tls = TLS_PORT.matcher(line);
        return new ServerProcess(process, stdout, stderr,
                new InetSocketAddress("127.0.0.1", Integer.parseInt(start.group(2))),
                tls.find() ? new InetSocketAddress("127.0.0.1", Integer.parseInt(tls.group(1))) : null);
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Waits up to {@code deadline} for the process to end (after {@link #close()}'s SIGKILL, say); true if it did. */
    boolean awaitDeath(Duration deadline) throws InterruptedException {
        return process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** SIGTERM; asserts that the process ends by itself within 30 s; returns its exit status. */
    int terminate() throws Exception {
        process.destroy();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "SIGTERM did not end the server; stderr: " + stderrText());
        return process.exitValue();
    }

    /** The first whole line in {@code file}, or null before there is one. */
    private static String firstLine(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        int end = text.indexOf('\n');
        return end < 0 ? null : text.substring(0, end);
    }

    /** Everything the process printed on stdout so far, its start line first. */
    String stdoutText() throws IOException {
        return Files.readString(stdout, StandardCharsets.UTF_8);
    }

    /** Waits up to {@code deadline} for stdout to satisfy {@code done}; returns it either way, for the assertion. */
    String awaitStdout(java.util.function.Predicate<String> done, Duration deadline) throws Exception {
        return Eventually.poll(this::stdoutText, done, deadline);
    }

    String stderrText() throws IOException {
        return Files.readString(stderr, StandardCharsets.ISO_8859_1);
    }

    byte[] stderrBytes() throws IOException {
        return Files.readAllBytes(stderr);
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
