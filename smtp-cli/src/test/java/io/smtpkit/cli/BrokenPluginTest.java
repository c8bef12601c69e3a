package io.smtpkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.server.testsupport.ChildProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plugins whose provider throws, run through the real command in a child JVM (what the user
 * sees on stderr, the logger's warnings included, and the exit status): one clear line, never a
 * stack trace, and the other handlers still there.
 */
class BrokenPluginTest {

    private static final String PACKAGE = "com.example.broken";

    @TempDir
    Path temp;

    private Path plugins;

    @BeforeEach
    void buildThePlugins() throws Exception {
        plugins = Files.createDirectories(temp.resolve("plugins"));
        PluginJar.build(temp.resolve("broken"), plugins.resolve("broken.jar"), Map.of(
                PACKAGE + ".ThrowsWhenMade", provider("ThrowsWhenMade", "fine",
                        "public ThrowsWhenMade() { throw new IllegalStateException(\"no licence key in $HOME/.fine\"); }",
                        "return null;"),
                PACKAGE + ".ThrowsInCreate", provider("ThrowsInCreate", "flaky", "",
                        "throw new IllegalStateException(\"the backend at db.example is down\");"),
                PACKAGE + ".MissesAClass", provider("MissesAClass", "partial", "",
                        "throw new NoClassDefFoundError(\"com/example/broken/NotInTheJar\");")),
                List.of(PACKAGE + ".ThrowsWhenMade", PACKAGE + ".ThrowsInCreate", PACKAGE + ".MissesAClass"));
    }

    @Test
    void aProviderWhoseConstructorThrowsIsSkippedWithOneLineAndTheOthersAreListed() throws Exception {
        ChildProcess.Result result = smtpkit("--plugins", plugins.toString(), "--list-handlers");
        assertEquals(0, result.exitCode(), result.output());
        List<String> names = result.out().lines().filter(l -> !l.startsWith(" ")).map(l -> l.split(" ")[0]).toList();
        assertEquals(List.of("debug", "flaky", "inbox", "lmtp", "maildir", "partial", "relay", "sink"), names, result.out());
        List<String> errors = result.err().lines().toList();
        assertEquals(1, errors.size(), result.err());
        assertTrue(errors.get(0).contains("WARN") && errors.get(0).contains(PACKAGE + ".ThrowsWhenMade")
                && errors.get(0).contains("no licence key in $HOME/.fine"), result.err());
        assertNoStackTrace(result);
    }

    @Test
    void aProviderWhoseCreateThrowsIsOneLineAndStatus2() throws Exception {
        ChildProcess.Result result = smtpkit("--plugins", plugins.toString(), "-c", "flaky", "-l", "127.0.0.1:0");
        assertEquals(Main.USAGE, result.exitCode(), result.output());
        assertEquals("", result.out());
        assertEquals("smtpkit: handler 'flaky': the backend at db.example is down", lastLine(result), result.err());
        assertNoStackTrace(result);
    }

    @Test
    void anUnexpectedFailureAtStartIsOneLineAndStatus1() throws Exception {
        ChildProcess.Result result = smtpkit("--plugins", plugins.toString(), "-c", "partial", "-l", "127.0.0.1:0");
        assertEquals(Main.FAILURE, result.exitCode(), result.output());
        assertEquals("", result.out());
        assertEquals("smtpkit: unexpected error: java.lang.NoClassDefFoundError: com/example/broken/NotInTheJar"
                + " (run with -v for details)", lastLine(result), result.err());
        assertNoStackTrace(result);

        ChildProcess.Result verbose = smtpkit("--plugins", plugins.toString(), "-c", "partial", "-l", "127.0.0.1:0", "-v");
        assertEquals(Main.FAILURE, verbose.exitCode(), verbose.output());
        assertTrue(verbose.err().lines().anyMatch(l -> l.startsWith("\tat ") && l.contains(PACKAGE + ".MissesAClass.create(")),
                "-v shows where: " + verbose.err());
    }

    @Test
    void startFailuresOfTheUsersMakingAreOneLineAndStatus2() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            String port = String.valueOf(taken.getLocalPort());
            assertUsage(smtpkit("-l", "127.0.0.1:" + port, "-c", "sink"), port);
        }
        assertUsage(smtpkit("-l", "127.0.0.1:0", "-c", "mbox"), "unknown handler 'mbox'");
        assertUsage(smtpkit("-l", "127.0.0.1:0", "-c", "maildir"), "smtpkit: handler 'maildir' needs option dir (-o dir=...)");
        assertUsage(smtpkit("-l", "127.0.0.1:0", "-c", "sink", "-o", "colour=red"),
                "smtpkit: handler 'sink' has no option colour; it takes no options");
    }

    private static void assertUsage(ChildProcess.Result result, String expected) {
        assertEquals(Main.USAGE, result.exitCode(), result.output());
        assertEquals(1, result.err().lines().count(), result.err());
        assertTrue(result.err().contains(expected), result.err());
        assertNoStackTrace(result);
    }

    /** The command's own error line: the last line on stderr (the logger may have warned before it). */
    private static String lastLine(ChildProcess.Result result) {
        List<String> lines = result.err().lines().toList();
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }

    private static void assertNoStackTrace(ChildProcess.Result result) {
        assertFalse(result.err().contains("\tat ") || result.err().contains("Caused by"), result.err());
    }

    private static ChildProcess.Result smtpkit(String... args) throws Exception {
        return ChildProcess.run(ChildProcess.java(List.of(), Main.class.getName(), List.of(args)), Duration.ofSeconds(60));
    }

    /** A provider named {@code name} with the given constructor and {@code create} body. */
    private static String provider(String type, String name, String constructor, String create) {
        return "package " + PACKAGE + ";\n"
                + "public final class " + type + " implements io.smtpkit.server.HandlerProvider {\n"
                + "    " + constructor + "\n"
                + "    @Override public String name() { return \"" + name + "\"; }\n"
                + "    @Override public String description() { return \"a broken plugin\"; }\n"
                + "    @Override public io.smtpkit.server.SmtpHandler create(java.util.Map<String, String> options) {\n"
                + "        " + create + "\n"
                + "    }\n"
                + "}\n";
    }
}
