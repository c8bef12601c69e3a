package io.smtpkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.server.testsupport.ChildProcess;
import io.smtpkit.server.testsupport.SmtpClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.time.Duration;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The real {@code main} in its own JVM: exit statuses and a graceful SIGTERM. */
class ProcessTest {

    private static Process java(String... args) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new java.util.ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).start();
    }

    /** The command in a child JVM, to its end (at most 30 s); its output read from files, never a pipe. */
    private static ChildProcess.Result finished(String... args) throws Exception {
        return ChildProcess.run(ChildProcess.java(List.of(), Main.class.getName(), List.of(args)), Duration.ofSeconds(30));
    }

    @Test
    void badInputExitsWithStatus2AndOneLine() throws Exception {
        ChildProcess.Result result = finished("--listen", "nowhere");
        String err = result.err();
        assertEquals(2, result.exitCode(), err);
        assertEquals(1, err.lines().count(), err);
        assertFalse(err.contains("Exception"), err);
    }

    @Test
    void helpExitsWithStatus0() throws Exception {
        ChildProcess.Result result = finished("--help");
        assertEquals(0, result.exitCode(), result.output());
        assertTrue(result.out().contains("--listen"), result.out());
    }

    @Test
    @DisabledOnOs(OS.WINDOWS) // destroy() is SIGTERM on Unix only
    void sigtermClosesGracefully() throws Exception {
        Process process = java("-l", "127.0.0.1:0", "-c", "sink", "-q");
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            Matcher start = CliHarness.START_LINE.matcher(String.valueOf(line));
            assertTrue(start.matches(), "start line: " + line);
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", Integer.parseInt(start.group(2)));
            try (SmtpClient idle = SmtpClient.connect(address)) {
                assertTrue(idle.reply().startsWith("220"));
                assertTrue(idle.command("EHLO c").startsWith("250"));
                process.destroy(); // SIGTERM
                String goodbye = idle.reply();
                assertTrue(goodbye.startsWith("421"), "an idle session is told the server is going: " + goodbye);
            }
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the process ends by itself");
        } finally {
            process.destroyForcibly();
        }
    }
}
