package io.smtpkit.queue.postgres.internal;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A queue spec naming a PostgreSQL database, in either of the two forms users have at hand:
 * libpq's {@code postgresql://user:password@host:port/db?param=value} (what {@code psql} takes)
 * or pgjdbc's {@code jdbc:postgresql://host:port/db?user=...&password=...}. pgjdbc does not read
 * a user and password before the host, so they are taken out here and passed as properties.
 * {@link #masked} is the only form that may be printed or logged.
 */
public final class PostgresUrl {

    private static final Pattern LIBPQ = Pattern.compile("(?i)postgres(?:ql)?://(?:([^@/?]*)@)?(.*)");
    private static final Pattern PASSWORD_PARAM = Pattern.compile("(?i)([?&]password=)[^&]*");
    private static final Pattern USERINFO_PASSWORD = Pattern.compile("(?i)^((?:jdbc:)?postgres(?:ql)?://[^:@/?]*:)[^@/?]*@");

    private final String jdbcUrl;
    private final Properties properties;
    private final String masked;

    private PostgresUrl(String jdbcUrl, Properties properties, String masked) {
        this.jdbcUrl = jdbcUrl;
        this.properties = properties;
        this.masked = masked;
    }

    /** True for the specs this module opens: {@code postgresql://}, {@code postgres://}, {@code jdbc:postgresql:}. */
    public static boolean accepts(String spec) {
        String s = spec.toLowerCase(Locale.ROOT);
        return s.startsWith("postgresql://") || s.startsWith("postgres://") || s.startsWith("jdbc:postgresql:");
    }

    /** Parses {@code spec}; throws {@link IllegalArgumentException} (its password masked) when it is neither form. */
    public static PostgresUrl parse(String spec) {
        String masked = mask(spec);
        Properties props = new Properties();
        if (spec.regionMatches(true, 0, "jdbc:postgresql:", 0, 16)) {
            return new PostgresUrl(spec, props, masked);
        }
        Matcher m = LIBPQ.matcher(spec);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a PostgreSQL URL: " + masked);
        }
        if (m.group(1) != null) {
            String userInfo = m.group(1);
            int colon = userInfo.indexOf(':');
            props.setProperty("user", decode(colon < 0 ? userInfo : userInfo.substring(0, colon)));
            if (colon >= 0) {
                props.setProperty("password", decode(userInfo.substring(colon + 1)));
            }
        }
        return new PostgresUrl("jdbc:postgresql://" + m.group(2), props, masked);
    }

    /** {@code spec} with any password, before the host or as a parameter, replaced by {@code ***}. */
    public static String mask(String spec) {
        String s = USERINFO_PASSWORD.matcher(spec).replaceFirst("$1***@");
        return PASSWORD_PARAM.matcher(s).replaceAll("$1***");
    }

    /** The URL for {@link java.sql.DriverManager}; may hold a password: never print it. */
    public String jdbcUrl() {
        return jdbcUrl;
    }

    /** The user and password taken from before the host, for the driver; a copy. */
    public Properties properties() {
        Properties p = new Properties();
        p.putAll(properties);
        return p;
    }

    /** The URL with its password masked: the form for logs and {@code queue list}. */
    @Override
    public String toString() {
        return masked;
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
