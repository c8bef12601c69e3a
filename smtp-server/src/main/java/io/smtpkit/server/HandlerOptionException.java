package io.smtpkit.server;

import java.util.Objects;

/**
 * A handler option that is unknown, missing or malformed, thrown by {@link HandlerOptions} and
 * by a {@link HandlerProvider#create} that checks its own values. It says which handler, which
 * option ({@link #key()}) and what is wrong ({@link #problem()}), so a front end can report it
 * as the user's mistake (the CLI: one line, exit status 2) without reading the message text.
 *
 * <p>The message is {@code handler 'NAME' PROBLEM}, e.g. {@code handler 'maildir' needs option
 * dir (-o dir=...)}: a sentence a user can act on, naming the handler once. It is an
 * {@link IllegalArgumentException}, so callers that catch that (as {@code HandlerProvider.create}'s
 * contract promised before this type existed) still do.
 */
public final class HandlerOptionException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String handler;
    private final String key;
    private final String problem;

    /**
     * @param handler the handler's name, as {@link HandlerProvider#name()}
     * @param key the option at fault (the first, if several unknown ones are named)
     * @param problem the rest of the sentence after the handler's name, e.g.
     *     {@code "option dir must be a folder, not a file"}
     */
    public HandlerOptionException(String handler, String key, String problem) {
        this(handler, key, problem, null);
    }

    /** As {@link #HandlerOptionException(String, String, String)}, keeping what went wrong underneath. */
    public HandlerOptionException(String handler, String key, String problem, Throwable cause) {
        super("handler '" + Objects.requireNonNull(handler, "handler") + "' " + Objects.requireNonNull(problem, "problem"),
                cause);
        this.handler = handler;
        this.key = Objects.requireNonNull(key, "key");
        this.problem = problem;
    }

    /** The handler whose option it is. */
    public String handler() {
        return handler;
    }

    /** The option at fault, as given after {@code -o} (for unknown options, the first of them). */
    public String key() {
        return key;
    }

    /** What is wrong, without the handler's name: the message after {@code handler 'NAME' }. */
    public String problem() {
        return problem;
    }
}
