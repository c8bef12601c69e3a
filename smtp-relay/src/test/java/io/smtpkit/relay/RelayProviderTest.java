package io.smtpkit.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.client.ClientConfig;
import io.smtpkit.protocol.client.Wait;
import io.smtpkit.server.HandlerOptionException;
import io.smtpkit.server.HandlerProvider;
import io.smtpkit.server.HandlerRegistry;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RelayProviderTest {

    private final RelayProvider provider = new RelayProvider();

    private static Map<String, String> options(String... pairs) {
        Map<String, String> o = new HashMap<>();
        for (String pair : pairs) {
            int eq = pair.indexOf('=');
            o.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        return o;
    }

    @Test
    void isFoundByNameAndBySmtpdsClassName() {
        HandlerRegistry registry = HandlerRegistry.load(getClass().getClassLoader());
        HandlerProvider found = registry.find("relay").orElseThrow();
        assertEquals(RelayProvider.class, found.getClass());
        assertEquals(RelayProvider.class, registry.find("PureProxy").orElseThrow().getClass());
        assertEquals(List.of("upstream", "route", "helo", "tls", "tls-trust", "tls-verify", "auth-user",
                "auth-password-file", "auth-insecure", "networks", "domains", "timeout-connect", "timeout-reply",
                "timeout-data", "queue", "retry-min", "retry-max", "lifetime", "delay-warning", "queue-workers",
                "queue-lease", "queue-reserve"), List.copyOf(found.options().keySet()));
    }

    @Test
    void theDefaultsAreSafe() throws Exception {
        RelayConfig c = provider.config(options("upstream=mail.example.org:587"));
        assertEquals(new NextHop("mail.example.org", 587), c.upstream());
        assertEquals(ClientConfig.Tls.OPPORTUNISTIC, c.tls());
        assertTrue(c.trusts(InetAddress.getByName("127.0.0.9")));
        assertTrue(c.trusts(InetAddress.getByName("::1")));
        assertFalse(c.trusts(InetAddress.getByName("192.0.2.1")));
        assertFalse(c.isOpenRelay());
        assertFalse(c.authenticates());
        assertEquals(Wait.DATA_TERMINATION.defaultTimeout(), c.timeout(Wait.DATA_TERMINATION));
    }

    @Test
    void everyOptionIsRead() throws Exception {
        String pw = TestCerts.passwordFile("secret\r\nignored\n");
        RelayConfig c = provider.config(options("upstream=[2001:db8::1]:25", "route=Lists.Example=127.0.0.1:8024,b.example=h:26",
                "helo=relay.example", "tls=required", "tls-trust=" + TestCerts.certificate(), "tls-verify=false",
                "auth-user=u", "auth-password-file=" + pw, "auth-insecure=yes", "networks=10.0.0.0/8, 2001:db8::/32",
                "domains=Example.COM", "timeout-connect=2s", "timeout-reply=1500ms", "timeout-data=3m"));
        assertEquals(new NextHop("2001:db8::1", 25), c.upstream());
        assertEquals(new NextHop("127.0.0.1", 8024), c.nextHopFor("lists.example"));
        assertEquals(new NextHop("h", 26), c.nextHopFor("B.EXAMPLE"));
        assertEquals(c.upstream(), c.nextHopFor("other.example"));
        assertEquals("relay.example", c.heloName());
        assertEquals(ClientConfig.Tls.REQUIRED, c.tls());
        assertFalse(c.verifiesCertificates());
        assertTrue(c.clientConfig().allowInsecureAuth());
        assertTrue(c.trusts(InetAddress.getByName("10.1.2.3")));
        assertTrue(c.trusts(InetAddress.getByName("2001:db8:ffff::1")));
        assertFalse(c.trusts(InetAddress.getByName("127.0.0.1")), "networks= replaces the default");
        assertTrue(c.acceptsFor("example.com"));
        assertEquals(Duration.ofSeconds(2), c.connectTimeout());
        assertEquals(Duration.ofMillis(1500), c.timeout(Wait.RCPT));
        assertEquals(Duration.ofMinutes(3), c.timeout(Wait.DATA_TERMINATION));
        assertFalse(c.toString().contains("secret"), "the password is never shown");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "helo=x                                     | upstream",
        "upstream=mail.example.org                  | upstream",
        "upstream=mail.example.org:0                | upstream",
        "upstream=mail.example.org:smtp             | upstream",
        "upstream=h:25;route=example.com            | route",
        "upstream=h:25;route=example.com=nohost     | route",
        "upstream=h:25;helo=two words               | helo",
        "upstream=h:25;tls=maybe                    | tls",
        "upstream=h:25;tls-trust=/no/such/file.pem  | tls-trust",
        "upstream=h:25;tls-verify=perhaps           | tls-verify",
        "upstream=h:25;auth-user=u                  | auth-password-file",
        "upstream=h:25;auth-password-file=/etc/hostname | auth-user",
        "upstream=h:25;auth-user=u;auth-password-file=/no/such/file | auth-password-file",
        "upstream=h:25;auth-insecure=sometimes      | auth-insecure",
        "upstream=h:25;networks=10.0.0.0/33         | networks",
        "upstream=h:25;networks=mail.example.org    | networks",
        "upstream=h:25;domains=a@b                  | domains",
        "upstream=h:25;timeout-connect=soon         | timeout-connect",
        "upstream=h:25;timeout-reply=0s             | timeout-reply",
        "upstream=h:25;timeout-data=-1m             | timeout-data",
        "upstream=h:25;colour=blue                  | colour",
        "upstream=h:25;retry-min=30s                | retry-min",
        "upstream=h:25;queue-reserve=1G             | queue-reserve",
        "upstream=h:25;queue=/proc/no/such/queue    | queue",
        "upstream=h:25;queue=postgresql://db/queue  | queue",
        "upstream=h:25;queue=/never/opened;retry-min=soon | retry-min",
        "upstream=h:25;queue=/never/opened;retry-min=5s;retry-max=1s | retry-max",
        "upstream=h:25;queue=/never/opened;lifetime=0d | lifetime",
        "upstream=h:25;queue=/never/opened;delay-warning=4 hours | delay-warning",
        "upstream=h:25;queue=/never/opened;queue-workers=0 | queue-workers",
        "upstream=h:25;queue=/never/opened;queue-lease=2s | queue-lease",
        "upstream=h:25;queue=/never/opened;queue-lease=soon | queue-lease",
        "upstream=h:25;queue=/never/opened;queue-reserve=lots | queue-reserve",
        "upstream=h:25;queue=/never/opened;queue-reserve=100% | queue-reserve",
    })
    void aWrongValueNamesItsOption(String given, String key) {
        HandlerOptionException e = assertThrows(HandlerOptionException.class, () -> provider.create(options(given.split(";"))));
        assertEquals(key, e.key(), e.getMessage());
        assertTrue(e.getMessage().contains("relay"), e.getMessage());
    }

    @Test
    void theWholeInternetAsNetworksIsAllowedButAnOpenRelay() {
        assertTrue(provider.config(options("upstream=h:25", "networks=0.0.0.0/0")).isOpenRelay());
    }
}
