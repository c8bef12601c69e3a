package io.smtpkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.server.testsupport.ChildProcess;
import io.smtpkit.server.testsupport.SmtpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * -q, -v and -vv in the real process (slf4j-simple reads its level once per JVM, so each runs in
 * its own): -q logs only warnings, the default INFO, -v DEBUG and -vv TRACE (and DEBUG).
 */
class VerbosityTest {

    @TempDir
    Path dir;

    /** Starts the command, has one client send one message, stops it with SIGTERM; returns its stderr. */
    private String logOf(String... flags) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("-l", "127.0.0.1:0", "-c", "sink"));
        args.addAll(List.of(flags));
        try (ServerProcess server = ServerProcess.start(dir, List.of(), args.toArray(String[]::new))) {
            try (SmtpClient client = SmtpClient.connect(server.address)) {
                assertTrue(client.reply().startsWith("220"));
                assertTrue(client.command("EHLO v.example").startsWith("250"));
                assertTrue(client.command("MAIL FROM:<a@example.org>").startsWith("250"));
                assertTrue(client.command("RCPT TO:<b@example.org>").startsWith("250"));
                assertTrue(client.command("DATA").startsWith("354"));
                assertTrue(client.command("Subject: v\r\n\r\nbody\r\n.").startsWith("250"));
                assertTrue(client.command("QUIT").startsWith("221"));
            }
            server.terminate(); // asserts that SIGTERM ends it
            return server.stderrText();
        }
    }

    @Test
    void quietLogsNoInfo() throws Exception {
        String log = logOf("-q");
        assertFalse(log.contains(" INFO "), log);
        assertFalse(log.contains(" DEBUG "), log);
    }

    @Test
    void theDefaultIsInfo() throws Exception {
        String log = logOf();
        assertTrue(log.contains(" INFO "), log);
        assertFalse(log.contains(" DEBUG ") || log.contains(" TRACE "), log);
    }

    @Test
    void verboseIsDebugAndTwiceIsTrace() throws Exception {
        String debug = logOf("-v");
        assertTrue(debug.contains(" DEBUG "), debug);
        assertFalse(debug.contains(" TRACE "), debug);
        // Nothing in smtp-server logs at TRACE yet, so -vv shows what -v shows; it must not show less.
        String trace = logOf("-vv");
        assertTrue(trace.contains(" DEBUG "), trace);
    }

    @Test
    void quietAndVerboseTogetherIsAUsageError() throws Exception {
        ChildProcess.Result result = ChildProcess.run(ChildProcess.java(List.of(), Main.class.getName(),
                List.of("-q", "-v")), Duration.ofSeconds(30));
        assertEquals(Main.USAGE, result.exitCode(), result.output());
        assertTrue(result.err().contains("contradict"), result.err());
    }
}
