package com.example.smtpkit.headers;

import com.google.auto.service.AutoService;
import io.smtpkit.server.HandlerOptions;
import io.smtpkit.server.HandlerProvider;
import io.smtpkit.server.SmtpHandler;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Makes the {@code headers} handler known to smtpkit: {@code smtpkit --plugins DIR -c headers}.
 * {@code @AutoService} writes the {@code META-INF/services/io.smtpkit.server.HandlerProvider}
 * line that {@link java.util.ServiceLoader} reads.
 */
@AutoService(HandlerProvider.class)
public final class HeadersHandlerProvider implements HandlerProvider {

    @Override
    public String name() {
        return "headers";
    }

    @Override
    public List<String> aliases() {
        return List.of("HeadersOnly");
    }

    @Override
    public String description() {
        return "prints only the header section of each message to stdout";
    }

    @Override
    public Map<String, String> options() {
        Map<String, String> options = new LinkedHashMap<>();
        options.put("only", "comma-separated header names to print, e.g. Subject,From (default: all)");
        return options;
    }

    @Override
    public SmtpHandler create(Map<String, String> options) {
        HandlerOptions checked = HandlerOptions.of(name(), options, options().keySet());
        String only = checked.get("only", "");
        List<String> names = Arrays.stream(only.split(","))
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .map(s -> s.toLowerCase(Locale.ROOT))
                .collect(Collectors.toList());
        return new HeadersHandler(names);
    }
}
