package io.smtpkit.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.smtpkit.protocol.MailPath;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which recipients are list mail: Mailman 3's reading of LIST[-SUFFIX][+DETAIL]@DOMAIN. */
class MailingListsTest {

    private final MailingLists lists = MailingLists.of(List.of("lists.example.org"), List.of("announce@example.org"));

    @ParameterizedTest
    @CsvSource({
        "anything@lists.example.org, true",
        "x@LISTS.example.org, true",
        "announce@example.org, true",
        "Announce@Example.ORG, true",
        "announce-bounces@example.org, true",
        "announce-bounces+bob=example.net@example.org, true",
        "announce-confirm+0123abcd@example.org, true",
        "announce-join@example.org, true",
        "announce-leave@example.org, true",
        "announce-owner@example.org, true",
        "announce-request@example.org, true",
        "announce-subscribe@example.org, true",
        "announce-unsubscribe@example.org, true",
        "announce+detail@example.org, true",
        "announce-admin@example.org, false",
        "announce2@example.org, false",
        "bob@example.org, false",
        "announce@example.net, false",
        "announce@sub.lists.example.org, false",
        "-bounces@example.org, false",
    })
    void recipients(String address, boolean listMail) {
        int at = address.lastIndexOf('@');
        assertEquals(listMail, lists.contains(new MailPath(address.substring(0, at), address.substring(at + 1))), address);
    }

    @Test
    void nullPathIsNoList() {
        assertEquals(false, lists.contains(MailPath.NULL));
    }

    @Test
    void nothingNamedOrABadAddressIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> MailingLists.of(List.of(), List.of()));
        assertThrows(IllegalArgumentException.class, () -> MailingLists.of(List.of(), List.of("announce")));
        assertThrows(IllegalArgumentException.class, () -> MailingLists.of(List.of(), List.of("announce@")));
    }
}
