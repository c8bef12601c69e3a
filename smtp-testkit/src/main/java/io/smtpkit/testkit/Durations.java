package io.smtpkit.testkit;

import java.time.Duration;
import java.util.Locale;

/** The default wait from {@value SmtpServerExtension#TIMEOUT_PROPERTY}, and durations as people write and read them. */
final class Durations {

    private Durations() {}

    /** The property's wait, or {@link SmtpServerExtension#DEFAULT_TIMEOUT}; a value it cannot read fails loudly, not silently. */
    static Duration timeoutFromProperty() {
        String value = System.getProperty(SmtpServerExtension.TIMEOUT_PROPERTY);
        if (value == null || value.isBlank()) {
            return SmtpServerExtension.DEFAULT_TIMEOUT;
        }
        try {
            return parse(value.trim());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(SmtpServerExtension.TIMEOUT_PROPERTY
                    + " must be like 30s, 500ms, 2m or PT1M: " + value, e);
        }
    }

    /** {@code 30s}, {@code 500ms}, {@code 2m}, ISO-8601 ({@code PT1M}), or bare milliseconds. */
    static Duration parse(String v) {
        String lower = v.toLowerCase(Locale.ROOT);
        if (lower.startsWith("p")) {
            return Duration.parse(v);
        } else if (lower.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(lower.substring(0, lower.length() - 2).trim()));
        } else if (lower.endsWith("s")) {
            return Duration.ofSeconds(Long.parseLong(lower.substring(0, lower.length() - 1).trim()));
        } else if (lower.endsWith("m")) {
            return Duration.ofMinutes(Long.parseLong(lower.substring(0, lower.length() - 1).trim()));
        }
        return Duration.ofMillis(Long.parseLong(lower));
    }

    /** {@code 0.3s}, {@code 5s}, {@code 1m30s}: how a failure message says how long it waited. */
    static String pretty(Duration d) {
        return d.toString().substring(2).toLowerCase(Locale.ROOT);
    }
}
