package io.smtpkit.server;

import java.util.List;
import java.util.Map;

/**
 * Makes a handler known by name, so the command line and other tools can start it with
 * {@code -c NAME -o key=value}. Providers are found with {@link java.util.ServiceLoader}:
 * register one with {@code @AutoService(HandlerProvider.class)} (or a
 * {@code META-INF/services/io.smtpkit.server.HandlerProvider} line) and put the jar on the
 * class path or in the command line's {@code --plugins} folder.
 *
 * <pre>{@code
 * @AutoService(HandlerProvider.class)
 * public final class ArchiveProvider implements HandlerProvider {
 *     public String name() { return "archive"; }
 *     public String description() { return "keeps every message in a zip file"; }
 *     public Map<String, String> options() { return Map.of("file", "the zip file (required)"); }
 *     public SmtpHandler create(Map<String, String> options) {
 *         HandlerOptions o = HandlerOptions.of(name(), options, options().keySet());
 *         return new ArchiveHandler(Path.of(o.required("file")));
 *     }
 * }
 * }</pre>
 *
 * <p>A provider needs a public no-argument constructor and should be cheap to construct:
 * listing the available handlers constructs every provider.
 */
public interface HandlerProvider {

    /** The name users type, lower-case, e.g. {@code "maildir"}. */
    String name();

    /** Other names accepted for this handler, e.g. smtpd's class name {@code "DebuggingServer"}. */
    default List<String> aliases() {
        return List.of();
    }

    /** One line saying what the handler does. */
    String description();

    /** The options the handler accepts, name to one-line description, in a stable order. */
    default Map<String, String> options() {
        return Map.of();
    }

    /**
     * Makes a handler.
     *
     * @param options the options the user gave; keys not in {@link #options()} are an error
     * @throws HandlerOptionException for an unknown, missing or invalid option ({@link HandlerOptions}
     *     throws it for you); any other exception is reported as the handler failing to start
     */
    SmtpHandler create(Map<String, String> options);
}
