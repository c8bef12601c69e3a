package io.smtpkit.server;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * The handlers on the class path, found through {@link ServiceLoader} and looked up by name or
 * alias, case-insensitively. Nothing is special-cased: the handlers that ship with smtpkit are
 * found exactly as third-party ones are.
 */
public final class HandlerRegistry {

    private final List<HandlerProvider> providers;
    private final List<String> failures;

    private HandlerRegistry(List<HandlerProvider> providers, List<String> failures) {
        this.providers = List.copyOf(providers);
        this.failures = List.copyOf(failures);
    }

    /** The providers visible to this class's class loader. */
    public static HandlerRegistry load() {
        return load(HandlerRegistry.class.getClassLoader());
    }

    /**
     * The providers visible to {@code loader}, for example a {@link java.net.URLClassLoader} over
     * a folder of plugin jars whose parent is the application's loader. A provider whose
     * constructor throws is left out and named in {@link #failures()}, so one broken plugin does
     * not hide the other handlers.
     *
     * @throws IllegalStateException if a listed provider class cannot be found or loaded, or two
     *     providers share a name
     */
    public static HandlerRegistry load(ClassLoader loader) {
        List<HandlerProvider> found = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        try {
            // stream() looks a provider up without making it; get() runs its constructor, so
            // a constructor that throws costs that provider only.
            for (ServiceLoader.Provider<HandlerProvider> provider
                    : (Iterable<ServiceLoader.Provider<HandlerProvider>>) ServiceLoader.load(HandlerProvider.class, loader)
                            .stream()::iterator) {
                try {
                    found.add(provider.get());
                } catch (ServiceConfigurationError e) {
                    failures.add(provider.type().getName() + ": " + rootMessage(e));
                }
            }
        } catch (ServiceConfigurationError e) {
            throw new IllegalStateException("cannot load a handler provider: " + e.getMessage(), e);
        }
        return of(found, failures);
    }

    /** What went wrong at the bottom of {@code e}: the constructor's own exception, type and message. */
    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return root.getClass().getName() + (message == null || message.isBlank() ? "" : ": " + message);
    }

    /**
     * A registry of the given providers.
     *
     * @throws IllegalStateException if two providers answer to the same name or alias
     */
    public static HandlerRegistry of(List<HandlerProvider> providers) {
        return of(providers, List.of());
    }

    private static HandlerRegistry of(List<HandlerProvider> providers, List<String> failures) {
        List<HandlerProvider> sorted = new ArrayList<>(providers);
        sorted.sort(Comparator.comparing(HandlerProvider::name));
        Map<String, HandlerProvider> byName = new HashMap<>();
        for (HandlerProvider provider : sorted) {
            List<String> names = new ArrayList<>(provider.aliases());
            names.add(provider.name());
            for (String name : names) {
                HandlerProvider other = byName.put(name.toLowerCase(Locale.ROOT), provider);
                if (other != null && other != provider) {
                    throw new IllegalStateException("two handlers answer to '" + name + "': "
                            + other.getClass().getName() + " and " + provider.getClass().getName());
                }
            }
        }
        return new HandlerRegistry(sorted, failures);
    }

    /** All providers, sorted by name. */
    public List<HandlerProvider> providers() {
        return providers;
    }

    /**
     * The providers {@link #load(ClassLoader)} found but could not make, one line each: the
     * provider's class and what its constructor threw (never a stack trace). Empty for
     * {@link #of(List)}.
     */
    public List<String> failures() {
        return failures;
    }

    /** The provider with this name or alias. */
    public Optional<HandlerProvider> find(String name) {
        for (HandlerProvider provider : providers) {
            if (provider.name().equalsIgnoreCase(name)
                    || provider.aliases().stream().anyMatch(alias -> alias.equalsIgnoreCase(name))) {
                return Optional.of(provider);
            }
        }
        return Optional.empty();
    }

    /**
     * Makes the named handler.
     *
     * @throws IllegalArgumentException if no handler has that name (the message lists those
     *     available) or the options are wrong
     */
    public SmtpHandler create(String name, Map<String, String> options) {
        HandlerProvider provider = find(name).orElseThrow(() -> new IllegalArgumentException(
                "unknown handler '" + name + "'; available: " + names()));
        return provider.create(options);
    }

    /** The handler names, comma-separated, for messages. */
    public String names() {
        return providers.stream().map(HandlerProvider::name).collect(Collectors.joining(", "));
    }
}
