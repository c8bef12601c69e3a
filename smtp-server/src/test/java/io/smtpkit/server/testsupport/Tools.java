package io.smtpkit.server.testsupport;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Third-party tools (swaks, python3, openssl) a test talks to. Missing on a developer machine, the
 * test is skipped; missing in CI ({@code CI=true}, where {@code scripts/install-tools.sh} installs
 * them), the test fails, so a broken install cannot turn the interop tests into silent skips.
 */
public final class Tools {

    private Tools() {}

    /** Whether this is a CI run: the environment variable {@code CI} is {@code true}. */
    public static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** The executable {@code command} on the PATH; skips the test without it, fails it in CI. */
    public static Path require(String command) {
        Path found = onPath(command);
        if (found == null) {
            unavailable(command + " is not installed (scripts/install-tools.sh installs it)");
        }
        return found;
    }

    /** Skips the test, or fails it in CI, because something it needs is missing. */
    public static void unavailable(String why) {
        if (inCi()) {
            Assertions.fail("CI=true, yet " + why);
        }
        Assumptions.abort(why);
    }

    /** The executable {@code command} on the PATH, or null. */
    public static Path onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, command);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }
}
