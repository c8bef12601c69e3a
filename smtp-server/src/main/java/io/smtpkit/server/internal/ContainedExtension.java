package io.smtpkit.server.internal;

import io.smtpkit.protocol.CommandExtension;
import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.SessionInfo;

/**
 * A {@link CommandExtension} as the server runs it: on the event loop, where a plugin's bug must
 * cost its client one {@code 451 4.3.0} and a log line, not the connection without a word. An
 * extension that throws or answers {@code null} breaks its contract; the session would let the
 * exception through, and the loop would close the connection. Not API.
 */
final class ContainedExtension implements CommandExtension {

    private final CommandExtension extension;

    ContainedExtension(CommandExtension extension) {
        this.extension = extension;
    }

    @Override
    public String verb() {
        return extension.verb();
    }

    @Override
    public String ehloKeyword() {
        return extension.ehloKeyword();
    }

    @Override
    public Reply handle(String argument, SessionInfo session) {
        Reply reply;
        try {
            reply = extension.handle(argument, session);
        } catch (RuntimeException e) {
            Transport.log.warn("command extension {} failed", Printable.of(verb()), Printable.exception(e));
            return Reply.LOCAL_ERROR;
        }
        if (reply == null) {
            Transport.log.warn("command extension {} answered nothing", Printable.of(verb()));
            return Reply.LOCAL_ERROR;
        }
        return reply;
    }
}
