package io.smtpkit.cli;

/**
 * Something the user typed or named cannot be used: a bad option, address, file or handler. The
 * command prints the message as one line on stderr and exits with status 2, like a usage error;
 * the message must say what to fix without a stack trace. {@link ListenException} is the one
 * kind the command knows more about.
 */
class UsageError extends Exception {

    private static final long serialVersionUID = 1L;

    UsageError(String message) {
        super(message, null, false, false);
    }

    UsageError(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
