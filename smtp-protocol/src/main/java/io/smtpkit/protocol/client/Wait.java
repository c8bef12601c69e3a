package io.smtpkit.protocol.client;

import java.time.Duration;

/**
 * What a client is waiting for, with the timeout RFC 5321 §4.5.3.2 gives it. The session keeps
 * no clock: the transport asks {@link ClientSession#waiting()} after each step, arms the matching
 * timer (these defaults, or its own settings) and calls {@link ClientSession#timeout()} when it
 * fires.
 */
public enum Wait {
    /** §4.5.3.2.1, initial 220 message: 5 minutes. */
    GREETING(Duration.ofMinutes(5), "4.5.3.2.1"),
    /**
     * EHLO, HELO, LHLO, STARTTLS, AUTH, RSET and QUIT replies: RFC 5321 names no value for them;
     * the 5 minutes of MAIL are used.
     */
    COMMAND(Duration.ofMinutes(5), "4.5.3.2.2"),
    /** §4.5.3.2.2, MAIL command: 5 minutes. */
    MAIL(Duration.ofMinutes(5), "4.5.3.2.2"),
    /** §4.5.3.2.3, RCPT command: 5 minutes. */
    RCPT(Duration.ofMinutes(5), "4.5.3.2.3"),
    /** §4.5.3.2.4, DATA initiation (the 354): 2 minutes. */
    DATA_INITIATION(Duration.ofMinutes(2), "4.5.3.2.4"),
    /**
     * §4.5.3.2.5, data block: 3 minutes for each write of content, and for the reply to a BDAT
     * chunk that is not the last.
     */
    DATA_BLOCK(Duration.ofMinutes(3), "4.5.3.2.5"),
    /** §4.5.3.2.6, DATA termination (the reply after the final dot or BDAT LAST): 10 minutes. */
    DATA_TERMINATION(Duration.ofMinutes(10), "4.5.3.2.6");

    private final Duration defaultTimeout;
    private final String section;

    Wait(Duration defaultTimeout, String section) {
        this.defaultTimeout = defaultTimeout;
        this.section = section;
    }

    /** The RFC 5321 default for this wait. */
    public Duration defaultTimeout() {
        return defaultTimeout;
    }

    /** The RFC 5321 section that sets it, e.g. {@code 4.5.3.2.6}. */
    public String rfcSection() {
        return section;
    }
}
