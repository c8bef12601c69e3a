package io.smtpkit.testkit;

import java.util.List;

/**
 * The tail of every failure the testkit raises: what did arrive and how each client's session
 * ended, so that a failed wait says why without a debugger or a rerun with logging.
 */
final class FailureReport {

    /** Enough of a transcript to show where a client stopped, few enough to keep the failure readable. */
    static final int TRANSCRIPT_LINES = 12;

    private FailureReport() {}

    /**
     * @param where the server's address, or {@code null} when it is not running (said instead of
     *     starting one just to name a port)
     * @param fatal what broke the server itself, or {@code null}
     */
    static String of(List<ReceivedMessage> got, List<ClientSession> sessions, String where, Throwable fatal) {
        StringBuilder s = new StringBuilder();
        if (fatal != null) {
            s.append("\nthe test server itself failed: ").append(fatal);
        }
        if (!got.isEmpty()) {
            s.append("\nmessages received:");
            for (int i = 0; i < got.size(); i++) {
                s.append("\n  ").append(i + 1).append(". ").append(got.get(i));
            }
        }
        if (sessions.isEmpty()) {
            s.append("\nno client connected to ").append(where == null ? "the server (not running)" : where);
        }
        for (ClientSession session : sessions) {
            s.append("\n").append(session).append(", last lines:");
            for (String line : session.lastLines(TRANSCRIPT_LINES)) {
                s.append("\n    ").append(line);
            }
        }
        return s.toString();
    }
}
