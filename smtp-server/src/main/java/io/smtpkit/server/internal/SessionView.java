package io.smtpkit.server.internal;

import io.smtpkit.protocol.MailPath;
import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.protocol.SessionInfo;
import io.smtpkit.protocol.SessionState;
import io.smtpkit.protocol.SmtpSession;
import java.util.List;

/** A session seen through {@link SessionInfo} only: a handler cannot cast it back and drive it. */
final class SessionView implements SessionInfo {

    private final SmtpSession session;

    SessionView(SmtpSession session) {
        this.session = session;
    }

    @Override public SessionState state() { return session.state(); }
    @Override public String heloName() { return session.heloName(); }
    @Override public boolean isExtended() { return session.isExtended(); }
    @Override public boolean isSecure() { return session.isSecure(); }
    @Override public String authenticatedUser() { return session.authenticatedUser(); }
    @Override public MailPath reversePath() { return session.reversePath(); }
    @Override public List<MailPath> recipients() { return session.recipients(); }
    @Override public SessionConfig config() { return session.config(); }
}
