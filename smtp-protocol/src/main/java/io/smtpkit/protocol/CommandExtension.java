package io.smtpkit.protocol;

/**
 * A command the session does not know, or one whose built-in handling should be replaced:
 * smtpd's {@code smtp_<COMMAND>} methods, as a value that can be registered with
 * {@link SessionConfig.Builder#extension(CommandExtension)}.
 *
 * <p>An extension answers synchronously from the session's thread: keep it quick and never block
 * (it runs on the transport's event loop). It is consulted in every state where commands are
 * read (not inside DATA, BDAT or an AUTH exchange).
 */
public interface CommandExtension {

    /** The verb, matched case-insensitively, e.g. {@code "XCLIENT"}. */
    String verb();

    /**
     * The line to advertise in the EHLO reply (RFC 5321 §4.1.1.1), e.g. {@code "XCLIENT NAME ADDR"},
     * or {@code null} to advertise nothing.
     */
    default String ehloKeyword() {
        return null;
    }

    /**
     * Answers the command.
     *
     * @param argument everything after the verb and its separating space, possibly empty
     * @param session the session the command arrived on
     * @return the reply to send, never {@code null}; a 421 closes the session after it is sent
     */
    Reply handle(String argument, SessionInfo session);
}
