package io.smtpkit.testkit;

import io.smtpkit.inbox.InboxHandler;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * The web inbox for a failing test (opt-in): the messages it received are added to one inbox per
 * JVM, its address printed, and the test held for {@link #HOLD_PROPERTY} so a developer can look.
 *
 * <p>smtp-inbox is an optional dependency: only the nested {@code Live} names it, and it is loaded
 * only once {@link #available()} said the inbox is on the class path.
 */
final class FailureInbox {

    /** {@code true} turns the inbox on for every {@link SmtpServerExtension}. */
    static final String PROPERTY = "smtpkit.inbox";
    /** How long a failing test waits with its inbox open ({@code 5m}, {@code 30s}, {@code 0} not at all). Default 5 minutes. */
    static final String HOLD_PROPERTY = "smtpkit.inbox.hold";
    /** Where the inbox listens, {@code HOST:PORT}; default 127.0.0.1:8026, or a free port if that is taken. */
    static final String HTTP_PROPERTY = "smtpkit.inbox.http";
    private static final Duration DEFAULT_HOLD = Duration.ofMinutes(5);

    private FailureInbox() {}

    /** Whether the inbox is wanted: asked for, and not a CI run (where nobody would look). */
    static boolean wanted(boolean builder) {
        boolean asked = builder || Boolean.getBoolean(PROPERTY);
        return asked && !"true".equalsIgnoreCase(System.getenv("CI"));
    }

    static boolean available() {
        try {
            Class.forName("io.smtpkit.inbox.InboxHandler", false, FailureInbox.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /**
     * Shows {@code messages} in the inbox and holds the test; says what it did on {@code err}.
     * Never throws: the test's own failure is what the developer must see.
     *
     * @return the page's address (at the first message), or null if there is no inbox
     */
    static URI show(String test, List<ReceivedMessage> messages, PrintStream err) {
        if (!available()) {
            err.println("smtpkit testkit: " + PROPERTY + " is on, but smtp-inbox is not on the test class path"
                    + " (add io.smtpkit:smtp-inbox as a test dependency)");
            return null;
        }
        URI where;
        try {
            where = Live.add(messages);
        } catch (IOException | RuntimeException e) {
            err.println("smtpkit testkit: cannot start the web inbox: " + e);
            return null;
        }
        Duration hold = hold(err);
        err.println("smtpkit testkit: " + test + " failed; the " + messages.size() + " message(s) it received are at "
                + where + (hold.isZero() ? "" : " (held " + Durations.pretty(hold) + ", -D" + HOLD_PROPERTY + "=0 not to wait)"));
        err.flush();
        if (!hold.isZero()) {
            try {
                Thread.sleep(hold.toMillis()); // the developer reads the page meanwhile: nothing to poll
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return where;
    }

    /** The one inbox of the JVM, made at the first failure; its threads are daemons, so it never keeps the JVM up. */
    private static final class Live {
        private static InboxHandler inbox;

        static synchronized URI add(List<ReceivedMessage> messages) throws IOException {
            if (inbox == null) {
                String http = System.getProperty(HTTP_PROPERTY, "127.0.0.1:8026");
                int colon = http.lastIndexOf(':');
                InetSocketAddress address = new InetSocketAddress(http.substring(0, colon), Integer.parseInt(http.substring(colon + 1)));
                try {
                    inbox = InboxHandler.builder().http(address).start();
                } catch (IOException taken) {
                    inbox = InboxHandler.builder().http(new InetSocketAddress(address.getAddress(), 0)).start();
                }
            }
            String first = null;
            for (ReceivedMessage m : messages) {
                String id = inbox.add(m.sender(), m.recipients(), m.bytes());
                if (first == null) {
                    first = id;
                }
            }
            return first == null ? inbox.uri() : inbox.viewUri(first);
        }
    }

    private static Duration hold(PrintStream err) {
        String value = System.getProperty(HOLD_PROPERTY);
        if (value == null || value.isBlank()) {
            return DEFAULT_HOLD;
        }
        try {
            return value.strip().equals("0") ? Duration.ZERO : Durations.parse(value);
        } catch (RuntimeException e) {
            err.println("smtpkit testkit: " + HOLD_PROPERTY + "=" + value + " is not a duration; holding " + Durations.pretty(DEFAULT_HOLD));
            return DEFAULT_HOLD;
        }
    }
}
