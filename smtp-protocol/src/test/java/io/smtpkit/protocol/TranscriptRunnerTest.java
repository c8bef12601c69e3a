package io.smtpkit.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.smtpkit.protocol.transcript.Transcript;
import org.junit.jupiter.api.Test;

/**
 * The runner can fail: wrong replies, a missing or wrong message, a STARTTLS that did not happen,
 * an answer ({@code D:}) to a decision that was never asked.
 */
class TranscriptRunnerTest {

    private static final String GOOD = String.join("\n",
            "S: 220 mx.example ESMTP smtpkit",
            "C: HELO c",
            "C: MAIL FROM:<a@b>",
            "C: RCPT TO:<c@d>",
            "C: DATA",
            "C: x",
            "C: .",
            "S: 250 mx.example",
            "S: 250 OK",
            "S: 250 OK",
            "S: 354 End data with <CR><LF>.<CR><LF>",
            "M: x\\r\\n",
            "S: 250 OK",
            "");

    private static boolean passes(String text) {
        Transcript t = Transcript.parse("t", text);
        return t.expectedEvents().equals(TranscriptRunner.run(t, -1, TranscriptRunner.WHOLE));
    }

    @Test
    void detectsMismatches() {
        assertEquals(true, passes(GOOD));
        assertEquals(false, passes(GOOD.replace("S: 354", "S: 355")));
        assertEquals(false, passes(GOOD.replace("M: x\\r\\n\n", "")), "a delivered message must be expected");
        assertEquals(false, passes(GOOD.replace("M: x\\r\\n", "M: y\\r\\n")));
        assertEquals(false, passes(GOOD + "S: <close>\n"));
        assertEquals(false, passes(GOOD + "S: 250 OK\n"), "an expected reply that never comes");
    }

    @Test
    void aTlsStepNeedsAnAcceptedStarttls() {
        Transcript t = Transcript.parse("t", GOOD + "T: tls\n");
        assertThrows(AssertionError.class, () -> TranscriptRunner.run(t, -1, TranscriptRunner.WHOLE));
    }

    @Test
    void everyAnswerLineMustBeUsed() {
        Transcript used = Transcript.parse("t", GOOD.replace("C: HELO c\n", "C: HELO c\nD: HELLO default\n"));
        assertEquals(used.expectedEvents(), TranscriptRunner.run(used, -1, TranscriptRunner.WHOLE));
        // Two answers for the one greeting: the second says something the session never asked.
        Transcript unused = Transcript.parse("t", GOOD.replace("C: HELO c\n", "C: HELO c\nD: HELLO default\nD: HELLO 550 no\n"));
        assertThrows(AssertionError.class, () -> TranscriptRunner.run(unused, -1, TranscriptRunner.WHOLE));
    }

    @Test
    void splittingChangesNothingForAGoodSession() {
        Transcript t = Transcript.parse("t", GOOD);
        assertEquals(TranscriptRunner.run(t, -1, TranscriptRunner.WHOLE), TranscriptRunner.run(t, -1, TranscriptRunner.BYTE_AT_A_TIME));
        assertNotEquals(0, t.phases().get(0).input().length);
    }
}
