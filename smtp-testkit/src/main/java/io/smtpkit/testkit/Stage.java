package io.smtpkit.testkit;

/**
 * Where in an SMTP session a {@link Script} acts. Replies and delays at {@link #CONNECT},
 * {@link #HELLO}, {@link #MAIL}, {@link #RCPT} and {@link #MESSAGE} run in the server's handler
 * hooks; refusals at {@link #DATA} and {@link #QUIT} and every socket effect (disconnect, stall,
 * throttled reading) run in its {@link io.smtpkit.server.ConnectionTap}.
 */
public enum Stage {
    /** A client connected; before the greeting. */
    CONNECT,
    /** HELO or EHLO. A scripted 2xx is not sent: the client always gets the server's own greeting reply. */
    HELLO,
    /** MAIL FROM. */
    MAIL,
    /** RCPT TO, one recipient. */
    RCPT,
    /** The DATA command, before the {@code 354}; and the message content that follows it. */
    DATA,
    /** The end of the message content (after DATA's final dot): the reply that accepts or refuses the message. */
    MESSAGE,
    /** QUIT. */
    QUIT
}
