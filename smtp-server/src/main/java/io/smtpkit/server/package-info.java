/**
 * The smtpkit server: {@link io.smtpkit.server.SmtpServer} runs {@link io.smtpkit.protocol.SmtpSession}s
 * over non-blocking sockets and hands their mail to an {@link io.smtpkit.server.SmtpHandler}.
 * Handlers are found by name through {@link io.smtpkit.server.HandlerRegistry}; the ones that
 * ship ({@code debug}, {@code sink}, {@code maildir}) are in {@code io.smtpkit.server.handlers}.
 */
package io.smtpkit.server;
