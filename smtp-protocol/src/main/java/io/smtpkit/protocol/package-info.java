/**
 * The SMTP protocol without I/O: an {@link io.smtpkit.protocol.SmtpSession} takes the bytes a
 * client sent and produces reply bytes, message content and {@link io.smtpkit.protocol.Decision}s
 * for its owner to answer. RFC 5321 with SIZE (RFC 1870), 8BITMIME (RFC 6152), SMTPUTF8
 * (RFC 6531), PIPELINING (RFC 2920), ENHANCEDSTATUSCODES (RFC 2034/3463), CHUNKING and
 * BINARYMIME (RFC 3030), STARTTLS (RFC 3207), AUTH PLAIN/LOGIN (RFC 4954) and DSN parameters
 * (RFC 3461).
 *
 * <p>The client side, the same design with the roles swapped (server bytes in, commands and
 * events out), is {@link io.smtpkit.protocol.client}.
 *
 * <p>This module depends on nothing but the JDK and touches no socket, thread, file or clock.
 */
package io.smtpkit.protocol;
