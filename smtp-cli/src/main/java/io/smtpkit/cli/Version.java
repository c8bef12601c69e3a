package io.smtpkit.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The smtpkit version: the jar manifest's Implementation-Version, else a resource Maven filtered. */
final class Version {

    private Version() {}

    static String get() {
        String fromManifest = Main.class.getPackage().getImplementationVersion();
        if (fromManifest != null && !fromManifest.isBlank()) {
            return fromManifest;
        }
        // Running from target/classes (tests, IDEs) there is no manifest.
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                Properties properties = new Properties();
                properties.load(in);
                String version = properties.getProperty("version");
                if (version != null && !version.isBlank() && !version.startsWith("${")) {
                    return version;
                }
            }
        } catch (IOException ignored) {
            // fall through to "unknown": the version line is informational
        }
        return "unknown";
    }
}
