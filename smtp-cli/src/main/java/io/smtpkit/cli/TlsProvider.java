package io.smtpkit.cli;

import java.lang.reflect.InvocationTargetException;
import java.security.Provider;
import java.util.Locale;

/**
 * {@code --tls-provider}: whose TLS the server speaks. {@code jdk} (the default) is the JDK's
 * own; {@code conscrypt} is BoringSSL through Conscrypt, which the jar does not contain: put
 * {@code conscrypt-openjdk-uber} on the class path. On the TLS benchmark
 * (benchmarks/tls/README.md) it halves the server's CPU per handshake, to the level of stunnel's
 * OpenSSL.
 */
final class TlsProvider {

    static final String CONSCRYPT_CLASS = "org.conscrypt.Conscrypt";

    private TlsProvider() {}

    /** The provider named by {@code --tls-provider}, or null for the JDK's default. */
    static Provider named(String name) throws UsageError {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "jdk" -> null;
            case "conscrypt" -> conscrypt(CONSCRYPT_CLASS);
            default -> throw new UsageError("--tls-provider must be jdk or conscrypt, not " + Main.oneLine(name));
        };
    }

    /** Conscrypt's provider from {@code entryPoint} (a parameter only so the missing case can be tested). */
    static Provider conscrypt(String entryPoint) throws UsageError {
        try {
            return (Provider) Class.forName(entryPoint).getMethod("newProvider").invoke(null);
        } catch (ClassNotFoundException e) {
            throw new UsageError("--tls-provider conscrypt: Conscrypt is not on the class path; run "
                    + "java -cp smtpkit.jar:conscrypt-openjdk-uber-2.5.2.jar io.smtpkit.cli.Main ...");
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            // e.g. its native library does not load on this platform
            Throwable cause = e instanceof InvocationTargetException || e instanceof ExceptionInInitializerError
                    ? e.getCause() : e;
            throw new UsageError("--tls-provider conscrypt: Conscrypt does not start here: " + Main.oneLine(String.valueOf(cause)));
        }
    }
}
