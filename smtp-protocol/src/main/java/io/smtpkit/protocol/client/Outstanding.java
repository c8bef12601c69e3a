package io.smtpkit.protocol.client;

/**
 * A command sent and not answered yet: which reply case of {@link ClientSession} takes its reply,
 * and the RFC 5321 §4.5.3.2 timeout that applies while it waits.
 */
enum Outstanding {
    GREETING(Wait.GREETING), EHLO(Wait.COMMAND), HELO(Wait.COMMAND), STARTTLS(Wait.COMMAND), AUTH(Wait.COMMAND),
    MAIL(Wait.MAIL), RCPT(Wait.RCPT), DATA(Wait.DATA_INITIATION), EMPTY_MESSAGE(Wait.DATA_TERMINATION),
    BDAT(Wait.DATA_BLOCK), END_OF_DATA(Wait.DATA_TERMINATION), RSET(Wait.COMMAND), QUIT(Wait.COMMAND);

    final Wait wait;

    Outstanding(Wait wait) {
        this.wait = wait;
    }
}
