package io.smtpkit.server;

import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The options given to {@link HandlerProvider#create}, with the checks every provider needs:
 * unknown keys are refused when the object is made, and missing or malformed values give a
 * {@link HandlerOptionException} that names the handler and the option.
 */
public final class HandlerOptions {

    private final String handler;
    private final Map<String, String> values;

    private HandlerOptions(String handler, Map<String, String> values) {
        this.handler = handler;
        this.values = Map.copyOf(values);
    }

    /**
     * Checks {@code values} against the {@code known} option names.
     *
     * @throws HandlerOptionException naming the unknown options and the known ones; its
     *     {@link HandlerOptionException#key() key} is the first unknown one
     */
    public static HandlerOptions of(String handler, Map<String, String> values, Collection<String> known) {
        TreeSet<String> unknown = new TreeSet<>(values.keySet());
        unknown.removeAll(known);
        if (!unknown.isEmpty()) {
            throw new HandlerOptionException(handler, unknown.first(), "has no option " + String.join(", ", unknown)
                    + (known.isEmpty() ? "; it takes no options" : "; it takes " + String.join(", ", new TreeSet<>(known))));
        }
        return new HandlerOptions(handler, values);
    }

    /**
     * The value of a required option.
     *
     * @throws HandlerOptionException if it is missing or blank
     */
    public String required(String key) {
        String value = values.get(key);
        if (value == null || value.isBlank()) {
            throw new HandlerOptionException(handler, key, "needs option " + key + " (-o " + key + "=...)");
        }
        return value;
    }

    /** The value of an option, or {@code fallback} when it was not given. */
    public String get(String key, String fallback) {
        return values.getOrDefault(key, fallback);
    }

    /**
     * A yes/no option: {@code true/false}, {@code yes/no}, {@code on/off} or {@code 1/0}.
     *
     * @throws HandlerOptionException if it is something else
     */
    public boolean flag(String key, boolean fallback) {
        String value = values.get(key);
        if (value == null) {
            return fallback;
        }
        switch (value.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1":
                return true;
            case "false", "no", "off", "0":
                return false;
            default:
                throw new HandlerOptionException(handler, key, "option " + key + " must be true or false, not '" + value + "'");
        }
    }

    /**
     * A whole-number option.
     *
     * @throws HandlerOptionException if it is not one
     */
    public long number(String key, long fallback) {
        String value = values.get(key);
        if (value == null) {
            return fallback;
        }
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw new HandlerOptionException(handler, key, "option " + key + " must be a number, not '" + value + "'", e);
        }
    }
}
