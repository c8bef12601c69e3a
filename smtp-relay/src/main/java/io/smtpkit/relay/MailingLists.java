package io.smtpkit.relay;

import io.smtpkit.protocol.MailPath;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which recipients are mailing-list mail, for the {@code lmtp} handler: every address at a list
 * domain, and the list addresses named one by one, each with Mailman 3's addresses around it.
 * Mailman reads a recipient as {@code LIST[-SUFFIX][+DETAIL]@DOMAIN} (its {@code split_recipient}):
 * the part from the first {@code +} on is a detail (VERP bounces are
 * {@code list-bounces+member=example.org@lists.example.org}, confirmations
 * {@code list-confirm+TOKEN@...}), and a suffix among {@link #SUFFIXES} names the list's service
 * address. Compared without regard to case (RFC 5321 §2.4: domains; Mailman folds local parts).
 */
public final class MailingLists {

    /** Mailman 3's service addresses of a list, {@code LIST-SUFFIX@DOMAIN}. */
    public static final List<String> SUFFIXES =
            List.of("bounces", "confirm", "join", "leave", "owner", "request", "subscribe", "unsubscribe");

    private final Set<String> domains;
    private final Set<String> addresses;

    private MailingLists(Set<String> domains, Set<String> addresses) {
        this.domains = domains;
        this.addresses = addresses;
    }

    /**
     * The lists: {@code domains} whose every address is list mail, and list {@code addresses}
     * ({@code list@domain}). At least one of the two must name something.
     *
     * @throws IllegalArgumentException when both are empty, or an address has no {@code @}
     */
    public static MailingLists of(List<String> domains, List<String> addresses) {
        Set<String> d = domains.stream().map(MailingLists::fold).collect(Collectors.toUnmodifiableSet());
        for (String a : addresses) {
            int at = a.lastIndexOf('@');
            if (at <= 0 || at == a.length() - 1) {
                throw new IllegalArgumentException("list address '" + a + "' is not LIST@DOMAIN");
            }
        }
        Set<String> a = addresses.stream().map(MailingLists::fold).collect(Collectors.toUnmodifiableSet());
        if (d.isEmpty() && a.isEmpty()) {
            throw new IllegalArgumentException("no list domain and no list address: nothing would go to the LMTP server");
        }
        return new MailingLists(d, a);
    }

    /** True when {@code recipient} is a list, one of its service addresses, or at a list domain. */
    public boolean contains(MailPath recipient) {
        if (recipient.isNull() || recipient.domain() == null) {
            return false;
        }
        String domain = fold(recipient.domain());
        if (domains.contains(domain)) {
            return true;
        }
        String local = fold(recipient.localPart());
        int plus = local.indexOf('+');
        if (plus >= 0) {
            local = local.substring(0, plus);
        }
        if (addresses.contains(local + "@" + domain)) {
            return true;
        }
        int dash = local.lastIndexOf('-');
        return dash > 0 && SUFFIXES.contains(local.substring(dash + 1))
                && addresses.contains(local.substring(0, dash) + "@" + domain);
    }

    private static String fold(String s) {
        return s.strip().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return "MailingLists[domains=" + domains + ", addresses=" + addresses + "]";
    }
}
