package io.smtpkit.inbox.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * The search box's language, a subset of Mailpit's: words separated by spaces, all of which must
 * match; {@code "quoted words"} stay together; {@code from:}, {@code to:} (To, Cc, Bcc and the
 * envelope recipients), {@code subject:}, {@code is:read} / {@code is:unread}, and free text
 * (subject, addresses, names and the text body). A leading {@code -} negates a word. Matching is
 * case-insensitive substring matching.
 */
public final class Search {

    private Search() {}

    /** Words of a query that count; more are ignored (a chained predicate per word would nest that deep). */
    static final int MAX_TERMS = 32;

    /** The filter for {@code query}; an empty query matches every message. */
    public static Predicate<StoredMessage> parse(String query) {
        List<Predicate<StoredMessage>> terms = new ArrayList<>();
        for (String token : tokens(query == null ? "" : query)) {
            if (terms.size() == MAX_TERMS) {
                break;
            }
            boolean negate = token.startsWith("-") && token.length() > 1;
            String t = negate ? token.substring(1) : token;
            Predicate<StoredMessage> p = term(t);
            terms.add(negate ? p.negate() : p);
        }
        return m -> {
            for (Predicate<StoredMessage> p : terms) {
                if (!p.test(m)) {
                    return false;
                }
            }
            return true;
        };
    }

    private static Predicate<StoredMessage> term(String token) {
        int colon = token.indexOf(':');
        if (colon > 0) {
            String key = token.substring(0, colon).toLowerCase(Locale.ROOT);
            String value = lower(unquote(token.substring(colon + 1)));
            switch (key) {
                case "from":
                    return m -> contains(m.view.from, value) || lower(m.sender).contains(value);
                case "to":
                    return m -> m.view.to.stream().anyMatch(a -> contains(a, value))
                            || m.view.cc.stream().anyMatch(a -> contains(a, value))
                            || m.view.bcc.stream().anyMatch(a -> contains(a, value))
                            || m.recipients.stream().anyMatch(r -> lower(r).contains(value));
                case "subject":
                    return m -> lower(m.view.subject).contains(value);
                case "is":
                    if (value.equals("read")) {
                        return StoredMessage::isRead;
                    }
                    if (value.equals("unread")) {
                        return m -> !m.isRead();
                    }
                    break;
                default:
                    break;
            }
        }
        String value = lower(unquote(token));
        return m -> lower(m.view.subject).contains(value)
                || contains(m.view.from, value)
                || lower(m.sender).contains(value)
                || m.recipients.stream().anyMatch(r -> lower(r).contains(value))
                || m.view.to.stream().anyMatch(a -> contains(a, value))
                || m.view.cc.stream().anyMatch(a -> contains(a, value))
                || (m.view.text != null && lower(m.view.text).contains(value))
                || lower(m.view.snippet).contains(value);
    }

    private static boolean contains(MimeView.Mailbox a, String value) {
        return lower(a.address()).contains(value) || lower(a.name()).contains(value);
    }

    private static String lower(String s) {
        return s == null ? "" : s.toLowerCase(Locale.ROOT);
    }

    private static String unquote(String s) {
        return s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"") ? s.substring(1, s.length() - 1) : s.replace("\"", "");
    }

    static List<String> tokens(String query) {
        List<String> tokens = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < query.length(); i++) {
            char c = query.charAt(i);
            if (c == '"') {
                quoted = !quoted;
                current.append(c);
            } else if (Character.isWhitespace(c) && !quoted) {
                if (current.length() > 0) {
                    tokens.add(current.toString());
                    current.setLength(0);
                }
            } else {
                current.append(c);
            }
        }
        if (current.length() > 0) {
            tokens.add(current.toString());
        }
        return tokens;
    }
}
