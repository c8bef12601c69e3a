package io.smtpkit.relay.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.smtpkit.protocol.Reply;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class QueueConfigTest {

    @Test
    void backoffDoublesFromRetryMinToRetryMaxAsPostfixDoes() {
        QueueConfig c = QueueConfig.DEFAULT;
        assertEquals(List.of(300L, 600L, 1200L, 2400L, 4000L, 4000L),
                List.of(1, 2, 3, 4, 5, 40).stream().map(n -> c.backoff(n).toSeconds()).toList());
        assertEquals(Duration.ofDays(5), c.lifetime());
        assertEquals(null, c.delayWarning());
        assertEquals(Duration.ofMinutes(2), c.lease());
    }

    @Test
    void aLeaseIsAtLeastThreeSeconds() {
        QueueConfig d = QueueConfig.DEFAULT;
        assertEquals(Duration.ofSeconds(3), new QueueConfig(d.retryMin(), d.retryMax(), d.lifetime(), null, 1, Duration.ofSeconds(3)).lease());
        assertThrows(IllegalArgumentException.class,
                () -> new QueueConfig(d.retryMin(), d.retryMax(), d.lifetime(), null, 1, Duration.ofMillis(2999)));
    }

    @ParameterizedTest
    @CsvSource({"30s, 30", "5m, 300", "4h, 14400", "5d, 432000", "90, 90", " 2M , 120", "1500ms, 1"})
    void durationsReadAsTheIssueWritesThem(String text, long seconds) {
        assertEquals(seconds, QueueConfig.parseDuration(text).toSeconds());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "0s", "-5m", "4 hours", "5w", "s", "99999999999999999d"})
    void otherDurationsAreRefused(String text) {
        assertThrows(IllegalArgumentException.class, () -> QueueConfig.parseDuration(text));
    }

    @ParameterizedTest
    @CsvSource({"100M, 104857600, 0", "512k, 524288, 0", "2G, 2147483648, 0", "1048576, 1048576, 0", "5%, 0, 5", "0, 0, 0"})
    void reservesReadAsSizesOrShares(String text, long bytes, double percent) {
        assertEquals(new DiskQueueStore.Reserve(bytes, percent), DiskQueueStore.Reserve.parse(text));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "451 4.4.1 The next hop cannot be reached | 451 | 4.4.1 | The next hop cannot be reached",
        "250 Ok                                   | 250 |       | Ok",
        "550 5.1.1                                | 550 | 5.1.1 | ''",
        "something odd                            | 451 | 4.3.0 | something odd",
    })
    void repliesSurviveTheirStoredText(String text, int code, String enhanced, String rest) {
        Reply r = QueueRunner.reply(text);
        assertEquals(code, r.code());
        assertEquals(enhanced, r.enhancedStatus());
        assertEquals(rest, r.text());
        if (!text.startsWith("something")) {
            assertEquals(text, QueueRunner.text(r).strip());
        }
    }
}
