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

    private HandlerRegistry(List<HandlerProvider> providers) {
        this.providers = List.copyOf(providers);
    }

    /** The providers visible to this class's class loader. */
    public static HandlerRegistry load() {
        return load(HandlerRegistry.class.getClassLoader());
    }

    /**
     * The providers visible to {@code loader}, for example a {@link java.net.URLClassLoader} over
     * a folder of plugin jars whose parent is the application's loader.
     *
     * @throws IllegalStateException if a provider cannot be loaded or two share a name
     */
    public static HandlerRegistry load(ClassLoader loader) {
        List<HandlerProvider> found = new ArrayList<>();
        try {
            for (HandlerProvider provider : ServiceLoader.load(HandlerProvider.class, loader)) {
                found.add(provider);
            }
        } catch (ServiceConfigurationError e) {
            throw new IllegalStateException("cannot load a handler provider: " + e.getMessage(), e);
        }
        return of(found);
    }

    /**
     * A registry of the given providers.
     *
     * @throws IllegalStateException if two providers answer to the same name or alias
     */
    public static HandlerRegistry of(List<HandlerProvider> providers) {
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
        return new HandlerRegistry(sorted);
    }

    /** All providers, sorted by name. */
    public List<HandlerProvider> providers() {
        return providers;
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
