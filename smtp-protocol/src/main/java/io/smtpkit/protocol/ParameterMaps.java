package io.smtpkit.protocol;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Helpers for ESMTP parameter maps, whose values may be {@code null} (keyword without value). */
final class ParameterMaps {
    private ParameterMaps() {}

    /** An unmodifiable copy that keeps order and allows null values (unlike {@code Map.copyOf}). */
    static Map<String, String> copy(Map<String, String> parameters) {
        return parameters.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    }

    static List<String> options(Map<String, String> parameters) {
        List<String> options = new ArrayList<>(parameters.size());
        parameters.forEach((k, v) -> options.add(v == null ? k : k + "=" + v));
        return List.copyOf(options);
    }
}
