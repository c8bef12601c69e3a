package io.smtpkit.relay;

import com.google.auto.service.AutoService;
import io.smtpkit.server.HandlerOptionException;
import io.smtpkit.server.HandlerOptions;
import io.smtpkit.server.HandlerProvider;
import io.smtpkit.server.SmtpHandler;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Registers {@code lmtp} (smtpd's {@code MailmanProxy}): {@code -c lmtp -o lists=lists.example.org
 * 127.0.0.1:25 mail.example.org:587}. Its own options say where list mail goes and which mail that
 * is; every {@code relay} option, same name and meaning, is taken for the other recipients.
 */
@AutoService(HandlerProvider.class)
public final class LmtpProvider implements HandlerProvider {

    private static final String DEFAULT_LMTP = "127.0.0.1:8024";
    private static final Map<String, String> OPTIONS = describeOptions();

    private static Map<String, String> describeOptions() {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("lmtp", "HOST:PORT of the LMTP server for list mail (default: " + DEFAULT_LMTP + ", Mailman 3's runner)");
        o.put("lists", "DOMAIN,...: every address at these domains is list mail");
        o.put("list", "LIST@DOMAIN: a list address, with its -bounces, -request... and +detail forms (repeatable)");
        RelayProvider.OPTIONS.forEach((key, description) -> o.put(key, "(relay, for other recipients) " + description));
        return Collections.unmodifiableMap(o);
    }

    @Override
    public String name() {
        return "lmtp";
    }

    @Override
    public List<String> aliases() {
        return List.of("MailmanProxy");
    }

    @Override
    public String description() {
        return "list mail over LMTP to Mailman 3, the rest relayed as relay does (smtpd's MailmanProxy)";
    }

    @Override
    public Map<String, String> options() {
        return OPTIONS;
    }

    @Override
    public SmtpHandler create(Map<String, String> options) {
        HandlerOptions o = HandlerOptions.of(name(), options, OPTIONS.keySet());
        NextHop lmtp;
        String address = o.get("lmtp", DEFAULT_LMTP);
        try {
            lmtp = NextHop.parse(address);
        } catch (IllegalArgumentException e) {
            throw new HandlerOptionException(name(), "lmtp", "option lmtp: " + e.getMessage());
        }
        String domains = o.get("lists", "");
        String addresses = o.get("list", "");
        MailingLists lists;
        try {
            lists = MailingLists.of(split(domains), split(addresses));
        } catch (IllegalArgumentException e) {
            throw new HandlerOptionException(name(), addresses.isBlank() ? "lists" : "list",
                    e.getMessage() + " (-o lists=DOMAIN,... or -o list=LIST@DOMAIN)");
        }
        Map<String, String> relayOptions = new HashMap<>(options);
        relayOptions.keySet().removeAll(List.of("lmtp", "lists", "list"));
        RelayProvider relayProvider = new RelayProvider(name());
        RelayConfig relay = relayProvider.config(relayOptions);
        if (relay.sendsTo(lmtp)) {
            throw new HandlerOptionException(name(), "lmtp", "the LMTP server " + lmtp + " is also a next hop of the relay");
        }
        QueuedRelayHandler queue = relayProvider.queued(relay, relayOptions); // null without -o queue=
        return new LmtpHandler(lmtp, lists, relay, queue);
    }

    private static List<String> split(String value) {
        return Arrays.stream(value.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }
}
