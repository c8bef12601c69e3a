package io.smtpkit.server.testsupport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a child process with a deadline. Its stdout and stderr go to files, never to a pipe read
 * before {@code waitFor}: a child that hangs (or fills a pipe nobody reads) fails the test at the
 * deadline instead of hanging the build.
 */
public final class ChildProcess {

    /** What a finished child left: its exit status, its stdout and its stderr. */
    public record Result(int exitCode, String out, String err) {
        /** stdout and stderr, for assertion messages. */
        public String output() {
            return out + (err.isEmpty() ? "" : (out.isEmpty() ? "" : "\n") + err);
        }
    }

    private ChildProcess() {}

    /** Runs {@code command}; throws {@link AssertionError} (and kills the child) past {@code deadline}. */
    public static Result run(List<String> command, Duration deadline) throws IOException, InterruptedException {
        return run(new ProcessBuilder(command), deadline);
    }

    /** Runs {@code builder}'s command with its own redirects replaced by files; see {@link #run(List, Duration)}. */
    public static Result run(ProcessBuilder builder, Duration deadline) throws IOException, InterruptedException {
        Path out = Files.createTempFile("smtpkit-child", ".out");
        Path err = Files.createTempFile("smtpkit-child", ".err");
        try {
            Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(nullDevice())).start();
            if (!process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("did not finish in " + deadline + ": " + builder.command()
                        + "\nstdout: " + read(out) + "\nstderr: " + read(err));
            }
            return new Result(process.exitValue(), read(out), read(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** A {@code java} child with this JVM's class path: {@code java [jvmOptions] mainClass args}. */
    public static List<String> java(List<String> jvmOptions, String mainClass, List<String> args) {
        List<String> command = new java.util.ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(args);
        return command;
    }

    private static java.io.File nullDevice() {
        return new java.io.File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
    }

    private static String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8);
    }
}
