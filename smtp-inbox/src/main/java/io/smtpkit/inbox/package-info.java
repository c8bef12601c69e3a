/**
 * The {@code inbox} handler: captured mail in a web page and a Mailpit-compatible REST API
 * ({@link io.smtpkit.inbox.InboxHandler}, registered as {@code -c inbox} by
 * {@link io.smtpkit.inbox.InboxProvider}).
 */
package io.smtpkit.inbox;
