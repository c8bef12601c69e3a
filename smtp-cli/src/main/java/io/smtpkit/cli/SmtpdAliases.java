package io.smtpkit.cli;

import io.smtpkit.server.HandlerProvider;
import io.smtpkit.server.HandlerRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Python smtpd's {@code -c} class names, mapped to smtpkit handlers only when no handler claims
 * them itself: a provider's {@link HandlerProvider#aliases()} always wins, so these fill in for
 * handlers that do not declare them (yet). The one place these names live: lookup is by any
 * spelling, {@code --list-handlers} shows smtpd's.
 */
final class SmtpdAliases {

    /** smtpd's spelling → the smtpkit handler it stands for. */
    private static final Map<String, String> ALIASES = Map.of(
            "DebuggingServer", "debug",
            "PureProxy", "relay",
            "MailmanProxy", "lmtp");

    private SmtpdAliases() {}

    /** The smtpkit handler that smtpd's class {@code name} (any case) stands for, if it is one. */
    static Optional<String> handlerFor(String name) {
        return ALIASES.entrySet().stream()
                .filter(alias -> alias.getKey().equalsIgnoreCase(name))
                .map(Map.Entry::getValue)
                .findFirst();
    }

    /** The provider's own aliases, then the smtpd names that stand for it and no provider claims. */
    static List<String> shownFor(HandlerProvider provider, HandlerRegistry registry) {
        List<String> aliases = new ArrayList<>(provider.aliases());
        ALIASES.entrySet().stream()
                .filter(alias -> alias.getValue().equals(provider.name()) && registry.find(alias.getKey()).isEmpty())
                .map(Map.Entry::getKey)
                .sorted(String.CASE_INSENSITIVE_ORDER)
                .forEach(aliases::add);
        return aliases;
    }
}
