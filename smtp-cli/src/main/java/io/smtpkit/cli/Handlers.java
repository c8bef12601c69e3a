package io.smtpkit.cli;

import io.smtpkit.server.HandlerOptionException;
import io.smtpkit.server.HandlerProvider;
import io.smtpkit.server.HandlerRegistry;
import io.smtpkit.server.SmtpHandler;
import java.io.IOException;
import java.io.PrintStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.Set;
import java.util.jar.JarFile;
import org.slf4j.LoggerFactory;

/**
 * {@code -c}, {@code -o}, {@code --plugins} and {@code --list-handlers}: finds the handler
 * providers (plugins included), picks one by name or alias and makes the handler from its options.
 */
final class Handlers {

    private Handlers() {}

    /**
     * The providers {@code classes} finds with {@code ServiceLoader}. One that cannot be found or
     * loaded is a usage error; one whose constructor throws is left out with a one-line warning,
     * and the others serve.
     */
    static HandlerRegistry registry(ClassLoader classes) throws UsageError {
        HandlerRegistry registry;
        try {
            registry = HandlerRegistry.load(classes);
        } catch (IllegalStateException | ServiceConfigurationError | LinkageError e) {
            throw new UsageError(Main.oneLine(e.getMessage()));
        }
        for (String failure : registry.failures()) {
            LoggerFactory.getLogger(Main.class).warn("skipped a handler provider that failed to start: {}",
                    Main.oneLine(failure));
        }
        return registry;
    }

    /** A loader over every jar in {@code dir} whose parent is the application's loader. */
    static URLClassLoader pluginLoader(Path dir) throws UsageError {
        if (!Files.isDirectory(dir)) {
            throw new UsageError("--plugins " + dir + (Files.exists(dir) ? ": not a folder" : ": no such folder"));
        }
        List<URL> jars = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*.jar")) {
            for (Path jar : entries) {
                if (!Files.isReadable(jar)) {
                    throw new UsageError("--plugins: cannot read " + jar);
                }
                // A URLClassLoader silently skips a broken jar; say so instead of "unknown handler".
                try (JarFile checked = new JarFile(jar.toFile())) {
                    checked.getManifest(); // opening it proves the zip directory is readable
                    jars.add(jar.toUri().toURL());
                } catch (IOException e) {
                    throw new UsageError("--plugins: " + jar + " is not a readable jar (" + Main.oneLine(e.getMessage()) + ")");
                }
            }
        } catch (MalformedURLException e) {
            throw new UsageError("--plugins " + dir + ": " + Main.oneLine(e.getMessage()));
        } catch (IOException | SecurityException e) {
            throw new UsageError("--plugins " + dir + ": cannot read the folder ("
                    + Main.oneLine(String.valueOf(e.getMessage())) + ")");
        }
        jars.sort((a, b) -> a.toString().compareTo(b.toString()));
        if (jars.isEmpty()) {
            LoggerFactory.getLogger(Main.class).warn("--plugins {}: no .jar files in this folder", dir);
        }
        return new URLClassLoader("smtpkit-plugins", jars.toArray(URL[]::new), Main.class.getClassLoader());
    }

    /** {@code --list-handlers}: each handler with its aliases, description and options. */
    static void print(HandlerRegistry registry, PrintStream out) {
        for (HandlerProvider provider : registry.providers()) {
            List<String> aliases = SmtpdAliases.shownFor(provider, registry);
            out.println(provider.name() + (aliases.isEmpty() ? "" : " (aliases: " + String.join(", ", aliases) + ")"));
            out.println("    " + provider.description());
            for (Map.Entry<String, String> option : provider.options().entrySet()) {
                out.println(String.format(Locale.ROOT, "    -o %-18s %s", option.getKey() + "=...", option.getValue()));
            }
        }
        out.flush();
    }

    /** By name or provider alias; smtpd's class names when no provider claims them. */
    static HandlerProvider provider(HandlerRegistry registry, String name) throws UsageError {
        Optional<HandlerProvider> found = registry.find(name);
        Optional<String> mapped = SmtpdAliases.handlerFor(name);
        if (found.isEmpty() && mapped.isPresent()) {
            found = registry.find(mapped.get());
        }
        if (found.isPresent()) {
            return found.get();
        }
        String available = registry.providers().isEmpty() ? "none" : registry.names();
        if (mapped.isPresent()) {
            throw new UsageError("handler '" + name + "' is smtpkit's '" + mapped.get()
                    + "', which is not available in this build; available: " + available);
        }
        throw new UsageError("unknown handler '" + name + "'; available: " + available + " (see --list-handlers)");
    }

    /**
     * Makes the handler from {@code -o} pairs and the REMOTEHOST:PORT upstream. What the provider
     * throws is a usage error naming the handler once: a {@link HandlerOptionException} names it
     * itself; anything else is the provider's own failure, named here.
     */
    static SmtpHandler create(HandlerProvider provider, List<String> pairs, String remoteAddress) throws UsageError {
        Map<String, String> handlerOptions = handlerOptions(pairs);
        if (remoteAddress != null) {
            if (!provider.options().containsKey("upstream")) {
                throw new UsageError("handler '" + provider.name() + "' takes no upstream, so REMOTEHOST:PORT '"
                        + remoteAddress + "' cannot be used (it is for a forwarding handler such as relay)");
            }
            if (handlerOptions.containsKey("upstream")) {
                throw new UsageError("the upstream is given twice: as REMOTEHOST:PORT and as -o upstream=");
            }
            handlerOptions.put("upstream", remoteAddress);
        }
        SmtpHandler handler;
        try {
            handler = provider.create(handlerOptions);
        } catch (HandlerOptionException e) {
            throw new UsageError(Main.oneLine(e.getMessage()));
        } catch (RuntimeException e) {
            throw new UsageError(providerFailure(provider, e));
        }
        if (handler == null) {
            throw new UsageError("handler '" + provider.name() + "' could not be made (its provider returned null)");
        }
        return handler;
    }

    /** A provider that failed other than over an option: its message, or its type, after the handler's name. */
    private static String providerFailure(HandlerProvider provider, RuntimeException e) {
        String message = Main.oneLine(e.getMessage());
        return "handler '" + provider.name() + "': " + (message.isEmpty() ? e.getClass().getSimpleName() : message);
    }

    /**
     * Options that may be given more than once, each time adding to a list: the provider sees
     * them joined with commas, the list form it also takes ({@code -o route=a=h:25 -o route=b=h:26}
     * is {@code route=a=h:25,b=h:26}).
     */
    private static final Set<String> REPEATABLE = Set.of("route", "list");

    /** {@code -o KEY=VALUE} pairs; the value may contain '=', a key may not be given twice unless it is {@link #REPEATABLE}. */
    private static Map<String, String> handlerOptions(List<String> pairs) throws UsageError {
        Map<String, String> parsed = new LinkedHashMap<>();
        for (String pair : pairs) {
            int equals = pair.indexOf('=');
            if (equals <= 0) {
                throw new UsageError("-o '" + pair + "' is not KEY=VALUE, e.g. -o dir=./mail");
            }
            String key = pair.substring(0, equals).strip();
            if (REPEATABLE.contains(key) && parsed.containsKey(key)) {
                parsed.put(key, parsed.get(key) + "," + pair.substring(equals + 1));
                continue;
            }
            if (parsed.put(key, pair.substring(equals + 1)) != null) {
                throw new UsageError("-o " + key + "= is given twice");
            }
        }
        return parsed;
    }
}
