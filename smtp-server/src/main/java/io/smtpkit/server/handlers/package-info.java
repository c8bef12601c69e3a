/**
 * The handlers that ship with smtpkit, each registered through {@link java.util.ServiceLoader}
 * like any third-party handler: {@code debug} (smtpd's DebuggingServer), {@code sink} (accepts
 * and discards) and {@code maildir} (delivers to a Maildir).
 */
package io.smtpkit.server.handlers;
