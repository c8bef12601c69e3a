package io.smtpkit.protocol.client;

import io.smtpkit.protocol.Reply;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a server said it supports in its EHLO (or LHLO) reply, RFC 5321 §4.1.1.1: each line after
 * the first is {@code keyword *(SP param)}. Keywords are kept upper-cased with their parameters,
 * unknown ones too; lines that are not of that form are skipped, as a client must not fail on a
 * server's odd extension. A HELO session has {@link #NONE}.
 *
 * <p>The well-known ones are read for the client: SIZE (RFC 1870 §4), PIPELINING (RFC 2920),
 * 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531), CHUNKING and BINARYMIME (RFC 3030), STARTTLS
 * (RFC 3207), AUTH with its mechanisms (RFC 4954 §3; the old {@code AUTH=} form too), DSN
 * (RFC 3461) and ENHANCEDSTATUSCODES (RFC 2034).
 */
public final class Capabilities {

    /** No extensions: the server answered HELO, or has not answered EHLO yet. */
    public static final Capabilities NONE = new Capabilities(false, "", Map.of());

    // RFC 5321 §4.1.1.1: ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
    private static final Pattern KEYWORD = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]*");

    private final boolean extended;
    private final String serverName;
    private final Map<String, List<String>> keywords;

    private Capabilities(boolean extended, String serverName, Map<String, List<String>> keywords) {
        this.extended = extended;
        this.serverName = serverName;
        this.keywords = keywords;
    }

    /** Reads the keywords of a positive EHLO or LHLO reply. */
    public static Capabilities fromEhlo(Reply reply) {
        List<String> lines = reply.lines();
        String first = lines.get(0).strip();
        int space = first.indexOf(' ');
        String name = space < 0 ? first : first.substring(0, space);
        Map<String, List<String>> keywords = new LinkedHashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] words = line.strip().split(" +");
            String keyword = words[0];
            List<String> params = new ArrayList<>(List.of(words).subList(1, words.length));
            int eq = keyword.indexOf('=');
            if (eq > 0 && keyword.substring(0, eq).equalsIgnoreCase("AUTH")) {
                // Pre-RFC 4954 servers (and Outlook-era clients' friends) write "AUTH=LOGIN PLAIN".
                params.add(0, keyword.substring(eq + 1));
                keyword = "AUTH";
            }
            if (!KEYWORD.matcher(keyword).matches()) {
                continue;
            }
            keywords.merge(keyword.toUpperCase(Locale.ROOT), List.copyOf(params), (a, b) -> {
                List<String> both = new ArrayList<>(a);
                both.addAll(b);
                return List.copyOf(both);
            });
        }
        return new Capabilities(true, name, Collections.unmodifiableMap(keywords));
    }

    /** True if these came from EHLO or LHLO, false after HELO. */
    public boolean extended() {
        return extended;
    }

    /** The domain the server named on its first EHLO line (empty after HELO). */
    public String serverName() {
        return serverName;
    }

    /** Every keyword offered, upper-cased, with its parameters as sent, in the order sent. */
    public Map<String, List<String>> keywords() {
        return keywords;
    }

    /** True if {@code keyword} (any case) was offered. */
    public boolean has(String keyword) {
        return keywords.containsKey(keyword.toUpperCase(Locale.ROOT));
    }

    /** The parameters of {@code keyword}, empty when it has none or was not offered. */
    public List<String> parameters(String keyword) {
        return keywords.getOrDefault(keyword.toUpperCase(Locale.ROOT), List.of());
    }

    /** SIZE was offered (RFC 1870 §4): the client may then send {@code SIZE=} with MAIL. */
    public boolean size() {
        return has("SIZE");
    }

    /**
     * The server's fixed maximum message size from {@code SIZE n}, or 0 when it states none
     * (no SIZE, {@code SIZE} alone, {@code SIZE 0} or a parameter that is not a number).
     */
    public long maxMessageSize() {
        List<String> p = parameters("SIZE");
        if (p.isEmpty()) {
            return 0;
        }
        String n = p.get(0);
        if (n.isEmpty() || n.length() > 18 || !n.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return 0;
        }
        return Long.parseLong(n);
    }

    /** PIPELINING (RFC 2920). */
    public boolean pipelining() {
        return has("PIPELINING");
    }

    /** 8BITMIME (RFC 6152). */
    public boolean eightBitMime() {
        return has("8BITMIME");
    }

    /** SMTPUTF8 (RFC 6531). */
    public boolean smtpUtf8() {
        return has("SMTPUTF8");
    }

    /** CHUNKING: the BDAT command (RFC 3030 §2). */
    public boolean chunking() {
        return has("CHUNKING");
    }

    /** BINARYMIME (RFC 3030 §3); usable only together with {@link #chunking()}. */
    public boolean binaryMime() {
        return has("BINARYMIME");
    }

    /** STARTTLS (RFC 3207). */
    public boolean startTls() {
        return has("STARTTLS");
    }

    /** DSN (RFC 3461): RET/ENVID on MAIL, NOTIFY/ORCPT on RCPT. */
    public boolean dsn() {
        return has("DSN");
    }

    /** ENHANCEDSTATUSCODES (RFC 2034). */
    public boolean enhancedStatusCodes() {
        return has("ENHANCEDSTATUSCODES");
    }

    /** The SASL mechanisms of the AUTH keyword (RFC 4954 §3), upper-cased; empty without AUTH. */
    public Set<String> authMechanisms() {
        Set<String> mechanisms = new LinkedHashSet<>();
        for (String m : parameters("AUTH")) {
            if (!m.isEmpty()) {
                mechanisms.add(m.toUpperCase(Locale.ROOT));
            }
        }
        return Collections.unmodifiableSet(mechanisms);
    }

    /** The keywords as the server would list them, e.g. {@code [SIZE 1000, PIPELINING]}. */
    @Override
    public String toString() {
        List<String> out = new ArrayList<>();
        keywords.forEach((k, p) -> out.add(p.isEmpty() ? k : k + " " + String.join(" ", p)));
        return out.toString();
    }
}
