package io.smtpkit.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
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
    private final Path stderr;
    final InetSocketAddress address;
    final InetSocketAddress tlsAddress;

    private ServerProcess(Process process, Path stderr, InetSocketAddress address, InetSocketAddress tlsAddress) {
        this.process = process;
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
        Path stderr = Files.createTempFile(dir, "stderr", ".log");
        Process process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line;
        try {
            line = CompletableFuture.supplyAsync(() -> {
                try {
                    return out.readLine();
                } catch (IOException e) {
                    return null;
                }
            }).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            process.destroyForcibly();
            throw new AssertionError("no start line within 30 s; stderr: " + Files.readString(stderr), e);
        }
        Matcher start = CliHarness.START_LINE.matcher(String.valueOf(line));
        if (!start.matches()) {
            process.destroyForcibly();
            throw new AssertionError("start line: " + line + "; stderr: " + Files.readString(stderr));
        }
        // What else goes to stdout (the debug handler's printout) must not fill the pipe.
        Thread drain = new Thread(() -> {
            try {
                process.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            } catch (IOException ignored) {
                // the process ended
            }
        }, "stdout-drain");
        drain.setDaemon(true);
        drain.start();
        Matcher tls = TLS_PORT.matcher(line);
        return new ServerProcess(process, stderr,
                new InetSocketAddress("127.0.0.1", Integer.parseInt(start.group(2))),
                tls.find() ? new InetSocketAddress("127.0.0.1", Integer.parseInt(tls.group(1))) : null);
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGTERM; asserts that the process ends by itself within 30 s; returns its exit status. */
    int terminate() throws Exception {
        process.destroy();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "SIGTERM did not end the server; stderr: " + stderrText());
        return process.exitValue();
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
